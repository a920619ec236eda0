"""Credible attribution on a household full of traps (tests/trap_household.py): nobody innocent
is accused, every legal figure rests on declared, same-block or confirmed calls, leads are shown
apart, and the user's review decisions hold through rescans."""

import datetime as dt

import pytest

from callwatch.detect import review, scan
from trap_household import CONFIG, INNOCENT, TECHNICIAN_DAYS, events, who_of, write_exports


@pytest.fixture
def trapped(make_household):
    h = make_household(CONFIG, name="traps")
    evs = events()
    for path in write_exports(h.exports, evs):
        result = h.import_(path)
        assert result.status == "imported" and result.rejected == 0, (path, result.message)
    return h, evs


def _rows(h, sql, params=()):
    return list(h.store.db.query(sql, params))


def _breaching_calls(h):
    return {r["call_id"] for r in _rows(h, "SELECT DISTINCT call_id FROM breaches")}


def _tiers(h, finding_key):
    return {r["call_id"]: r["attribution"] for r in _rows(
        h, "SELECT fc.call_id, fc.attribution FROM finding_calls fc JOIN findings f ON f.id = fc.finding_id "
           "WHERE f.key = ?", [finding_key])}


def test_every_export_lands_on_its_line_and_nothing_is_merged_across_phones(trapped):
    h, evs = trapped
    assert h.count() == len(evs)                              # two phones rung together: two calls
    lines = {r["line"]: r["n"] for r in _rows(h, "SELECT line, COUNT(*) AS n FROM calls GROUP BY line")}
    assert lines == {"+33123456789": sum(e.phone == "home" for e in evs),
                     "+33698765432": sum(e.phone == "anne" for e in evs),
                     "+33756123456": sum(e.phone == "paul" for e in evs)}


def _exclude_technician(h):
    return review.exclude(h.store, h.config, number="09 48 17 22 10", reason="service call: technician",
                          start=TECHNICIAN_DAYS[0].date(), end=TECHNICIAN_DAYS[1].date())


def test_no_innocent_call_breaks_a_rule_and_no_innocent_number_is_named(trapped):
    h, evs = trapped
    scan(h.store, h.config)
    who = who_of(h.store, evs)
    # a log cannot tell the declared number's service calls from its canvassing: until the user
    # excludes them, they count (declared); once excluded, nothing of them remains in any figure
    assert {who[c] for c in _breaching_calls(h)} == {"operator", "technician"}
    _exclude_technician(h)
    scan(h.store, h.config)
    accused = {who[c] for c in _breaching_calls(h)}
    assert accused == {"operator"}
    innocent_calls = {c for c, w in who.items() if w in INNOCENT}
    counted = {r["call_id"] for r in _rows(h, "SELECT call_id FROM finding_calls WHERE attribution IN "
                                              "('declared', 'same-block', 'confirmed')")}
    assert not counted & innocent_calls
    named = _rows(h, "SELECT n.number, n.certainty, f.key FROM finding_numbers n JOIN findings f ON f.id = n.finding_id")
    for innocent in ("+33948172255", "+33162345099", "+33145678910", "+33612987654", "+33611223344"):
        assert all(r["certainty"] in ("probable", "excluded") for r in named if r["number"] == innocent), innocent
    # the friends inside the operator's block and prefix are in no finding: left to the user's review
    assert not [r for r in named if r["number"] in ("+33948172255", "+33162345099")]
    pending = {(p["kind"], p["number"]) for p in review.pending(h.store)}
    assert {("contact-in-block", "+33948172255"), ("contact-in-block", "+33162345099")} <= pending


