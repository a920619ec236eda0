"""A contribution's one schema: every column, what it holds and why it may leave the house.

One row per call. What a row never holds: a name, the household's own numbers or the line a call
reached, a contact's number, a number the user excluded, a repeated caller nobody said is
canvassing. A caller's number appears only when it is attributed to a company (declared,
same block, confirmed) or lies in a range reserved for automated calls; calls of a rotating
block that nobody named carry the block only (``+33162345xxx``).
"""

from __future__ import annotations

import re
import unicodedata

import pyarrow as pa

from callwatch.detect.campaigns import AUTOMATED, COUNTED, CONFIRMED, NUISANCE, OPERATOR, OTHER, TIERS, EXCLUDED

FORMAT = "callwatch-contribution"
FORMAT_VERSION = 1
MANIFEST_KEY = b"callwatch.contribution"      # the manifest, inside the Parquet file's key-value metadata

# The pool's block: the E.164 number without its last 3 digits, whatever a household set for its own
# detection (detect.block_suffix_digits), so that blocks compare across households.
BLOCK_SUFFIX = 3

CATEGORIES = (OPERATOR, OTHER, AUTOMATED, NUISANCE)
SHARED_TIERS = tuple(t for t in TIERS if t != EXCLUDED)      # an excluded call never leaves
COUNTED_TIERS = tuple(t for t in SHARED_TIERS if t in COUNTED)
OUTCOMES = ("answered", "missed", "rejected", "blocked", "voicemail", "unknown")

COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    # name, type, nullable, what it holds
    ("contribution", pa.string(), False, "this contribution's random id (the same on every row)"),
    ("household", pa.string(), False, "the household's keyed pseudonym, HMAC-SHA256(association key, a random "
                                      "secret of the household)"),
    ("area", pa.string(), True, "département / postcode outward code / US state, only if the member opted in"),
    ("rule_pack", pa.string(), False, "the rules the household's calls were judged by (fr, uk, us, generic)"),
    ("rule_pack_version", pa.string(), False, "their version"),
    ("finding", pa.int16(), False, "the finding's number in this contribution (1, 2...)"),
    ("category", pa.string(), False, "operator | other-company | automated | nuisance (the last only confirmed)"),
    ("operator", pa.string(), True, "the company the finding is about, as the member named it (normalised), "
                                    "or empty when nobody named it"),
    ("start_utc", pa.timestamp("ms", tz="UTC"), False, "when the call started, UTC"),
    ("month", pa.string(), False, "its month, YYYY-MM, in the household's time zone"),
    ("local_hour", pa.int8(), False, "its hour, 0-23, in the household's time zone"),
    ("local_weekday", pa.int8(), False, "its weekday, 0 = Monday, in the household's time zone"),
    ("outcome", pa.string(), False, "answered | missed | rejected | blocked | voicemail | unknown"),
    ("silent", pa.bool_(), False, "answered and at most 3 s of talk, measured to the second"),
    ("short", pa.bool_(), False, "answered and under the source's precision (a FRITZ!Box 0:01)"),
    ("withheld", pa.bool_(), False, "the caller's number was withheld"),
    ("duration_s", pa.int32(), True, "talk time, seconds"),
    ("duration_precision_s", pa.int32(), False, "how precise that talk time is, seconds"),
    ("time_precision_s", pa.int32(), False, "how precise the start time is, seconds"),
    ("caller_number", pa.string(), True, "the caller's number, only when attributed to a company or in a range "
                                         "reserved for automated calls"),
    ("caller_block", pa.string(), True, "the caller's block (+33162345xxx), for any number that may leave"),
    ("tier", pa.string(), False, "declared | same-block | confirmed (counted) | rotation | probable (leads)"),
    ("rules_broken", pa.list_(pa.string()), False, "the rules this call breaks, counted calls only"),
]

SCHEMA = pa.schema([pa.field(name, kind, nullable=nullable) for name, kind, nullable, _ in COLUMNS])

