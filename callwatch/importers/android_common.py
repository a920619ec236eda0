"""Android's CallLog.Calls semantics, shared by the XML backups and the SQLite databases."""

from __future__ import annotations

from callwatch.importers.base import (ANSWERED, BLOCKED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME,
                                      VOICEMAIL, Call)
from callwatch.numbers import ALLOWED, PAYPHONE, UNKNOWN, WITHHELD, presentation_of

FAMILY = "android-calllog"
IDENTITY = "date (epoch ms), number (or its presentation when withheld), type, duration"

# CallLog.Calls.TYPE
TYPES = {
    1: (IN, ANSWERED, "incoming"),
    2: (OUT, None, "outgoing"),
    3: (IN, MISSED, "missed"),
    4: (IN, VOICEMAIL, "voicemail"),
    5: (IN, REJECTED, "rejected"),
    6: (IN, BLOCKED, "blocked"),
    7: (IN, ANSWERED, "answered externally"),
}
# CallLog.Calls.NUMBER_PRESENTATION
PRESENTATIONS = {1: ALLOWED, 2: WITHHELD, 3: UNKNOWN, 4: PAYPHONE}


class BadRecord(ValueError):
    """The record cannot become a call; the message is the reject reason."""


def _int(value, name):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRecord(f"{name} is missing")
    try:
        return int(str(value).strip())
    except ValueError:
        raise BadRecord(f"{name} is not a number: {str(value)[:40]!r}") from None


def make_call(*, number, date, duration, type_, presentation, name, ring, locator, country=None,
              own=None, account=None) -> Call:
    """One Android call-log row as a Call. Raises BadRecord with the reason. ``own``: the
    phone account's own number (phone_account_address); ``account``: its SIM subscription
    (subscription_id: an ICCID, or a slot index on some phones)."""
    code = _int(type_, "type")
    if code not in TYPES:
        raise BadRecord(f"unknown call type {code}")
    direction, outcome, label = TYPES[code]
    start_ms = _int(date, "date")
    if not 0 < start_ms < 32503680000000:      # year 3000: a date in seconds or garbage
        raise BadRecord(f"date {start_ms} is not epoch milliseconds")
    seconds = _int(duration, "duration") if duration not in (None, "") else None
    if seconds is not None and seconds < 0:
        raise BadRecord(f"negative duration {seconds}")
    number = "" if number is None else str(number)
    pres = None
    if presentation not in (None, ""):
        pres = PRESENTATIONS.get(_int(presentation, "presentation"))
    if pres is None or pres == ALLOWED:
        # Old schemas have no presentation column: withheld shows as -1/-2/-3 or "".
        pres = presentation_of(number) or ALLOWED
    if outcome is None:     # outgoing: the log cannot tell "no answer" from "0 s"
        outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
    if code == 7:
        seconds = None      # talked on another device: this log has no talk time for it
    identity_number = number if pres == ALLOWED else pres
    return Call(
        start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=locator,
        key=f"{start_ms}|{identity_number}|{code}|{'' if seconds is None else seconds}",
        source_type=f"{code} {label}", time_raw=str(date).strip(), duration_s=seconds,
        ring_s=_int(ring, "ring_time") if ring not in (None, "") else None,
        presentation=pres, caller_name=(name or "").strip() or None,
        region=country.strip().upper() if isinstance(country, str) and country.strip() else None,
        own_number_raw=_text(own), own_account=_text(account))


def _text(value) -> str | None:
    """A column's value as text, or None when empty (SQLite may hand over integers)."""
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text not in ("-1", "null") else None
