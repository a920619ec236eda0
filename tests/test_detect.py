"""Detection on a household: the operator's campaign, a probable second block, another
company, and the people who must never be accused. Only declared, same-block and confirmed
calls count; the rest are leads."""

import json
import re

import pytest
from click.testing import CliRunner

from callwatch.cli import cli
from callwatch.detect import scan
from household import OPERATOR_CONFIG, build, oppo_xml


@pytest.fixture
def scanned(make_household):
    h = make_household(OPERATOR_CONFIG)
    events = build()
    r = h.import_(h.write("calls.xml", oppo_xml(events)))
    assert r.new == len(events)
    result = scan(h.store, h.config)
    # call id -> who made it, through the locator back into the file
    who = {}
    for row in h.store.db.query("SELECT id, locator FROM calls"):
        index = int(row["locator"].split("#")[1].split(" ")[0]) - 1
        who[row["id"]] = events[index][5]
    return h, result, who


def _finding_calls(h, finding, tiers=("declared", "same-block", "rotation", "probable", "confirmed")):
    return {r["call_id"] for r in h.store.db.query(
        f"SELECT call_id FROM finding_calls WHERE finding_id = ? AND attribution IN ({','.join('?' * len(tiers))})",
        [finding["id"], *tiers])}


def _numbers(h, finding):
    return list(h.store.db.query("SELECT * FROM finding_numbers WHERE finding_id = ?", [finding["id"]]))


def test_operator_campaign_counts_its_declared_block_and_shows_the_other_apart(scanned):
    h, result, who = scanned
    operator = next(f for f in result.findings if f["key"] == "operator")
    counted = _finding_calls(h, operator, ("declared", "same-block", "confirmed"))
    declared_block = {r["id"] for r in h.store.db.query("SELECT id FROM calls WHERE number LIKE '+33162345%'")}
    assert declared_block <= {i for i, w in who.items() if w == "operator"}
    assert len(counted & declared_block) / len(declared_block) >= 0.95 and counted <= declared_block
    leads = _finding_calls(h, operator, ("probable",))
    assert leads and {who[i] for i in counted | leads} == {"operator"}
    assert operator["stats"]["calls"] == len(counted) and operator["stats"]["leads"]["calls"] == len(leads)
    assert operator["severity"] == "high"


def test_undeclared_block_is_linked_as_probable_with_its_similarity(scanned):
    h, result, _ = scanned
    operator = next(f for f in result.findings if f["key"] == "operator")
    numbers = _numbers(h, operator)
    second = [a for a in numbers if a["number"].startswith("+33176543")]
    assert second and all(a["certainty"] == "probable" and a["basis"] == "probable" for a in second)
    assert all(a["similarity"] >= 0.8 for a in second) and "similarity" in second[0]["detail"]
    declared = [a for a in numbers if a["number"].startswith("+33162345")]
    assert declared and all(a["certainty"] == "declared" and a["basis"] == "declared-prefix" for a in declared)
    # the leads' breaches are not in the counts, but what they would add is said
    (breach_calls,) = h.store.conn.execute(
        "SELECT COUNT(*) FROM breaches b JOIN calls c ON c.id = b.call_id WHERE b.finding_id = ? "
        "AND c.number LIKE '+33176543%'", [operator["id"]]).fetchone()
    assert breach_calls == 0
    assert operator["rules_if_confirmed"]["fr.d223-9.frequency"] > operator["rules"]["fr.d223-9.frequency"]


def test_other_company_is_a_separate_campaign(scanned):
    h, result, who = scanned
    other = [f for f in result.findings if f["key"] == "block:+33163551"]
    assert len(other) == 1 and other[0]["category"] == "automated"     # 0163: ARCEP reserved range
    assert {who[i] for i in _finding_calls(h, other[0])} == {"other"}
    # a pattern, not an identity: nothing counted until the user confirms it
    assert other[0]["rules"] == {} and other[0]["rules_if_confirmed"]
    assert {n["certainty"] for n in _numbers(h, other[0])} == {"rotation"}


