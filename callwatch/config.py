"""Configuration: found, loaded from TOML and validated, with errors naming file and key.

Look-up order: ``--config PATH``, then ``$CALLWATCH_CONFIG``, then
``$XDG_CONFIG_HOME/callwatch/callwatch.toml`` (``~/.config/...``). With none of them the
built-in defaults apply (region FR, Europe/Paris), which is enough for ``callwatch demo``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from callwatch.errors import ConfigError, UnsafeFolder
from callwatch.private import check_owned
from callwatch.shown import redact
from callwatch.times import zone

JURISDICTIONS = ("fr", "uk", "us", "generic")
OBJECTION_KINDS = ("gdpr-art21", "refusal", "do-not-call")
OUTCOMES = ("answered", "missed", "rejected", "blocked", "voicemail", "unknown")
DURATION_FORMATS = ("seconds", "minutes", "h:mm", "m:ss", "h:mm:ss")
MAX_SECONDS = 366 * 86400      # any period or count in the configuration: beyond, a typo (and an overflow)


@dataclass(frozen=True)
class Line:
    """One of the household's lines, and how to recognise the calls it received (callwatch/lines.py)."""

    number: str
    label: str
    holder: str | None = None              # the consumer who holds it (default: the complainant)
    sources: tuple[str, ...] = ()          # formats, families or live sources that record this line
    extensions: tuple[str, ...] = ()       # PBX extensions or DIDs that belong to it
    accounts: tuple[str, ...] = ()         # SIM subscriptions / phone accounts (Android subscription_id)


@dataclass(frozen=True)
class Complainant:
    """Who complains: printed on the pack's cover, attestation and letters; a field left out is
    a blank to fill by hand, never a guess."""

    name: str = ""
    address: str = ""
    birth_date: dt.date | None = None      # the attestation (art. 202 CPC) asks for it
    birth_place: str = ""
    occupation: str = ""
    email: str = ""
    phone: str = ""                        # a number to reach you on (any of your lines)
    customer_number: str = ""              # your account or contract number with the operator


@dataclass(frozen=True)
class Operator:
    name: str = ""
    numbers: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    caller_name_patterns: tuple[str, ...] = ()
    # What a call log cannot show, declared by the user; the rules that depend on it say so.
    purpose: str = "canvassing"        # canvassing (sales, retention) | service (billing, repairs)
    consent_given: bool = False        # express prior consent to calls outside the legal hours
    # You hold a contract with it (its subscriber): a contract exception may then apply (L223-1's
    # "contrat en cours", the US established business relationship), and the rules it waives
    # are not applied. True unless you say otherwise: claiming less is safer than overclaiming.
    customer: bool = True


PURPOSES = ("canvassing", "service")


@dataclass(frozen=True)
class Objection:
    company: str
    date: dt.date
    kind: str = "gdpr-art21"


@dataclass(frozen=True)
class Registration:
    """A line registered on an opposition list: Bloctel (FR, until 10 August 2026), the TPS (UK),
    the National Do-Not-Call Registry (US)."""

    list: str                               # bloctel | tps | dnc
    date: dt.date
    line: str | None = None                 # the registered number (None: every line)


REGISTRATION_LISTS = ("bloctel", "tps", "dnc")


@dataclass(frozen=True)
class Asterisk:
    incoming_contexts: tuple[str, ...] = ("from-trunk", "from-pstn", "from-did", "from-external", "incoming")
    outgoing_contexts: tuple[str, ...] = ("from-internal", "outbound", "from-users")
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CsvMapping:
    """A user-declared layout for a CSV no built-in importer knows."""

    name: str
    columns: dict[str, str]                 # field -> header name
    delimiter: str = ","
    time_format: str = "%Y-%m-%d %H:%M:%S"
    timezone: str | None = None             # None: the configured zone; "UTC" for UTC sources
    duration_format: str = "seconds"
    direction_values: dict[str, str] = field(default_factory=dict)   # source value -> in/out
    outcome_values: dict[str, str] = field(default_factory=dict)     # source value -> outcome


@dataclass(frozen=True)
class Detect:
    """Thresholds of the detection (engineering choices, not legal numbers)."""

    silent_max_s: int = 3                 # answered and talk time <= this: silent
    ping_max_ring_s: int = 15             # missed after ringing less than this: abandoned / ping
    block_suffix_digits: int = 3          # a number block: the E.164 number minus its last digits
    rotation_min_numbers: int = 3         # distinct numbers of one block before it is a rotation
    probable_min_similarity: float = 0.80  # behavioural link threshold (0..1)