def test_the_operator_finding_counts_its_declared_blocks_and_only_them(trapped):
    h, evs = trapped
    result = scan(h.store, h.config)
    who = who_of(h.store, evs)
    operator = next(f for f in result.findings if f["key"] == "operator")
    tiers = _tiers(h, "operator")
    counted = {c for c, t in tiers.items() if t in ("declared", "same-block", "confirmed")}
    theirs = {c for c, w in who.items() if w == "operator"}
    assert len(counted & theirs) / len(theirs) >= 0.95
    assert {who[c] for c in counted} <= {"operator", "technician"}   # technician: declared, until excluded
    leads = {c for c, t in tiers.items() if t == "probable"}
    assert {who[c] for c in leads} <= {"operator-lead", "dialler"}
    assert {who[c] for c in leads} == {"operator-lead", "dialler"}
    assert operator["stats"]["calls"] == len(counted) and operator["stats"]["leads"]["calls"] == len(leads)
    tier_of = {r["number"]: (r["basis"], r["certainty"]) for r in _rows(
        h, "SELECT number, basis, certainty FROM finding_numbers WHERE finding_id = ?", [operator["id"]])}
    assert tier_of["+33948172210"] == ("declared-number", "declared")
    assert tier_of["+33948172215"] == ("same-block", "same-block")
    assert tier_of["+33162345012"] == ("declared-prefix", "declared")
    breaches = _rows(h, "SELECT rule_id, COUNT(*) AS n FROM breaches WHERE finding_id = ? GROUP BY rule_id",
                     [operator["id"]])
    assert {r["rule_id"]: r["n"] for r in breaches} == operator["rules"]
    # what the leads would add is said apart, never added in
    for rule, n in operator["rules"].items():
        assert operator["rules_if_confirmed"][rule] >= n
    assert sum(operator["rules_if_confirmed"].values()) > sum(operator["rules"].values())


def test_other_diallers_are_never_the_operator(trapped):
    h, evs = trapped
    result = scan(h.store, h.config)
    who = who_of(h.store, evs)
    in_operator = {who[c] for c in _tiers(h, "operator")}
    assert not in_operator & {"second-company", "uk-firm", "school", "client", "doctor", "hospital"}
    second = next(f for f in result.findings if f["key"] == "block:+33377123")
    assert second["category"] == "automated" and second["rules"] == {}
    uk = next(f for f in result.findings if f["key"].startswith("block:+44"))
    assert uk["category"] == "other-company" and uk["rules"] == {}


def test_withheld_calls_are_judged_one_by_one(trapped):
    h, evs = trapped
    scan(h.store, h.config)
    who = who_of(h.store, evs)
    tiers = _tiers(h, "operator")
    dialler = {c for c, w in who.items() if w == "dialler"}
    assert dialler <= set(tiers) and {tiers[c] for c in dialler} == {"probable"}
    for innocent in ("doctor", "hospital"):          # conversations, or a plain missed call: never leads
        assert not {c for c, w in who.items() if w == innocent} & set(tiers)
    assert not any(f["key"] == "withheld" for f in scan(h.store, h.config, full=True).findings)


def test_repeated_caller_and_robocalls_break_no_canvassing_rule(trapped):
    h, evs = trapped
    result = scan(h.store, h.config)
    client = next(f for f in result.findings if f["key"] == "number:+33612987654")
    assert client["category"] == "nuisance" and client["rules"] == {} and client["stats"]["calls"] == 0
    assert client["stats"]["leads"]["calls"] == 6
    assert not any(f["key"] == "number:+33145678910" for f in result.findings)   # voicemail is no nuisance


