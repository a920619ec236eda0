"""Telephone numbers: presentation, E.164, and the facts a report needs about each number.

``Normaliser.normalise(raw)`` is called once per *distinct* raw string (cached): parsing
costs about 25 us, and a household's million calls come from a few thousand numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


INVALID = "invalid-in-plan"        # numbers.kind of a number the numbering plan does not know

# Presentation of the calling line, whatever the source calls it.
ALLOWED, WITHHELD, UNKNOWN, PAYPHONE = "allowed", "withheld", "unknown", "payphone"

# Markers that sources write in place of a number. Android's CallLog uses "-1" unknown,
# "-2" private (withheld), "-3" payphone on schemas that have no presentation column.
_MARKERS = {
    "": WITHHELD,
    "-2": WITHHELD, "-1": UNKNOWN, "-3": PAYPHONE,
    "anonymous": WITHHELD, "anonym": WITHHELD, "private": WITHHELD, "privat": WITHHELD,
    "private number": WITHHELD, "withheld": WITHHELD, "restricted": WITHHELD,
    "masqué": WITHHELD, "masque": WITHHELD, "numéro masqué": WITHHELD, "numero masque": WITHHELD,
    "secret": WITHHELD, "appel masqué": WITHHELD, "unterdrückt": WITHHELD, "rufnummer unterdrückt": WITHHELD,
    "unknown": UNKNOWN, "unbekannt": UNKNOWN, "inconnu": UNKNOWN, "unavailable": UNKNOWN,
    "out of area": UNKNOWN, "payphone": PAYPHONE, "cabine": PAYPHONE,
}

# ARCEP décision 2022-1583: "numéros polyvalents vérifiés", the only ranges automated
# calling systems may present since 1 January 2023 (national significant number prefixes).
NPV_PREFIXES = {
    "162": "mainland", "163": "mainland", "270": "mainland", "271": "mainland",
    "377": "mainland", "378": "mainland", "424": "mainland", "425": "mainland",
    "568": "mainland", "569": "mainland", "948": "mainland", "949": "mainland",
    "9475": "Guadeloupe, Saint-Martin, Saint-Barthélemy", "9476": "Guyane",
    "9477": "Martinique", "9478": "La Réunion, Mayotte", "9479": "La Réunion, Mayotte",
}

# French overseas departments dialled nationally from France parse as +33 with region FR,
# and come out invalid (or, for 0596..., wrongly valid). Their national prefixes:
_FR_OVERSEAS = {
    "0262": "RE", "0263": "RE", "0692": "RE", "0693": "RE",
    "0269": "YT", "0639": "YT",
    "0590": "GP", "0690": "GP", "0691": "GP",
    "0594": "GF", "0694": "GF",
    "0596": "MQ", "0696": "MQ", "0697": "MQ",
    "0508": "PM",
}

# phonenumbers (and its carrier data) is imported at the first number to parse, not with this
# module: a process that parses none, such as a daemon job finding a box's call list unchanged,
# spares its start-up (about a fifth of such a job's CPU). Set by _load_phonenumbers.
phonenumbers = PhoneNumberFormat = PhoneNumberType = carrier = shortnumberinfo = None
_TYPE_NAMES: dict = {}


def _load_phonenumbers() -> None:
    global phonenumbers, PhoneNumberFormat, PhoneNumberType, carrier, shortnumberinfo
    import phonenumbers as lib
    from phonenumbers import PhoneNumberType as types, carrier as holders, shortnumberinfo as short
    _TYPE_NAMES.update({
        types.MOBILE: "mobile", types.FIXED_LINE: "fixed", types.FIXED_LINE_OR_MOBILE: "fixed-or-mobile",
        types.VOIP: "voip", types.TOLL_FREE: "toll-free", types.PREMIUM_RATE: "premium",
        types.SHARED_COST: "shared-cost", types.PERSONAL_NUMBER: "personal", types.PAGER: "pager", types.UAN: "uan",
        types.VOICEMAIL: "voicemail",
    })
    PhoneNumberFormat, PhoneNumberType, carrier, shortnumberinfo = lib.PhoneNumberFormat, types, holders, short
    phonenumbers = lib                # last: the sign that everything above is set


_DIAL_NOISE = re.compile(r"[\s().\-/\u00a0\u202f]")
_CLIR_CODE = re.compile(r"^[#*]31#")      # GSM code dialled before a number to hide or show one's own
_TECH_PREFIX = re.compile(r"^(?:sip:|tel:|internet:|isdn:|pots:)\s*", re.IGNORECASE)


# The two ways nearly every French number is written (0 and nine digits in region FR, +33 and nine
# digits anywhere), which phonenumbers.parse reads as exactly this PhoneNumber after trying its
# general rules (letters, extensions, carrier codes, national prefixes) in about 25 us: the first
# import of a file with 100,000 distinct numbers spent 2.5 s there. tests/test_numbers.py compares
# the two over every four-digit prefix of the plan.
_FR_PLAIN = re.compile(r"(?:0|\+33)([1-9][0-9]{8})")


def parse(compact: str, region: str | None):
    """phonenumbers.parse(compact, region), read directly when it is one of the two plain French forms."""
    plain = _FR_PLAIN.fullmatch(compact)
    if plain is not None and (compact[0] == "+" or region == "FR"):
        return phonenumbers.PhoneNumber(country_code=33, national_number=int(plain.group(1)))
    return phonenumbers.parse(compact, region)


@dataclass(frozen=True, slots=True)
class NumberFacts:
    """What a single raw string says about the other party."""

    raw: str
    presentation: str
    e164: str | None = None          # None when withheld, unknown or not a valid number
    kind: str | None = None          # mobile, fixed, voip, toll-free, premium, shared-cost, short-code...
    country: str | None = None       # ISO region, e.g. FR
    range_holder: str | None = None  # operator holding the range, where phonenumbers knows it
    npv: str | None = None           # ARCEP verified-number zone when in a reserved range
    note: str | None = None          # why a number is not E.164, or how it was read
    short_code: str | None = None    # digits of a valid national short code (3631, 1023...)
    out_of_plan: str | None = None   # a number the plan does not know, in international form where it
                                     # can be read (+33700123456): spoofed caller IDs look like this

    @property
    def key(self) -> str | None:
        """Identity of the number in the store: E.164, the digits of a short code, or the
        international form of a number the plan does not know (its calls still group)."""
        return self.e164 or self.short_code or self.out_of_plan


def presentation_of(raw: str) -> str | None:
    """The presentation a marker string stands for, or None if it looks like a number."""
    return _MARKERS.get(raw.strip().strip('"').lower())


class Normaliser:
    """Parses raw number strings in a default region, once per distinct string."""

    def __init__(self, region: str = "FR"):
        self.region = region.upper()
        self._cache: dict[str, NumberFacts] = {}

    def normalise(self, raw: str | None, presentation: str | None = None,
                  region: str | None = None) -> NumberFacts:
        """Facts about one raw number. ``region`` overrides the default region when the
        source knows where the phone was (Android's ``countryiso``)."""
        raw = "" if raw is None else str(raw)
        region = region.upper() if region and len(region) == 2 else self.region
        cache_key = raw if presentation in (None, ALLOWED) and region == self.region \
            else f"{presentation}\x00{region}\x00{raw}"
        facts = self._cache.get(cache_key)
        if facts is None:
            facts = self._parse(raw, presentation, region)
            self._cache[cache_key] = facts
        return facts

    def _parse(self, raw: str, presentation: str | None, region: str) -> NumberFacts:
        marker = presentation_of(raw)
        if presentation not in (None, ALLOWED):
            return NumberFacts(raw, presentation, note="presentation given by the source")
        if marker is not None:
            return NumberFacts(raw, marker, note="marker in place of a number")
        text = _TECH_PREFIX.sub("", raw.strip())
        compact = _CLIR_CODE.sub("", _DIAL_NOISE.sub("", text))
        if compact.startswith("00") and compact[2:].isdigit():
            compact = "+" + compact[2:]
        if not compact or not re.fullmatch(r"\+?\d+[#*\d]*|[#*]\d[\d#*]*", compact):
            return NumberFacts(raw, ALLOWED, note="not a telephone number")
        if region == "FR" and compact[:4] in _FR_OVERSEAS and len(compact) == 10:
            region = _FR_OVERSEAS[compact[:4]]
        if phonenumbers is None:
            _load_phonenumbers()
        try:
            parsed = parse(compact, region)
        except phonenumbers.NumberParseException:
            digits = re.sub(r"\D", "", compact)
            form = (("+" if compact.startswith("+") else "") + digits) if len(digits) >= 3 else None
            return NumberFacts(raw, ALLOWED, kind=INVALID if form else None, note="not a number any plan knows",
                               out_of_plan=form)
        # number_type() is is_valid_number()'s own test (UNKNOWN = invalid): computing it once
        # instead of three times (validity, type, carrier) halves the cost of a new number.
        ntype = phonenumbers.number_type(parsed)
        if ntype != PhoneNumberType.UNKNOWN:
            return self._facts(raw, parsed, ntype)
        # A national number written without its trunk 0 (3019754971, 612345678) or with
        # the country code but no "+" (33612345678, 19018675309).
        for candidate in (("+" + compact) if not compact.startswith("+") else None,):
            if candidate:
                try:
                    alt = phonenumbers.parse(candidate, None)
                except phonenumbers.NumberParseException:
                    alt = None
                alt_type = phonenumbers.number_type(alt) if alt is not None else PhoneNumberType.UNKNOWN
                if alt_type != PhoneNumberType.UNKNOWN and len(compact) > 10:
                    return self._facts(raw, alt, alt_type, note="country code written without +")
        if compact.isdigit() and shortnumberinfo.is_valid_short_number_for_region(parsed, region):
            return NumberFacts(raw, ALLOWED, kind="short-code", country=region,
                               note="national short code", short_code=compact)
        # Not in the plan: kept under its international form so that its calls group (a spoofed
        # campaign uses exactly such numbers), and flagged; never taken for a valid number.
        digits = re.sub(r"\D", "", compact)
        if compact.startswith(("+", "0")) and len(digits) >= 4:
            # written in a national or international form: +<country><national number>
            form = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
        else:
            form = digits or None     # bare digits (12345): kept as they are, never given a country
        country = phonenumbers.region_code_for_country_code(parsed.country_code) if form and form[0] == "+" else None
        return NumberFacts(raw, ALLOWED, kind=INVALID if form else None,
                           country=country if country and country != "ZZ" else None,
                           note=f"not a valid number in region {region}", out_of_plan=form)

    def _facts(self, raw: str, parsed, ntype, note: str | None = None) -> NumberFacts:
        e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
        region = phonenumbers.region_code_for_number(parsed)
        kind = _TYPE_NAMES.get(ntype, "unknown")
        holder = None
        if ntype in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER):
            holder = carrier.name_for_valid_number(parsed, "en") or None
        npv = None
        if parsed.country_code == 33:
            nsn = str(parsed.national_number)
            npv = NPV_PREFIXES.get(nsn[:4]) or NPV_PREFIXES.get(nsn[:3])
        return NumberFacts(raw, ALLOWED, e164, kind, region, holder, npv, note)
