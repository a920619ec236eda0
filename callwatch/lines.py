"""The household's lines: which of them each call reached, and on what basis.

A call reached a line the household declared in ``[[lines]]`` when the record says so (its own
number, an extension or DID of the line, the SIM subscription it used) or when the config says
that the source recording it records that line (``sources``). A record that names an own number
the config does not list reached that number's line. Anything else reached an unknown line,
named after its source (``source:<family>``): it is never taken for another source's line, so
two phones ringing together stay two calls.

The line is stored with each call (``calls.line``, ``calls.line_basis``); cross-source merging
(store.py) joins only records of the same line, and rules that count per consumer or per line
(detect/rules.py) group calls by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from callwatch.numbers import Normaliser

OWN_NUMBER, EXTENSION, ACCOUNT, SOURCE, UNMAPPED = "own-number", "extension", "account", "source", "unmapped"
UNMAPPED_PREFIX = "source:"


@dataclass(frozen=True)
class Resolved:
    line: str           # the line's E.164 number, or "source:<family>"
    basis: str          # OWN_NUMBER | EXTENSION | ACCOUNT | SOURCE | UNMAPPED


class LineResolver:
    """Resolves calls to lines with one configuration; cached per distinct input."""

    def __init__(self, config, normaliser: Normaliser | None = None):
        self.normaliser = normaliser or Normaliser(config.region)
        self.numbers: dict[str, str] = {}                  # E.164 -> the line's key (its E.164 number)
        self.extensions: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        self.sources: dict[str, list[str]] = {}            # family / format / live source -> lines
        for line in config.lines:
            key = line_key(line, self.normaliser)
            self.numbers[key] = key
            for ext in line.extensions:
                self.extensions[ext.strip()] = key
            for acc in line.accounts:
                self.accounts[acc.strip()] = key
            for src in line.sources:
                self.sources.setdefault(src.strip(), []).append(key)
        self._cache: dict[tuple, Resolved] = {}

    def resolve(self, own: str | None, account: str | None, family: str, fmt: str,
                source: str | None = None) -> Resolved:
        """``own``: the own number as the record wrote it (an E.164 key once normalised, an
        extension, a DID); ``account``: the SIM subscription or phone account; ``family`` and
        ``fmt``: the export's format; ``source``: the live box's name for a poll."""
        cache_key = (own, account, family, fmt, source)
        hit = self._cache.get(cache_key)
        if hit is None:
            hit = self._cache[cache_key] = self._resolve(own, account, family, fmt, source)
        return hit

    def _resolve(self, own, account, family, fmt, source) -> Resolved:
        own_key = None
        if own:
            text = own.strip()
            if text in self.extensions:
                return Resolved(self.extensions[text], EXTENSION)
            own_key = text if text.startswith("+") else self.normaliser.normalise(text).key
            own_key = own_key if own_key and own_key.startswith("+") else None
            if own_key in self.numbers:
                return Resolved(own_key, OWN_NUMBER)
        if account and account.strip() in self.accounts:
            return Resolved(self.accounts[account.strip()], ACCOUNT)
        if own_key:     # the export names a line the config does not list: that line, not a guess
            return Resolved(own_key, OWN_NUMBER)
        for name in (source, fmt, family):
            claimed = self.sources.get(name) if name else None
            if claimed and len(set(claimed)) == 1:       # two lines claiming one source settle nothing
                return Resolved(claimed[0], SOURCE)
        return Resolved(UNMAPPED_PREFIX + family, UNMAPPED)


def line_key(line, normaliser: Normaliser) -> str:
    """A configured line's identity in the store: its E.164 number (checked by config.py)."""
    return normaliser.normalise(line.number).key or line.number


def labels(config) -> dict[str, str]:
    """Line key -> how reports name it."""
    normaliser = Normaliser(config.region)
    return {line_key(line, normaliser): line.label for line in config.lines}


def name(line: str | None, names: dict[str, str], lang: str = "en") -> str:
    """How a report names a line: its label, its number, or the source it is unknown from."""
    if line is None:
        return "?"
    if line in names:
        return names[line]
    if line.startswith(UNMAPPED_PREFIX):
        source = line[len(UNMAPPED_PREFIX):]
        return f"ligne inconnue ({source})" if lang == "fr" else f"unknown line ({source})"
    return line


def registrations(config) -> tuple:
    """The config's opposition-list registrations, each line given by its key (as calls.line)."""
    from dataclasses import replace
    normaliser = Normaliser(config.region)
    return tuple(replace(r, line=normaliser.normalise(r.line).key or r.line) if r.line else r
                 for r in config.registrations)


def holders(config) -> dict[str, str]:
    """Line key -> the consumer who holds it (``holder``; by default the complainant, one
    consumer for every declared line). Rules that count per consumer group lines by this."""
    normaliser = Normaliser(config.region)
    return {line_key(line, normaliser): (line.holder or "complainant") for line in config.lines}