def test_family_friends_drivers_doctor_and_user_are_never_in_a_finding(scanned):
    h, result, who = scanned
    everything = set()
    for f in result.findings:
        everything |= _finding_calls(h, f)
    innocent = {i for i, w in who.items() if w in ("family", "friend", "driver", "doctor", "user")}
    assert not everything & innocent


def test_ping_from_abroad_is_other_nuisance_not_the_operator(scanned):
    h, result, who = scanned
    (ping,) = [f for f in result.findings if f["key"] == "number:+2250707123456"]
    assert ping["category"] == "nuisance" and "abroad" in ping["label"]
    assert ping["rules"] == {} and ping["severity"] == "low"


def test_every_finding_says_why_with_figures_and_lists_the_breaking_calls(scanned):
    h, result, _ = scanned
    operator = next(f for f in result.findings if f["key"] == "operator")
    assert f"{operator['stats']['calls']} calls or attempts counted" in operator["why"]
    assert f"{operator['stats']['leads']['calls']} more calls are leads only" in operator["why"]
    assert "fr.d223-9.frequency" in operator["why"]
    rows = list(h.store.db.query("SELECT rule_id, COUNT(*) AS n FROM breaches WHERE finding_id = ? GROUP BY rule_id",
                                 [operator["id"]]))
    counts = {r["rule_id"]: r["n"] for r in rows}
    assert counts["fr.d223-9.frequency"] == operator["rules"]["fr.d223-9.frequency"] > 0
    assert counts["fr.rgpd-21.objection"] == operator["stats"]["after_objection"] > 0


def test_scan_json_and_calls_listing(tmp_path, make_household):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(build())))
    env = {"CALLWATCH_DATA_DIR": str(h.config.data_dir), "COLUMNS": "200"}
    runner = CliRunner()
    out = runner.invoke(cli, ["--config", str(h.config_path), "scan", "--json"], env=env, catch_exceptions=False)
    doc = json.loads(out.output)
    operator = next(f for f in doc["findings"] if f["key"] == "operator")
    assert operator["breaches"] and operator["numbers"]
    listing = runner.invoke(cli, ["--config", str(h.config_path), "calls", "--finding", str(operator["id"])],
                            env=env, catch_exceptions=False)
    assert "breaks fr.d223-9.frequency: no. 5 in 30 days" in listing.output
    assert "CEST" in listing.output and "source: calls.xml" in listing.output
    # each call's signals are printed in brackets, as data (once swallowed as console markup)
    assert re.search(r"talk \S+( s)?  <declared>  \[(silent|short|ping|robot|withheld)[a-z_, ]*\]", listing.output), \
        listing.output[:2000]
    assert "line: unknown line (android-calllog)" in listing.output
    # the JSON listing gives each call its own attribution and line
    listed = json.loads(runner.invoke(cli, ["--config", str(h.config_path), "calls", "--finding", str(operator["id"]),
                                            "--json"], env=env, catch_exceptions=False).output)
    tiers = {c["attribution"] for c in listed["calls"]}
    assert tiers == {"declared", "probable"}
    assert all(c["line"] == "source:android-calllog" and "own_line" in c for c in listed["calls"])
    assert len(listed["calls"]) == operator["stats"]["calls"] + operator["stats"]["leads"]["calls"]
    # the scan --json contract
    for f in doc["findings"]:
        assert {"id", "key", "category", "severity", "company", "stats", "rules", "rules_if_confirmed", "numbers",
                "breaches"} <= set(f)
        assert all(n["certainty"] in ("declared", "same-block", "rotation", "probable", "confirmed", "excluded")
                   for n in f["numbers"])
    counted = {c["id"] for c in listed["calls"] if c["attribution"] in ("declared", "same-block", "confirmed")}
    assert {b["call_id"] for b in operator["breaches"]} <= counted