@dataclass(frozen=True)
class Daemon:
    """What `callwatch daemon` does and how often (seconds, or a cron line for the snapshot)."""

    inbox: Path | None = None             # default: <data_dir>/inbox
    inbox_every_s: int = 30
    stable_s: int = 10                    # a dropped file is taken once unchanged this long
    snapshot_cron: str = "0 6 * * mon"    # weekly evidence snapshot (crontab fields, local time)
    maintenance_every_s: int = 86400      # online backup and PRAGMA optimize
    alert_urls: tuple[str, ...] = ()      # apprise URLs (mailto://, ntfy://, gotify://, json://...)
    alert_max_per_hour: int = 6
    digest_cron: str = ""                 # a daily digest, e.g. "0 20 * * *" (empty: none)
    job_time_limit_s: int = 3600          # a job's process still running after this is stopped (0: no limit)


@dataclass(frozen=True)
class Source:
    """A box polled for its call list."""

    kind: str                             # freebox | fritzbox | livebox
    name: str
    url: str
    every_s: int = 300
    user: str | None = None               # fritzbox, livebox; the password is stored by `source login`


SOURCE_KINDS = ("freebox", "fritzbox", "livebox")
SOURCE_URLS = {"freebox": "http://mafreebox.freebox.fr", "fritzbox": "http://fritz.box:49000",
               "livebox": "http://192.168.1.1"}


@dataclass(frozen=True)
class Web:
    """The local web page (`callwatch web`, or the daemon with ``enabled``): callwatch/web."""

    enabled: bool = False                 # the daemon starts the page beside itself
    bind: str = "127.0.0.1:8740"          # HOST:PORT ([::1]:8740 for IPv6); loopback needs no login
    trusted_proxy_header: str = ""        # e.g. "Remote-User": a reverse proxy that authenticates sets it
    upload_max_mb: int = 200              # the largest export (or pack to verify) the page accepts


def parse_bind(text: str) -> tuple[str, int]:
    """'HOST:PORT' (IPv6 in brackets) -> (host, port); ValueError with the reason."""
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^:\[\]\s]+):(\d{1,5})", text.strip())
    if not m:
        raise ValueError(f"must be HOST:PORT like 127.0.0.1:8740 or [::1]:8740, not {text!r}")
    host, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if not 0 <= int(port) < 65536:            # 0: any free port (the page prints the one it got)
        raise ValueError(f"port {port} is out of range (1 to 65535)")
    return host, int(port)


