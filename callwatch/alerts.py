"""Telling the user: one alert per event, through apprise (e-mail, ntfy, Gotify, Matrix...).

Events come from the stored findings (never recomputed here):

* a new finding (a campaign or nuisance not seen before);
* a legal threshold crossed: the first call beyond the calls-per-window cap in a month, each call
  after an objection or refusal, each call outside the permitted hours.

Each event has a key; a key is alerted once, ever (table ``alerts_sent``). At most
``alert_max_per_hour`` alerts go out per hour; the rest are recorded as held back and counted
in the next alert that goes out. Alerts carry figures and times, never a whole call log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Event:
    key: str
    title: str
    body: str


def pending_events(store) -> list[Event]:
    db = store.db
    sent = {r["key"] for r in db.query("SELECT key FROM alerts_sent")}
    events = []
    kinds = _rule_kinds(store)
    for f in db.query("SELECT * FROM findings ORDER BY id"):
        key = f"finding:{f['key']}"
        if key not in sent and f["severity"] in ("high", "medium"):
            events.append(Event(key, f"callwatch: {f['label']}", f["why"]))
        for b in db.query("SELECT b.rule_id, b.call_id, b.detail, c.start_utc FROM breaches b "
                          "JOIN calls c ON c.id = b.call_id WHERE b.finding_id = ? ORDER BY c.start_ms", [f["id"]]):
            kind = kinds.get(b["rule_id"])
            if kind == "max_per_window":
                key = f"threshold:{f['key']}:{b['rule_id']}:{b['start_utc'][:7]}"
                title = f"callwatch: {f['label']} went over the limit ({b['rule_id']})"
            elif kind in ("after_objection", "cooldown_after", "allowed_window"):
                key = f"call:{b['rule_id']}:{b['call_id']}"
                title = f"callwatch: {f['label']} called again ({b['rule_id']})"
            else:
                continue
            if key not in sent and all(e.key != key for e in events):
                events.append(Event(key, title, f"{b['start_utc']}: {b['detail']}"))
    return events


def _rule_kinds(store) -> dict[str, str]:
    from callwatch.detect import rules
    row = next(store.db.query("SELECT rule_pack FROM scans ORDER BY id DESC LIMIT 1"), None)
    if row is None:
        return {}
    return {r.id: r.kind for r in rules.load_pack(row["rule_pack"]).rules}


def dispatch(store, config, notify=None) -> tuple[int, int]:
    """Send what is pending; returns (sent, held back). ``notify(title, body) -> bool``
    defaults to apprise with the configured URLs."""
    urls = config.daemon.alert_urls
    if notify is None:
        if not urls:
            return 0, 0
        notify = _apprise(urls)
    events = pending_events(store)
    if not events:
        return 0, 0
    hour_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    recent = store.conn.execute("SELECT COUNT(*) FROM alerts_sent WHERE delivered = 1 AND sent_at > ?",
                                [hour_ago]).fetchone()[0]
    budget = max(config.daemon.alert_max_per_hour - recent, 0)
    held = store.conn.execute("SELECT COUNT(*) FROM alerts_sent WHERE delivered = 0").fetchone()[0]
    sent = 0
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for event in events:
        delivered = 0
        if sent < budget:
            body = event.body
            if held:
                body += f"\n({held} other alert(s) were held back by the rate limit: see `callwatch scan`.)"
            if notify(event.title, body):
                delivered, sent, held = 1, sent + 1, 0
            else:
                log.warning("alert not delivered: %s", event.title)
                continue                      # retried next time
        with store.transaction():
            store.conn.execute("INSERT OR IGNORE INTO alerts_sent (key, sent_at, title, delivered) VALUES (?, ?, ?, ?)",
                               [event.key, now, event.title, delivered])
    return sent, len(events) - sent


def _apprise(urls):
    import apprise
    client = apprise.Apprise()
    for url in urls:
        client.add(url)

    def notify(title: str, body: str) -> bool:
        return bool(client.notify(title=title, body=body))
    return notify


def shown_url(url: str) -> str:
    """An alert URL as it may be printed: its scheme and host only (apprise URLs carry tokens and
    passwords in their user, path and query)."""
    import re
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://(?:[^@/]*@)?([^/:?#]*)", url)
    return f"{m.group(1)}://{m.group(2) or '...'}/..." if m else "(not a URL)"


def send_test(config) -> list[tuple[str, bool]]:
    """Send one test message to each alert URL, alone, so that a failing one is named:
    [(the URL as it may be printed, delivered)]."""
    from callwatch.errors import CallwatchError
    urls = config.daemon.alert_urls
    if not urls:
        raise CallwatchError("no alert URL configured: add [daemon] alert_urls (e.g. [\"ntfy://my-topic\"]) to "
                             f"{config.path or 'the configuration'}")
    results = []
    for url in urls:
        import apprise
        client = apprise.Apprise()
        if not client.add(url):
            results.append((shown_url(url), False))
            continue
        results.append((shown_url(url), bool(client.notify(
            title="callwatch: test alert", body="This is a test from `callwatch alerts test`: alerts reach you."))))
    return results


def source_failing(store, config, name: str, detail: str) -> bool:
    """One alert per failure streak of a source (the streak starts at its first failure)."""
    streak = store.conn.execute(
        "SELECT MIN(id) FROM job_runs WHERE job = ? AND result = 'failed' AND id > "
        "IFNULL((SELECT MAX(id) FROM job_runs WHERE job = ? AND result = 'ok'), 0)",
        [f"source:{name}", f"source:{name}"]).fetchone()[0]
    key = f"source-failing:{name}:{streak}"
    if store.conn.execute("SELECT 1 FROM alerts_sent WHERE key = ?", [key]).fetchone():
        return False
    delivered = 0
    if config.daemon.alert_urls:
        delivered = int(_apprise(config.daemon.alert_urls)(f"callwatch: source {name} keeps failing", detail))
    with store.transaction():
        store.conn.execute("INSERT OR IGNORE INTO alerts_sent (key, sent_at, title, delivered) VALUES (?, ?, ?, ?)",
                           [key, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), f"source {name} failing", delivered])
    return bool(delivered)


def digest(store, config, now_ms: int | None = None) -> tuple[str, str]:
    """The day in one message: calls of the last 24 hours per finding, and the findings' state."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    since = now_ms - 86_400_000
    lines = []
    for f in store.db.query(
            "SELECT f.label, f.severity, (SELECT COUNT(*) FROM finding_calls fc JOIN calls c ON c.id = fc.call_id "
            "WHERE fc.finding_id = f.id AND c.start_ms > ?) AS today FROM findings f ORDER BY today DESC, f.id",
            [since]):
        lines.append(f"{f['label']} [{f['severity']}]: {f['today']} call(s) in the last 24 hours")
    total = store.conn.execute("SELECT COUNT(*) FROM calls WHERE start_ms > ? AND direction = 'in'", [since]).fetchone()[0]
    title = f"callwatch daily digest: {total} incoming call(s) in 24 hours"
    return title, "\n".join(lines) or "No finding."


def send_digest(store, config, notify=None) -> bool:
    if notify is None:
        if not config.daemon.alert_urls:
            return False
        notify = _apprise(config.daemon.alert_urls)
    title, body = digest(store, config)
    return bool(notify(title, body))
