"""Text made safe to show in a terminal, a log or `status`: passwords in URLs redacted, and
characters that could forge or hide output (newlines, terminal escapes, bidi overrides) escaped.

One place for both, used by every edge that prints (cli.py, the daemon's and jobs' log handlers,
what jobs record for `status`), so that no caller has to remember which text may carry what.
"""

from __future__ import annotations

import logging
import re
import unicodedata

# scheme://user:password@host -> scheme://***@host; any scheme (apprise's mailto://, ntfy://...),
# the userinfo being everything up to the last @ before the host part ends.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#\s@]*(?:@[^/?#\s@]*)*)@")

# Bidirectional controls: they reorder what follows them on screen ("txt.exe" shown as "exe.txt").
_BIDI = {"\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
         "\u2066", "\u2067", "\u2068", "\u2069"}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def redact(text: str) -> str:
    """Every URL's userinfo (user name and password) replaced by ***."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:             # a byte of a non-UTF-8 file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")


def escape(text: str) -> str:
    """Control characters (newline, ESC...), line separators, bidi controls and undecodable bytes
    written as escapes (\\n, \\x1b, \\u202e, \\xff), so that a file name prints on one line as it is."""
    if text.isprintable() and not any(ch in _BIDI for ch in text):
        return text
    return "".join(_escape_char(ch) if _unsafe(ch) else ch for ch in text)


def shown(text) -> str:
    """What to print of any text from outside (a file name, an error, a detail): both of the above."""
    return escape(redact(str(text)))


class LogFilter(logging.Filter):
    """Attached to a log handler: every record leaves on one line, without any URL's password.
    A traceback (exc_info, at DEBUG) is left as it is: it is for the developer, not the journal."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = shown(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


def install_log_filter(handlers=None) -> None:
    """Put LogFilter on the root logger's handlers (after logging.basicConfig)."""
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        if not any(isinstance(f, LogFilter) for f in handler.filters):
            handler.addFilter(LogFilter())