def test_review_decisions_count_exclude_and_survive_a_full_rescan(trapped):
    h, evs = trapped
    scan(h.store, h.config)
    who = who_of(h.store, evs)
    before = next(f for f in scan(h.store, h.config, full=True).findings if f["key"] == "operator")
    # the technician's two booking calls: excluded, by number and dates, with the reason
    d1 = _exclude_technician(h)
    # one undeclared number of the lead block confirmed, and one withheld dialler call
    lead_number = next(r["number"] for r in _rows(h, "SELECT number FROM calls WHERE number LIKE '+33176543%' LIMIT 1"))
    d2 = review.confirm(h.store, h.config, number=lead_number, reason="the agent named Exemple Télécom")
    dialler_call = min(c for c, w in who.items() if w == "dialler")
    d3 = review.confirm(h.store, h.config, call_id=dialler_call, reason="silent; called back, it was them")
    for full in (False, True):
        after = next(f for f in scan(h.store, h.config, full=full).findings if f["key"] == "operator")
        tiers = _tiers(h, "operator")
        technician = {c for c, w in who.items() if w == "technician"}
        assert {tiers[c] for c in technician} == {"excluded"} and not technician & _breaching_calls(h)
        confirmed = {c for c, t in tiers.items() if t == "confirmed"}
        lead_calls = {r["id"] for r in _rows(h, "SELECT id FROM calls WHERE number = ?", [lead_number])}
        assert confirmed == lead_calls | {dialler_call}
        assert after["stats"]["calls"] == before["stats"]["calls"] - len(technician) + len(confirmed)
        assert after["stats"]["excluded"]["calls"] == len(technician)
        numbers = {r["number"]: r for r in _rows(h, "SELECT * FROM finding_numbers WHERE finding_id = ?", [after["id"]])}
        assert numbers[lead_number]["certainty"] == "confirmed" and "confirmed by you" in numbers[lead_number]["detail"]
    # review shows nothing already decided
    pending = review.pending(h.store)
    assert lead_number not in {p["number"] for p in pending}
    assert dialler_call not in {p.get("call_id") for p in pending}
    # undo restores the previous state, and the record of both decisions stays
    review.undo(h.store, d2.id)
    scan(h.store, h.config, full=True)
    assert _tiers(h, "operator")[min(lead_calls)] == "probable"
    assert [d.action for d in review.history(h.store)] == ["exclude", "confirm", "confirm", "undo"]
    assert {d.id for d in review.effective(h.store)} == {d1.id, d3.id}


def test_incremental_scans_agree_with_a_full_scan_after_decisions(trapped):
    h, evs = trapped
    scan(h.store, h.config)
    review.exclude(h.store, h.config, number="0612987654", reason="a client of mine")
    scan(h.store, h.config)
    late = "".join(open(h.exports / "Master.csv").read().splitlines(keepends=True)[-3:]).replace(
        "2026-11-", "2026-12-")
    h.import_(h.write("Master-late.csv", late))
    incremental = scan(h.store, h.config)
    assert incremental.mode == "incremental"
    snap = {f["key"]: (f["stats"], f["rules"], f["rules_if_confirmed"]) for f in incremental.findings}
    full = {f["key"]: (f["stats"], f["rules"], f["rules_if_confirmed"]) for f in scan(h.store, h.config, full=True).findings}
    assert snap == full
    assert "number:+33612987654" not in full                     # excluded: out of every finding


@pytest.mark.parametrize("kwargs, words", [
    ({"number": "hello", "reason": "x"}, "not a telephone number"),
    ({"number": "0612987654", "reason": " "}, "give the reason"),
    ({"call_id": 10 ** 9, "reason": "x"}, "no call 1000000000"),
    ({"number": "0612987654", "reason": "x", "start": dt.date(2026, 10, 9), "end": dt.date(2026, 10, 1)},
     "is after"),
])
def test_review_slips_are_refused_in_one_sentence(trapped, kwargs, words):
    h, _ = trapped
    from callwatch.errors import CallwatchError
    with pytest.raises(CallwatchError) as exc:
        review.exclude(h.store, h.config, **kwargs)
    assert words in str(exc.value)
    assert h.count("decisions") == 0


