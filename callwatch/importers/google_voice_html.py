"""Google Voice, Google Takeout: one HTML file per call (``Voice/Calls/<number> - <Type> - <UTC>.html``).
Recognised by the whole page, or by the call's own markup when the page lost its ``<head>`` or its
"Call Log for" title on the way (a published time with a kind label or the other party's hCard).

The call's kind is in the ``rel="tag"`` labels (``#missed``, ``#received``, ``#placed``,
``#voicemail``, ``#recorded``) and in the text ("Missed call from"...); the other party in
``<a class="tel" href="tel:+1...">`` (empty when withheld) with its name in ``span.fn``; the time in
``<abbr class="published" title="2023-05-18T21:02:28.348-04:00">`` (with its own offset: the shown
text uses U+202F before AM/PM and is never parsed); the talk time in
``<abbr class="duration" title="PT1M5S">`` (none for missed calls).
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

from callwatch.errors import NotACallLog, UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, VOICEMAIL, Call
from callwatch.times import EPOCH

_KINDS = {"missed": (IN, MISSED), "received": (IN, ANSWERED), "placed": (OUT, ANSWERED),
          "voicemail": (IN, VOICEMAIL), "recorded": (IN, ANSWERED)}
_TEXT = {"Missed call from": "missed", "Received call from": "received", "Placed call to": "placed",
         "Voicemail from": "voicemail", "Recorded call with": "recorded"}
_ISO_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")
MAX_BYTES = 8 * 1024 * 1024


# The call's own microformat markup, which survives a page saved without its <head> or its
# "Call Log for" title: the published time, and a kind label (rel="tag" to voice#missed...) or the
# other party's hCard (vcard with a tel link).
_PUBLISHED = re.compile(r"<abbr\s[^>]*class=[\"']?[^\"'>]*\bpublished\b", re.I)
_KIND_TAG = re.compile(r"rel=[\"']?tag\b[^>]*href=[\"']?[^\"'>]*voice#(?:" + "|".join(_KINDS) + r")\b", re.I)
_HCARD = re.compile(r"class=[\"']?[^\"'>]*\bvcard\b[\s\S]*?class=[\"']?[^\"'>]*\btel\b", re.I)


def _recognise(sniff) -> int:
    text = sniff.text
    if 'class="haudio"' in text and "Call Log for" in text and 'class="published"' in text:
        return 85
    if 'class="hChatLog' in text or ("Google Voice" in text and 'class="message"' in text):
        return 50           # a Takeout text-message page: parsed only to be skipped with its reason
    if _PUBLISHED.search(text) and (_KIND_TAG.search(text) or _HCARD.search(text)):
        return 80
    return 0


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.tel, self.name, self.published, self.duration, self.text = [], None, "", None, None, []
        self._in_tel_fn = False
        self.line = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "a" and a.get("rel") == "tag":
            self.tags.append((a.get("href") or "").rsplit("#", 1)[-1].lower())
        elif tag == "a" and "tel" in cls:
            self.tel = (a.get("href") or "").removeprefix("tel:")
        elif tag == "span" and "fn" in cls and self.tel is not None:
            self._in_tel_fn = True
        elif tag == "abbr" and "published" in cls:
            self.published, self.line = a.get("title"), self.getpos()[0]
        elif tag == "abbr" and "duration" in cls:
            self.duration = a.get("title")

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_tel_fn = False

    def handle_data(self, data):
        if self._in_tel_fn:
            self.name += data
        self.text.append(data)


def _seconds(value: str | None) -> int | None:
    if not value:
        return None
    m = _ISO_DURATION.fullmatch(value.strip())
    if not m:
        raise ValueError(f"duration {value[:40]!r} is not ISO 8601 (PT1M5S)")
    h, mi, s = (float(x) if x else 0 for x in m.groups())
    return int(h * 3600 + mi * 60 + s)


def _parse(sniff, ctx):
    if sniff.size > MAX_BYTES:
        raise UnreadableFile(sniff.path, "HTML file too large for one Google Voice call")
    page = _Page()
    with open(sniff.path, encoding=sniff.encoding or "utf-8", errors="replace") as fh:
        page.feed(fh.read())
    page.close()
    text = " ".join(" ".join(page.text).split())
    kind = next((t for t in page.tags if t in _KINDS), None) or next((k for s, k in _TEXT.items() if s in text), None)
    if kind is None:
        raise NotACallLog(sniff.path, "a Google Voice page that is not a call (a text message?): skipped")
    if not page.published:
        raise UnreadableFile(sniff.path, "no <abbr class=\"published\"> time in this call page")
    try:
        start = datetime.fromisoformat(page.published)
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        raise UnreadableFile(sniff.path, f"published time {page.published[:40]!r} has no offset") from None
    delta = start - EPOCH
    start_ms = (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000
    direction, outcome = _KINDS[kind]
    try:
        seconds = _seconds(page.duration)
    except ValueError as exc:
        raise UnreadableFile(sniff.path, str(exc)) from None
    if outcome == MISSED:
        seconds = 0 if seconds is None else seconds
    if direction == OUT and not seconds:
        outcome = UNKNOWN_OUTCOME
    number = page.tel or ""
    yield Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number,
               locator=f"abbr.published (line {page.line})", key=f"{page.published}|{number}|{kind}",
               source_type=kind, tz=start.strftime("UTC%z"), time_raw=page.published, duration_s=seconds,
               caller_name=page.name.strip() or None,
               region="US")          # a US service: numbers written without "+" are North American


FORMAT = Format(
    name="google-voice-html", family="google-voice", description="Google Voice call page (Google Takeout HTML)",
    identity="published time, number, kind", recognise=_recognise, parse=_parse)