# The pool stores a contribution's rows with its household as a small integer given by the pool's index
# (pool.py) in place of the 64-digit pseudonym: nearly every figure counts distinct households, and both
# engines count integers much faster than 64-character strings. The pseudonym, what left the house,
# stays in the index; the integer never leaves the pool.
POOL_SCHEMA = pa.schema([pa.field("household_id", pa.int32(), nullable=False) if f.name == "household" else f
                         for f in SCHEMA])

NUMBER_RE = r"^\+?[0-9]{2,15}$"
BLOCK_RE = r"^\+[0-9]{3,15}x{%d}$" % BLOCK_SUFFIX
MONTH_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
AREA_RE = r"^(FR-([0-9]{2}|2A|2B|97[1-6])|UK-[A-Z]{1,2}[0-9][A-Z0-9]?|US-[A-Z]{2})$"


def may_carry_number(tier: str, category: str) -> bool:
    """A caller's number leaves only when it is attributed to a company (a counted tier), or when
    it lies in a range reserved for automated calls (no person's line)."""
    return tier in COUNTED_TIERS or category == AUTOMATED


def shareable_category(category: str, tier: str) -> bool:
    """A stand-alone repeated caller (``nuisance``) may be anyone: only its calls the user confirmed."""
    return category != NUISANCE or tier == CONFIRMED


def block(number: str | None) -> str | None:
    if not number or not number.startswith("+") or len(number) < BLOCK_SUFFIX + 6:
        return None
    return number[:-BLOCK_SUFFIX] + "x" * BLOCK_SUFFIX


def operator_name(company: str | None) -> str | None:
    """A company as members type it, made comparable: accents dropped, lower case, punctuation and
    spaces collapsed ("Opérateur  X." and "operateur x" are one operator)."""
    if not company:
        return None
    text = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return text or None


# -- the coarse area ------------------------------------------------------------------------

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split())
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
_UK_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_FR_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_US_STATE_ZIP = re.compile(r"\b([A-Z]{2})\s+[0-9]{5}(?:-[0-9]{4})?\b")


def _departement(postcode: str) -> str:
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):              # Corsica: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse
        return "2A" if postcode < "20200" else "2B"
    return postcode[:2]


def area(value: str, jurisdiction: str, address: str = "") -> str:
    """The coarse area a member opts to share, from what they give (a postcode, a département, an
    outward code, a state) or, with ``address``, from their [complainant] address. Never finer than
    a département, the first half of a UK postcode or a US state. ValueError with the reason."""
    text = (address if value == "address" else value).upper().strip()
    if value == "address" and not text:
        raise ValueError("the configuration's [complainant] address is empty")
    if jurisdiction == "fr":
        if value != "address" and re.fullmatch(r"[0-9]{2}|2A|2B|97[1-6]", text):
            return f"FR-{text}"
        m = _FR_POSTCODE.search(text)
        if m and (value == "address" or m.group(1) == text):
            dept = _departement(m.group(1))
            if re.fullmatch(r"[0-9]{2}|2A|2B|97[1-6]", dept) and dept != "00":
                return f"FR-{dept}"
        raise ValueError("no French postcode in the address" if value == "address"
                         else f"{value!r} is not a French postcode or département")
    if jurisdiction == "uk":
        m = _UK_POSTCODE.search(text)
        if m and (value == "address" or m.group(0) == text):
            return f"UK-{m.group(1)}"
        if value != "address" and _UK_OUTWARD.fullmatch(text):
            return f"UK-{text}"
        raise ValueError("no UK postcode in the address" if value == "address"
                         else f"{value!r} is not a UK postcode or its first half")
    if jurisdiction == "us":
        m = _US_STATE_ZIP.search(text) if value == "address" else None
        state = m.group(1) if m else text
        if state in US_STATES:
            return f"US-{state}"
        raise ValueError("no US state before a ZIP code in the address" if value == "address"
                         else f"{value!r} is not a US state's two-letter code")
    raise ValueError(f"no coarse area is defined for the {jurisdiction!r} rules (only fr, uk and us)")