def _summary(store):
    out = {}
    for f in store.db.query("SELECT * FROM findings"):
        nums = {r["number"]: r["basis"] for r in store.db.query(
            "SELECT number, basis FROM finding_numbers WHERE finding_id = ?", [f["id"]])}
        calls = {r["call_id"] for r in store.db.query("SELECT call_id FROM finding_calls WHERE finding_id = ?", [f["id"]])}
        rules = sorted((r["rule_id"], r["call_id"], r["detail"]) for r in store.db.query(
            "SELECT rule_id, call_id, detail FROM breaches WHERE finding_id = ?", [f["id"]]))
        out[f["key"]] = (json.loads(f["stats"]), f["why"], nums, calls, rules)
    return out


def test_incremental_scan_equals_a_full_scan(make_household):
    h = make_household(OPERATOR_CONFIG)
    events = build()
    cut = [e for e in events if e[0].month < 11 or e[0].day < 10]
    later = [e for e in events if e not in cut]
    h.import_(h.write("calls-1.xml", oppo_xml(cut)))
    assert scan(h.store, h.config).mode == "full"
    import datetime as dt
    # a new number inside the declared prefix joins the operator without a full scan
    later.append((dt.datetime(2026, 11, 16, 11, 0), "0162345077", 3, 0, 6, "operator"))
    h.import_(h.write("calls-2.xml", oppo_xml(later)))
    result = scan(h.store, h.config)
    assert result.mode == "incremental" and result.changed >= 1
    incremental = _summary(h.store)
    full = scan(h.store, h.config, full=True)
    assert full.mode == "full"
    assert _summary(h.store) == incremental
    assert "+33162345077" in incremental["operator"][2]


def test_a_store_scanned_before_facts_were_stored_still_scans_and_reports(make_household, tmp_path):
    """Schema 5 added the facts behind breaches and attributions; rows written before have none."""
    from callwatch.evidence import data as evidence_data, pack as evidence_pack
    h = make_household(OPERATOR_CONFIG)
    events = build()
    cut = [e for e in events if e[0].month < 11]
    h.import_(h.write("calls-1.xml", oppo_xml(cut)))
    scan(h.store, h.config)
    with h.store.transaction():
        h.store.conn.execute("UPDATE finding_numbers SET facts = NULL")
        h.store.conn.execute("UPDATE breaches SET facts = NULL")
    old_details = {r[0] for r in h.store.conn.execute("SELECT detail FROM finding_numbers")}
    h.import_(h.write("calls-2.xml", oppo_xml([e for e in events if e not in cut])))
    assert scan(h.store, h.config).mode == "incremental"
    kept = {r[0] for r in h.store.conn.execute("SELECT detail FROM finding_numbers")}
    assert old_details <= kept                                  # the old sentences carried over as they were
    pack = evidence_pack.build(evidence_data.gather(h.store, h.config), tmp_path / "out", "fr")
    assert pack.zip_path.exists()


def test_a_new_rotation_falls_back_to_a_full_scan(make_household):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("a.xml", oppo_xml(build())))
    scan(h.store, h.config)
    import datetime as dt
    rotation = [(dt.datetime(2026, 11, 20, 10 + i, 5), f"0987654{300 + i}", 3, 0, 5, "new") for i in range(4)]
    h.import_(h.write("b.xml", oppo_xml(rotation)))
    result = scan(h.store, h.config)
    assert result.mode == "full"
    assert result.full_because == "a new number in the block +33987654..., which could now be a rotation or an automated range"
    assert any(f["key"] == "block:+33987654" for f in result.findings)
    assert scan(h.store, h.config, full=True).full_because == "asked for"


def test_a_full_scan_says_why_it_was_not_incremental(make_household):
    """What `callwatch scan` prints when it reads every call instead of the new ones: the first scan,
    a changed configuration, a review decision since the last scan."""
    from click.testing import CliRunner

    from callwatch import cli
    from callwatch.detect import review
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("a.xml", oppo_xml(build())))
    assert scan(h.store, h.config).full_because == "there was no scan before"
    first, second = [r[0] for r in h.store.conn.execute(
        "SELECT DISTINCT number FROM calls WHERE number IS NOT NULL ORDER BY number LIMIT 2")]
    review.exclude(h.store, h.config, number=first, reason="a friend")
    assert scan(h.store, h.config).full_because == "a review decision was made since the last scan"
    assert scan(h.store, h.config).mode == "incremental"
    review.exclude(h.store, h.config, number=second, reason="the doctor")
    h.store.close()
    args = ["--data-dir", str(h.config.data_dir), "--config", str(h.config_path)]
    out = CliRunner().invoke(cli.cli, args + ["scan"])
    assert out.exit_code == 0, out.output
    assert "a full scan because a review decision was made since the last scan" in " ".join(out.output.split())
    out = CliRunner().invoke(cli.cli, args + ["scan", "--full"])
    assert "a full scan because" not in out.output


