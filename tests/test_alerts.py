"""Alerts reach a local apprise sink once per event, never twice, within the rate limit."""

import datetime as dt
import http.server
import json
import threading

import pytest

from callwatch import alerts
from callwatch.detect import scan
from household import OPERATOR_CONFIG, oppo_xml


@pytest.fixture
def sink():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"json://127.0.0.1:{server.server_address[1]}/", received
    server.shutdown()


def calls(days, hour=11):
    return [(dt.datetime(2026, 9, d, hour, 0), "0162345010", 3, 0, 6, "op") for d in days]


def test_fifth_attempt_raises_one_alert_and_never_again(make_household, sink):
    url, received = sink
    h = make_household(OPERATOR_CONFIG + f'\n[daemon]\nalert_urls = ["{url}"]\n')
    h.import_(h.write("a.xml", oppo_xml(calls((1, 2, 3, 4)))))
    scan(h.store, h.config)
    assert alerts.dispatch(h.store, h.config) == (0, 0)       # four attempts: within the law, severity low
    assert received == []
    h.import_(h.write("b.xml", oppo_xml(calls((7,)))))
    scan(h.store, h.config)
    sent, held = alerts.dispatch(h.store, h.config)
    titles = [r["title"] for r in received]
    assert sent == 2 and held == 0
    assert any("went over the limit (fr.d223-9.frequency)" in t for t in titles)
    assert any(t == "callwatch: Opérateur X" for t in titles)
    over = next(r for r in received if "went over" in r["title"])
    assert "no. 5 in 30 days" in over["message"] and "2026-09-07" in over["message"]
    h.import_(h.write("c.xml", oppo_xml(calls((8,)))))            # a 6th attempt: the same event
    scan(h.store, h.config)
    assert alerts.dispatch(h.store, h.config) == (0, 0) and len(received) == 2


def test_rate_limit_holds_back_and_says_so(make_household, sink):
    url, received = sink
    h = make_household(OPERATOR_CONFIG + f'\n[daemon]\nalert_urls = ["{url}"]\nalert_max_per_hour = 1\n')
    h.import_(h.write("a.xml", oppo_xml(calls((1, 2, 3, 4, 7), hour=21))))   # over the cap and after hours
    scan(h.store, h.config)
    sent, held = alerts.dispatch(h.store, h.config)
    assert sent == 1 and held >= 2 and len(received) == 1
    later = list(h.store.db.query("SELECT COUNT(*) AS n FROM alerts_sent WHERE delivered = 0"))[0]["n"]
    assert later == held


def test_daily_digest_counts_the_last_24_hours(make_household, sink):
    url, received = sink
    h = make_household(OPERATOR_CONFIG + f'\n[daemon]\nalert_urls = ["{url}"]\ndigest_cron = "0 20 * * *"\n')
    h.import_(h.write("a.xml", oppo_xml(calls((1, 2, 3, 4, 7)))))
    scan(h.store, h.config)
    end_of_7th = int(dt.datetime(2026, 9, 7, 18, 0, tzinfo=dt.timezone.utc).timestamp() * 1000)
    title, body = alerts.digest(h.store, h.config, now_ms=end_of_7th)
    assert title == "callwatch daily digest: 1 incoming call(s) in 24 hours"
    assert "Opérateur X [medium]: 1 call(s) in the last 24 hours" in body
    assert alerts.send_digest(h.store, h.config) and received[-1]["title"].startswith("callwatch daily digest")