def test_review_from_the_command_line(trapped):
    from click.testing import CliRunner
    from callwatch.cli import cli
    h, _ = trapped
    env = {"CALLWATCH_DATA_DIR": str(h.config.data_dir), "COLUMNS": "200"}
    runner = CliRunner()

    def run(*args):
        out = runner.invoke(cli, ["--config", str(h.config_path), *args], env=env, catch_exceptions=False)
        return out

    assert run("scan").exit_code == 0
    listed = run("review")
    assert "[repeated-caller] +33612987654" in listed.output and "[contact-in-block] +33948172255" in listed.output
    assert "callwatch exclude +33612987654" in listed.output
    done = run("exclude", "06 12 98 76 54", "--reason", "a client of mine")
    assert done.exit_code == 0 and "Recorded: #1" in done.output and "exclude number +33612987654" in done.output
    assert "+33612987654" not in run("review").output
    refused = run("exclude", "06 12 98 76 54")
    assert refused.exit_code == 2 and "--reason" in refused.output
    assert run("undo").exit_code == 0
    assert "[repeated-caller] +33612987654" in run("review").output
    history = run("review", "--history")
    assert "#1" in history.output and "(undone)" in history.output and "undo of decision #1" in history.output
    bad = run("confirm", "--call", "999999")
    assert bad.exit_code == 2 and "no call 999999" in bad.output


def test_the_pack_counts_what_can_be_defended_and_shows_the_rest_apart(trapped, tmp_path):
    import csv
    import io
    import json
    from datetime import datetime, timezone
    from pypdf import PdfReader
    from callwatch.evidence import data as evidence_data, pack as evidence_pack
    h, evs = trapped
    scan(h.store, h.config)
    _exclude_technician(h)
    dialler_call = min(c for c, w in who_of(h.store, evs).items() if w == "dialler")
    review.confirm(h.store, h.config, call_id=dialler_call, reason="silent; I called back, it was them")
    scan(h.store, h.config)
    operator = next(f for f in scan(h.store, h.config).findings if f["key"] == "operator")
    gathered = evidence_data.gather(h.store, h.config, at=datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc))
    result = evidence_pack.build(gathered, tmp_path / "out", "en")
    rows = list(csv.DictReader(io.StringIO((result.folder / "calls.csv").read_bytes().decode("utf-8-sig"))))
    doc = json.loads((result.folder / "findings.json").read_text())
    # every row of the call table is a counted call; the figures are theirs
    assert {r["attribution"] for r in rows} == {"declared", "same-block", "confirmed"}
    assert doc["figures"]["calls"] == len(rows) == operator["stats"]["calls"]
    for rule in doc["rules_broken"]:
        assert len(rule["calls"]) == operator["rules"][rule["id"]] == sum(rule["id"] in r["rules_broken"].split()
                                                                          for r in rows)
    # the called line is in the table; Paul's confirmed call is on his own line
    assert {r["called_line"] for r in rows} == {"home", "Paul's iPhone"} or \
        {r["called_line"] for r in rows} == {"home", "Anne's mobile"}
    # leads and exclusions apart, with the decisions and their reasons
    assert len(doc["leads"]) == operator["stats"]["leads"]["calls"] and doc["leads"]
    assert {c["attribution"] for c in doc["leads"]} == {"probable"}
    assert len(doc["excluded"]) == 2 and {d["reason"] for d in doc["decisions"]} == {
        "service call: technician", "silent; I called back, it was them"}
    assert doc["rules_if_confirmed"] == operator["rules_if_confirmed"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages).split())
    counted = sum(operator["rules"].values())
    assert f"{counted} breaches found on the {operator['stats']['calls']} calls from declared numbers" in text
    assert f"{operator['stats']['leads']['calls']} more calls are leads only, not counted" in text
    assert "Leads, not counted" in text and "Your decisions" in text
    assert "excluded by you; reason: service call: technician" in text.replace("excluded by you from", "excluded by you;")\
        or "service call: technician" in text
    assert "rests only on calls whose attribution is" in text
    # no innocent number anywhere in the pack's files
    blobs = [p.read_bytes() for p in result.folder.rglob("*") if p.is_file() and p.suffix != ".pdf"] + [text.encode()]
    for innocent in ("+33948172255", "+33162345099", "+33612987654", "+33145678910", "+33611223344"):
        assert not any(innocent.encode() in b for b in blobs), innocent