def test_nothing_new_means_nothing_recomputed(make_household):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("a.xml", oppo_xml(build())))
    first = scan(h.store, h.config)
    again = scan(h.store, h.config)
    assert (again.mode, again.changed, again.calls_considered) == ("incremental", 0, 0)
    assert [f["id"] for f in again.findings] == [f["id"] for f in first.findings]


def test_a_scan_before_any_import_finds_nothing_and_records_it(make_household):
    h = make_household(OPERATOR_CONFIG, "empty")
    for full in (True, False):
        result = scan(h.store, h.config, full=full)
        assert result.findings == [] and result.calls_considered == 0
    assert h.count("scans") == 2


def test_a_blocks_counts_are_those_of_counting_its_calls(tmp_path):
    """detect._block_counts_reach (number by number through the index, reserved numbers first)
    answers as counting over the block's calls does: numbers with an incoming call (outgoing ones,
    withheld calls and the next block not counted), incoming calls from ARCEP's reserved ranges."""
    import itertools
    import random

    from callwatch import detect
    from callwatch.store import Store
    store = Store(tmp_path / "data")
    conn = store.conn
    import_id = store.create_import(original_name="x.csv", original_path="/x.csv", sha256="0" * 64, size=1,
                                    format="asterisk-csv", family="asterisk", archive_path="a", callwatch_version="t")
    pick = random.Random(3)
    blocks = [f"+33948{b:03d}" for b in range(40)] + [f"+33612{b:03d}" for b in range(40)]
    rows, key = [], itertools.count()
    for blk in blocks:
        for _ in range(pick.randrange(0, 5)):
            number = blk + f"{pick.randrange(1000):03d}"
            npv = "mainland" if number.startswith("+33948") and pick.random() < 0.5 else None
            conn.execute("INSERT OR IGNORE INTO numbers (number, presentation, npv) VALUES (?, 'allowed', ?)", [number, npv])
            for _ in range(pick.randrange(0, 4)):
                rows.append((number, pick.choice(["in", "in", "out"])))
        rows.append((None, "in"))
    rows.append((blocks[0][:-1] + ":", "in"))                      # just past a block's end
    conn.executemany("INSERT INTO calls (import_id, locator, family, source_key, start_ms, tz, time_precision_s, "
                     "direction, outcome, duration_precision_s, number_raw, number, presentation) VALUES "
                     "(?, 'l', 'asterisk', ?, ?, 'UTC', 1, ?, 'missed', 1, '', ?, 'allowed')",
                     [(import_id, f"k{next(key)}", pick.randrange(10**12), d, n) for n, d in rows])
    reached = set()
    for blk, k in itertools.product(blocks, (1, 2, 3, 4)):
        distinct = conn.execute("SELECT COUNT(DISTINCT number) FROM calls WHERE number >= ? AND number < ? "
                                "AND direction = 'in'", [blk, blk + ":"]).fetchone()[0]
        npv = conn.execute("SELECT COUNT(*) FROM calls c JOIN numbers n ON n.number = c.number WHERE c.number >= ? "
                           "AND c.number < ? AND c.direction = 'in' AND n.npv IS NOT NULL", [blk, blk + ":"]).fetchone()[0]
        expected = distinct >= k or npv >= 2
        assert detect._block_counts_reach(conn, blk, k) == expected, (blk, k, distinct, npv)
        reached.add(expected)
    assert reached == {True, False}
    store.close()