@dataclass(frozen=True)
class Timestamp:
    """An RFC 3161 time-stamping authority for evidence packs."""

    url: str | None = None
    ca_file: Path | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    region: str = "FR"
    timezone: str = "Europe/Paris"
    jurisdiction: str = "fr"
    lines: tuple[Line, ...] = ()
    complainant: Complainant = Complainant()
    operator: Operator = Operator()
    objections: tuple[Objection, ...] = ()
    registrations: tuple[Registration, ...] = ()
    asterisk: Asterisk = Asterisk()
    csv_mappings: tuple[CsvMapping, ...] = ()
    detect: Detect = Detect()
    timestamp: Timestamp = Timestamp()
    daemon: Daemon = Daemon()
    sources: tuple[Source, ...] = ()
    web: Web = Web()
    raw: bytes = b""

    @property
    def report_language(self) -> str:
        """The language of evidence packs: French for the French rules, English otherwise."""
        return "fr" if self.jurisdiction == "fr" else "en"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the configuration file as read (empty string: built-in defaults)."""
        return hashlib.sha256(self.raw).hexdigest()


def default_data_dir() -> Path:
    if os.environ.get("CALLWATCH_DATA_DIR"):
        return Path(os.environ["CALLWATCH_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callwatch"


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "callwatch" / "callwatch.toml"


def find_config(explicit: str | os.PathLike | None = None) -> Path | None:
    """The configuration file to use, or None for the built-in defaults."""
    if explicit:
        return Path(explicit)
    if os.environ.get("CALLWATCH_CONFIG"):
        return Path(os.environ["CALLWATCH_CONFIG"])
    candidate = default_config_path()
    return candidate if candidate.exists() else None


def load(explicit: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None) -> Config:
    path = find_config(explicit)
    if path is None:
        cfg = Config()
    else:
        try:
            raw = path.read_bytes()
            check_owned(path, "configuration file")
        except OSError as exc:
            raise ConfigError(path, None, f"cannot read: {exc.strerror or exc}") from exc
        except UnsafeFolder as exc:
            # Whoever can write the configuration decides where data goes and which URLs get alerts.
            raise ConfigError(path, None, str(exc).removeprefix(f"{path}: ")) from None
        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(path, None, "not UTF-8 text") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(path, None, f"not valid TOML: {exc}") from exc
        cfg = _Validator(path).config(doc, raw)
    if data_dir:
        cfg = _replace(cfg, data_dir=Path(data_dir).expanduser())
    return cfg


def _replace(cfg: Config, **changes) -> Config:
    from dataclasses import replace
    return replace(cfg, **changes)


class _Validator:
    """Reads a parsed TOML document into a Config, one key at a time, naming what is wrong."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key, problem):
        raise ConfigError(self.path, key, problem)

    def known(self, table: dict, allowed: set[str], where: str):
        for key in table:
            if key not in allowed:
                self.fail(f"{where}{key}", f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def get(self, table, key, kind, where="", default=None, required=False):
        name = f"{where}{key}"
        if key not in table:
            if required:
                self.fail(name, "is required")
            return default
        value = table[key]
        if kind is str and not isinstance(value, str):
            self.fail(name, f"must be a string, not {type(value).__name__}")
        if kind is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            self.fail(name, "must be a list of strings")
        if kind is dict and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            self.fail(name, "must be a table of strings")
        if kind is dt.date:
            if isinstance(value, dt.datetime):
                value = value.date()
            elif isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    self.fail(name, f"must be a date like 2026-03-01, not {value!r}")
            elif not isinstance(value, dt.date):
                self.fail(name, "must be a date like 2026-03-01")
        return value

    def config(self, doc: dict, raw: bytes) -> Config:
        self.known(doc, {"data_dir", "region", "timezone", "jurisdiction", "lines", "complainant", "operator",
                         "objections", "registrations", "asterisk", "csv_mappings", "detect", "timestamp",
                         "daemon", "sources", "web"}, "")
        kw: dict = {"path": self.path, "raw": raw}
        if "data_dir" in doc:
            kw["data_dir"] = Path(self.get(doc, "data_dir", str)).expanduser()
        region = self.get(doc, "region", str, default="FR")
        if not re.fullmatch(r"[A-Za-z]{2}", region):
            self.fail("region", f"must be a two-letter country code like FR, not {region!r}")
        kw["region"] = region.upper()
        tz = self.get(doc, "timezone", str, default="Europe/Paris")
        try:
            zone(tz)
        except Exception:
            self.fail("timezone", f"unknown time zone {tz!r} (use an IANA name like Europe/Paris)")
        kw["timezone"] = tz
        jur = self.get(doc, "jurisdiction", str, default="fr").lower()
        if jur not in JURISDICTIONS:
            self.fail("jurisdiction", f"must be one of {', '.join(JURISDICTIONS)}, not {jur!r}")
        kw["jurisdiction"] = jur
        kw["lines"] = tuple(self.line(t, i) for i, t in enumerate(self.tables(doc, "lines")))
        self.check_lines(kw["lines"])
        if "operator" in doc:
            kw["operator"] = self.operator(doc["operator"])
        if "complainant" in doc:
            kw["complainant"] = self.complainant(doc["complainant"])
        kw["objections"] = tuple(self.objection(t, i) for i, t in enumerate(self.tables(doc, "objections")))
        kw["registrations"] = tuple(self.registration(t, i) for i, t in enumerate(self.tables(doc, "registrations")))
        if "asterisk" in doc:
            kw["asterisk"] = self.asterisk(doc["asterisk"])
        kw["csv_mappings"] = tuple(self.mapping(t, i) for i, t in enumerate(self.tables(doc, "csv_mappings")))
        if "detect" in doc:
            kw["detect"] = self.detect(doc["detect"])
        if "timestamp" in doc:
            kw["timestamp"] = self.timestamp(doc["timestamp"])
        if "daemon" in doc:
            kw["daemon"] = self.daemon(doc["daemon"])
        kw["sources"] = tuple(self.source(t, i) for i, t in enumerate(self.tables(doc, "sources")))
        if "web" in doc:
            kw["web"] = self.web(doc["web"])
        names = [s.name for s in kw["sources"]]
        if len(names) != len(set(names)):
            self.fail("sources", "two sources have the same name")
        return Config(**kw)

    def source(self, t, i):
        w = f"sources[{i}]."
        self.known(t, {"kind", "name", "url", "every_s", "user"}, w)
        kind = self.get(t, "kind", str, w, required=True)
        if kind not in SOURCE_KINDS:
            self.fail(f"{w}kind", f"must be one of {', '.join(SOURCE_KINDS)}, not {kind!r}")
        url = self.get(t, "url", str, w, default=SOURCE_URLS[kind]).rstrip("/")
        if not re.match(r"https?://", url):
            self.fail(f"{w}url", f"must be an http:// or https:// address, not {redact(url)!r}")
        every = t.get("every_s", 300)
        if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_SECONDS:
            self.fail(f"{w}every_s", f"must be a whole number of seconds from 1 to {MAX_SECONDS} (a year)")
        name = self.get(t, "name", str, w, default=kind)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
            # The name becomes part of file names (polls, secrets): no path separators, no dot-dot.
            self.fail(f"{w}name", "must be letters, digits, '.', '_' or '-' (at most 64), not starting with a dot")
        user = self.get(t, "user", str, w, default="admin" if kind == "livebox" else None)
        if kind == "fritzbox" and not user:
            self.fail(f"{w}user", "a FRITZ!Box (FRITZ!OS 7.24 and later) needs the user name set for TR-064 access")
        return Source(kind=kind, name=name, url=url, every_s=every, user=user)

    def daemon(self, t):
        if not isinstance(t, dict):
            self.fail("daemon", "must be a table ([daemon])")
        w = "daemon."
        d = Daemon()
        self.known(t, set(d.__dataclass_fields__), w)
        kw = {}
        for name in ("inbox_every_s", "stable_s", "maintenance_every_s", "alert_max_per_hour", "job_time_limit_s"):
            if name in t:
                value = t[name]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    self.fail(f"{w}{name}", "must be a whole number of seconds (or a count) >= 0")
                if value > MAX_SECONDS:
                    self.fail(f"{w}{name}", f"must be at most {MAX_SECONDS} (a year), not {value}")
                kw[name] = value
        if "inbox" in t:
            kw["inbox"] = Path(self.get(t, "inbox", str, w)).expanduser()
        for key in ("snapshot_cron", "digest_cron"):
            if key in t:
                cron = self.get(t, key, str, w)
                if cron and len(cron.split()) != 5:
                    self.fail(f"{w}{key}", f"must have 5 crontab fields (minute hour day month weekday), not {cron!r}")
                kw[key] = cron
        if "alert_urls" in t:
            kw["alert_urls"] = tuple(self.get(t, "alert_urls", list, w))
        return Daemon(**{**d.__dict__, **kw})

    def web(self, t):
        if not isinstance(t, dict):
            self.fail("web", "must be a table ([web])")
        w = "web."
        self.known(t, {"enabled", "bind", "trusted_proxy_header", "upload_max_mb"}, w)
        enabled = t.get("enabled", False)
        if not isinstance(enabled, bool):
            self.fail(f"{w}enabled", "must be true or false")
        bind = self.get(t, "bind", str, w, default=Web.bind)
        try:
            parse_bind(bind)
        except ValueError as exc:
            self.fail(f"{w}bind", str(exc))
        header = self.get(t, "trusted_proxy_header", str, w, default="")
        if header and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", header):
            self.fail(f"{w}trusted_proxy_header", f"must be an HTTP header name like Remote-User, not {header!r}")
        size = t.get("upload_max_mb", Web.upload_max_mb)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            self.fail(f"{w}upload_max_mb", "must be a whole number of megabytes >= 1")
        return Web(enabled=enabled, bind=bind, trusted_proxy_header=header, upload_max_mb=size)

    def timestamp(self, t):
        if not isinstance(t, dict):
            self.fail("timestamp", "must be a table ([timestamp])")
        w = "timestamp."
        self.known(t, {"url", "ca_file", "timeout_s"}, w)
        url = self.get(t, "url", str, w, required=True)
        if not re.match(r"https?://", url):
            self.fail(f"{w}url", f"must be an http:// or https:// address, not {redact(url)!r}")
        ca = self.get(t, "ca_file", str, w)
        timeout = t.get("timeout_s", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            self.fail(f"{w}timeout_s", "must be a positive number of seconds")
        return Timestamp(url=url, ca_file=Path(ca).expanduser() if ca else None, timeout_s=float(timeout))

    def detect(self, t):
        if not isinstance(t, dict):
            self.fail("detect", "must be a table ([detect])")
        w = "detect."
        d = Detect()
        self.known(t, set(d.__dataclass_fields__), w)
        values = {}
        for name, default in d.__dict__.items():
            if name not in t:
                continue
            value = t[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(f"{w}{name}", "must be a number")
            if isinstance(default, int) and not isinstance(value, int):
                self.fail(f"{w}{name}", "must be a whole number")
            if value < 0 or (name == "probable_min_similarity" and value > 1):
                self.fail(f"{w}{name}", "out of range" + (" (0 to 1)" if name == "probable_min_similarity" else ""))
            if value > MAX_SECONDS:        # beyond, SQLite and numpy overflow
                self.fail(f"{w}{name}", f"out of range (at most {MAX_SECONDS})")
            values[name] = value
        return Detect(**{**d.__dict__, **values})

    def tables(self, doc, key):
        value = doc.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            self.fail(key, f"must be an array of tables ([[{key}]])")
        return value

    def line(self, t, i):
        w = f"lines[{i}]."
        self.known(t, {"number", "label", "holder", "sources", "extensions", "accounts"}, w)
        number = self.get(t, "number", str, w, required=True)
        # A shape check only: phonenumbers stays out of the daemon's process (lines.py normalises).
        if not re.fullmatch(r"\+?[\d\s.()\-]{4,30}", number) or sum(c.isdigit() for c in number) < 4:
            self.fail(f"{w}number", f"{number!r} is not a telephone number")
        return Line(number=number, label=self.get(t, "label", str, w, default=number),
                    holder=self.get(t, "holder", str, w),
                    sources=tuple(self.get(t, "sources", list, w, default=[])),
                    extensions=tuple(self.get(t, "extensions", list, w, default=[])),
                    accounts=tuple(self.get(t, "accounts", list, w, default=[])))

    def check_lines(self, lines):
        """Two lines may not share a number, a label, an extension or an account: a call must
        reach one line only."""
        for what, values in (("number", [re.sub(r"\D", "", ln.number).lstrip("0") for ln in lines]),
                             ("label", [ln.label for ln in lines]),
                             ("extension", [e for ln in lines for e in ln.extensions]),
                             ("account", [a for ln in lines for a in ln.accounts])):
            seen = set()
            for v in values:
                if v in seen:
                    self.fail("lines", f"two lines have the same {what} {v!r}")
                seen.add(v)

    def operator(self, t):
        if not isinstance(t, dict):
            self.fail("operator", "must be a table ([operator])")
        w = "operator."
        self.known(t, {"name", "numbers", "prefixes", "caller_name_patterns", "purpose", "consent_given", "customer"}, w)
        purpose = self.get(t, "purpose", str, w, default="canvassing")
        if purpose not in PURPOSES:
            self.fail(f"{w}purpose", f"must be one of {', '.join(PURPOSES)}, not {purpose!r}")
        consent = t.get("consent_given", False)
        if not isinstance(consent, bool):
            self.fail(f"{w}consent_given", "must be true or false")
        customer = t.get("customer", True)
        if not isinstance(customer, bool):
            self.fail(f"{w}customer", "must be true or false")
        patterns = tuple(self.get(t, "caller_name_patterns", list, w, default=[]))
        for j, pat in enumerate(patterns):
            try:
                re.compile(pat)
            except re.error as exc:
                self.fail(f"{w}caller_name_patterns[{j}]", f"not a valid regular expression: {exc}")
        return Operator(name=self.get(t, "name", str, w, default=""),
                        numbers=tuple(self.get(t, "numbers", list, w, default=[])),
                        prefixes=tuple(self.get(t, "prefixes", list, w, default=[])),
                        caller_name_patterns=patterns, purpose=purpose, consent_given=consent, customer=customer)

    def objection(self, t, i):
        w = f"objections[{i}]."
        self.known(t, {"company", "date", "kind"}, w)
        kind = self.get(t, "kind", str, w, default="gdpr-art21")
        if kind not in OBJECTION_KINDS:
            self.fail(f"{w}kind", f"must be one of {', '.join(OBJECTION_KINDS)}, not {kind!r}")
        return Objection(company=self.get(t, "company", str, w, required=True),
                         date=self.get(t, "date", dt.date, w, required=True), kind=kind)

    def complainant(self, t):
        if not isinstance(t, dict):
            self.fail("complainant", "must be a table ([complainant])")
        w = "complainant."
        fields = set(Complainant.__dataclass_fields__)
        self.known(t, fields, w)
        kw = {k: self.get(t, k, str, w, default="") for k in fields - {"birth_date"}}
        if "birth_date" in t:
            kw["birth_date"] = self.get(t, "birth_date", dt.date, w)
        return Complainant(**kw)

    def registration(self, t, i):
        w = f"registrations[{i}]."
        self.known(t, {"list", "date", "line"}, w)
        name = self.get(t, "list", str, w, required=True)
        if name not in REGISTRATION_LISTS:
            self.fail(f"{w}list", f"must be one of {', '.join(REGISTRATION_LISTS)}, not {name!r}")
        line = self.get(t, "line", str, w)
        if line is not None and (not re.fullmatch(r"\+?[\d\s.()\-]{4,30}", line) or sum(c.isdigit() for c in line) < 4):
            self.fail(f"{w}line", f"{line!r} is not a telephone number")
        return Registration(list=name, date=self.get(t, "date", dt.date, w, required=True), line=line)

    def asterisk(self, t):
        if not isinstance(t, dict):
            self.fail("asterisk", "must be a table ([asterisk])")
        w = "asterisk."
        self.known(t, {"incoming_contexts", "outgoing_contexts", "extensions"}, w)
        d = Asterisk()
        return Asterisk(
            incoming_contexts=tuple(self.get(t, "incoming_contexts", list, w, default=d.incoming_contexts)),
            outgoing_contexts=tuple(self.get(t, "outgoing_contexts", list, w, default=d.outgoing_contexts)),
            extensions=tuple(self.get(t, "extensions", list, w, default=[])))

    def mapping(self, t, i):
        w = f"csv_mappings[{i}]."
        self.known(t, {"name", "columns", "delimiter", "time_format", "timezone", "duration_format",
                       "direction_values", "outcome_values"}, w)
        name = self.get(t, "name", str, w, required=True)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            self.fail(f"{w}name", "must be lower-case letters, digits, - or _")
        columns = self.get(t, "columns", dict, w, required=True)
        fields = {"start", "number", "direction", "outcome", "duration", "ring", "name", "own_line", "id"}
        self.known(columns, fields, f"{w}columns.")
        for need in ("start", "number"):
            if need not in columns:
                self.fail(f"{w}columns.{need}", "is required")
        delimiter = self.get(t, "delimiter", str, w, default=",")
        if len(delimiter) != 1:
            self.fail(f"{w}delimiter", "must be one character")
        tzname = self.get(t, "timezone", str, w)
        if tzname is not None:
            try:
                zone(tzname)
            except Exception:
                self.fail(f"{w}timezone", f"unknown time zone {tzname!r}")
        dfmt = self.get(t, "duration_format", str, w, default="seconds")
        if dfmt not in DURATION_FORMATS:
            self.fail(f"{w}duration_format", f"must be one of {', '.join(DURATION_FORMATS)}")
        directions = self.get(t, "direction_values", dict, w, default={})
        for k, v in directions.items():
            if v not in ("in", "out"):
                self.fail(f"{w}direction_values.{k}", "must be \"in\" or \"out\"")
        outcomes = self.get(t, "outcome_values", dict, w, default={})
        for k, v in outcomes.items():
            if v not in OUTCOMES:
                self.fail(f"{w}outcome_values.{k}", f"must be one of {', '.join(OUTCOMES)}")
        return CsvMapping(name=name, columns=columns, delimiter=delimiter,
                          time_format=self.get(t, "time_format", str, w, default="%Y-%m-%d %H:%M:%S"),
                          timezone=tzname, duration_format=dfmt,
                          direction_values=directions, outcome_values=outcomes)
