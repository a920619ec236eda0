"""Every rule at its edges, through the real pipeline: calls imported, scanned, breaches read."""

import datetime as dt

import pytest

from callwatch.detect import analyse, rules
from callwatch.errors import CallwatchError
from household import OPERATOR_CONFIG, oppo_xml

CONFIG = OPERATOR_CONFIG + """
[[objections]]
company = "Opérateur X"
date = 2026-06-01
kind = "refusal"
"""


def breaches_for(make_household, moments, rule_id, number="0162345010", kind=1, duration=60):
    """{local time text: detail or None} for calls at the given local datetimes."""
    h = make_household(CONFIG, name=f"h{abs(hash((tuple(moments), rule_id))) % 10**8}")
    events = [(m, number, kind, duration, 5, "operator") for m in moments]
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    by_index = {b.index: b.detail for b in operator.breaches if b.rule_id == rule_id}
    return {row["local"].strftime("%Y-%m-%d %H:%M:%S"): by_index.get(label)
            for label, row in operator.calls.iterrows()}


def test_hours_edges(make_household):
    moments = [dt.datetime(2026, 9, d, h, m, s) for d, (h, m, s) in zip(
        (7, 8, 9, 10, 11, 14), ((9, 59, 59), (10, 0, 0), (12, 59, 59), (13, 0, 0), (19, 59, 59), (20, 0, 0)))]
    got = breaches_for(make_household, moments, "fr.d223-9.hours")
    assert got["2026-09-07 09:59:59"] == "at 09:59:59, outside 10:00-13:00, 14:00-20:00"
    assert got["2026-09-08 10:00:00"] is None
    assert got["2026-09-09 12:59:59"] is None
    assert got["2026-09-10 13:00:00"].startswith("at 13:00:00, outside")
    assert got["2026-09-11 19:59:59"] is None
    assert got["2026-09-14 20:00:00"].startswith("at 20:00:00, outside")


def test_weekend_and_public_holiday(make_household):
    got = breaches_for(make_household, [dt.datetime(2026, 10, 10, 11, 0), dt.datetime(2026, 11, 11, 11, 0),
                                        dt.datetime(2026, 11, 12, 11, 0)], "fr.d223-9.hours")
    assert got["2026-10-10 11:00:00"] == "Saturday"
    assert got["2026-11-11 11:00:00"] == "public holiday (Armistice Day)"
    assert got["2026-11-12 11:00:00"] is None


def test_hours_follow_daylight_saving(make_household):
    # 08:30 UTC is 09:30 in Paris on Friday 27 March 2026 (winter) but 10:30 on Monday 30 March (summer)
    winter = dt.datetime(2026, 3, 27, 9, 30)
    summer = dt.datetime(2026, 3, 30, 10, 30)
    got = breaches_for(make_household, [winter, summer], "fr.d223-9.hours")
    assert got["2026-03-27 09:30:00"] is not None and got["2026-03-30 10:30:00"] is None


@pytest.mark.parametrize("fifth,breaks", [(dt.datetime(2026, 9, 30, 11), True), (dt.datetime(2026, 10, 1, 11), False)])
def test_thirty_calendar_day_window_edges(make_household, fifth, breaks):
    four = [dt.datetime(2026, 9, d, 11) for d in (1, 2, 3, 4)]
    got = breaches_for(make_household, four + [fifth], "fr.d223-9.frequency")
    detail = got[fifth.strftime("%Y-%m-%d %H:%M:%S")]
    if breaks:
        assert detail == "no. 5 in 30 days (2026-09-01 to 2026-09-30), max 4"
    else:
        assert detail is None
    assert all(v is None for k, v in got.items() if k < "2026-09-05")


def test_missed_calls_count_as_attempts(make_household):
    moments = [dt.datetime(2026, 9, d, 11) for d in (1, 2, 3, 4, 7)]
    got = breaches_for(make_household, moments, "fr.d223-9.frequency", kind=3, duration=0)
    assert got["2026-09-07 11:00:00"].startswith("no. 5 in 30 days")


def test_objection_takes_effect_after_the_delay(make_household):
    got = breaches_for(make_household, [dt.datetime(2026, 10, 31, 11), dt.datetime(2026, 11, 2, 11)],
                       "fr.rgpd-21.objection")
    assert got["2026-10-31 11:00:00"] is None
    assert got["2026-11-02 11:00:00"] == ("after your objection (GDPR art. 21) of 2026-10-01 to Opérateur X "
                                          "(to be honoured by 2026-10-31)")


def test_refusal_bans_sixty_days(make_household):
    got = breaches_for(make_household, [dt.datetime(2026, 7, 31, 11), dt.datetime(2026, 8, 3, 11)],
                       "fr.d223-9.refusal")
    assert got["2026-07-31 11:00:00"] == "60 days after your refusal of 2026-06-01 (no call allowed until 2026-07-31)"
    assert got["2026-08-03 11:00:00"] is None


def test_us_do_not_call_delay_in_business_days():
    pack = rules.load_pack("us")
    (dnc,) = [r for r in pack.rules if r.kind == "after_objection"]
    assert rules._effective(dnc, dt.date(2026, 10, 1)) == dt.date(2026, 10, 15)      # 10 business days
    assert rules._effective(dnc, dt.date(2025, 3, 1)) == dt.date(2025, 3, 31)        # 30 days before 2025-04-11


def test_silent_needs_second_precision(make_household):
    h = make_household(CONFIG, name="precision")
    fritz = ("sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"
             "1;08.09.26 11:20;;0162345010;Telefon;Internet: 0123456789;0:01\n")
    h.import_(h.write("fritz.csv", fritz))
    h.import_(h.write("calls.xml", oppo_xml([(dt.datetime(2026, 9, 9, 11, 0), "0162345011", 1, 2, 4, "op")])))
    _, df, _, _ = analyse(h.store, h.config)
    fritz_call = df[df["duration_precision_s"] == 60].iloc[0]
    phone_call = df[df["duration_precision_s"] == 1].iloc[0]
    assert (bool(fritz_call["silent"]), bool(fritz_call["short"])) == (False, True)
    assert (bool(phone_call["silent"]), bool(phone_call["short"])) == (True, False)


def test_every_shipped_pack_loads_and_cites(tmp_path):
    for jurisdiction in ("fr", "uk", "us", "generic"):
        pack = rules.load_pack(jurisdiction)
        assert pack.rules and all(r.citation and r.text_fr and r.text_en and r.assumes for r in pack.rules)
    bad = tmp_path / "xx.toml"
    bad.write_text('[[rules]]\nid = "x"\nkind = "vibes"\ncitation = "c"\ntext_fr = "t"\ntext_en = "t"\nassumes = "a"\n')
    with pytest.raises(CallwatchError, match="unknown kind 'vibes'"):
        rules.load_pack("xx", tmp_path)


def test_uk_silent_short_ring_and_repeat_within_72_hours(make_household):
    h = make_household(CONFIG.replace('jurisdiction = "fr"', 'jurisdiction = "uk"').replace('"Europe/Paris"', '"Europe/London"'),
                       name="uk")
    events = [(dt.datetime(2026, 9, 7, 11, 0), "0162345010", 1, 1, 4, "op"),     # silent
              (dt.datetime(2026, 9, 9, 10, 0), "0162345010", 3, 0, 9, "op"),     # rang 9 s: 47 h later
              (dt.datetime(2026, 9, 14, 10, 0), "0162345010", 3, 0, 20, "op")]   # rang 20 s: 5 days later
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    got = {(b.rule_id, operator.calls.at[b.index, "local"].strftime("%m-%d")): b.detail for b in operator.breaches}
    assert not [k for k in got if k[0].startswith("uk.ofcom.abandoned")]     # one answered call: no rate to read
    assert got[("uk.ofcom.ring-time", "09-09")] == "rang 9 s (15 s minimum)"
    assert got[("uk.ofcom.repeat-72h", "09-09")].startswith("47.0 h after the silent (presumed abandoned) call of 2026-09-07 10:00 BST")  # written in Paris time
    assert ("uk.ofcom.ring-time", "09-14") not in got and ("uk.ofcom.repeat-72h", "09-14") not in got


@pytest.mark.parametrize("declaration,absent,present", [
    ('purpose = "service"', {"fr.d223-9.hours", "fr.d223-9.frequency", "fr.rgpd-21.objection"},
     {"fr.arcep-2022-1583.automated"}),
    ("consent_given = true", {"fr.d223-9.hours"}, {"fr.d223-9.frequency", "fr.arcep-2022-1583.automated"}),
])
def test_declared_purpose_and_consent_switch_rules_off(make_household, declaration, absent, present):
    config = CONFIG.replace('prefixes = ["01 62 34 50"]',
                            f'prefixes = ["01 62 34 50"]\nnumbers = ["06 12 34 56 78"]\n{declaration}')
    h = make_household(config, name="declared")
    # silent calls at 9:00 from the declared block, then one from a declared mobile number
    events = [(dt.datetime(2026, 11, d, 9, 0), "0162345010", 1, 1, 4, "op") for d in (2, 3, 4, 5, 6, 9)]
    events.append((dt.datetime(2026, 11, 10, 11, 0), "0612345678", 1, 1, 4, "op"))
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    broken = {b.rule_id for b in operator.breaches}
    assert not broken & absent and present <= broken


def test_a_uk_household_gets_its_pack_in_english_without_asking(make_household, tmp_path):
    from click.testing import CliRunner

    from callwatch.cli import cli
    h = make_household(CONFIG.replace('jurisdiction = "fr"', 'jurisdiction = "uk"').replace('"Europe/Paris"', '"Europe/London"'),
                       name="uk")
    events = [(dt.datetime(2026, 9, d, 11, 0), "0162345010", 1, 1, 4, "op") for d in (7, 8, 9, 10, 11)]
    h.import_(h.write("calls.xml", oppo_xml(events)))
    env = {"CALLWATCH_DATA_DIR": str(h.config.data_dir), "COLUMNS": "200"}
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(h.config_path), "scan"], env=env).exit_code == 0
    out = runner.invoke(cli, ["--config", str(h.config_path), "report", "--out", str(tmp_path / "packs")], env=env)
    assert out.exit_code == 0, out.output
    letters = {p.name for p in (tmp_path / "packs").glob("*/letters/*.md")}
    kits = {p.name for p in (tmp_path / "packs").glob("*/complaints/*.md")}
    assert letters == {"objection-to-the-company.md"} and {"ofcom.md", "ico.md"} <= kits


def _lines_household(make_household, jurisdiction, zone, name):
    from trap_household import CONFIG as TRAP
    return make_household(TRAP.replace('jurisdiction = "fr"', f'jurisdiction = "{jurisdiction}"')
                          .replace('"Europe/Paris"', f'"{zone}"'), name=name)


def _sbr(rows):
    """(local Paris datetime, number, type, duration) rows as an SMS Backup & Restore XML (Anne's phone)."""
    from household import ms
    calls = "".join(f'<call number="{n}" duration="{d}" date="{ms(t)}" type="{k}" presentation="1" '
                    f'subscription_id="1" />' for t, n, k, d in rows)
    return f'<?xml version="1.0"?><calls count="{len(rows)}">{calls}</calls>'


def _cdr(rows):
    """(local datetime, number, answered, talk) rows as Asterisk cdr_csv lines for the home line."""
    out = []
    for i, (t, n, answered, talk) in enumerate(rows):
        s = t.strftime("%Y-%m-%d %H:%M:%S")
        out.append(f'"","{n}","0123456789","from-trunk","","PJSIP/trunk-{i:08x}","PJSIP/100-{i:08x}","Dial","",'
                   f'"{s}","{s if answered else ""}","{s}",{talk + 5},{talk if answered else 0},'
                   f'"{"ANSWERED" if answered else "NO ANSWER"}","DOCUMENTATION","{i}.{i}",""')
    return "\n".join(out) + "\n"


def test_the_monthly_cap_counts_one_consumer_across_the_lines_they_hold(make_household):
    """D223-9 counts per consumer: Anne's mobile and the home line (both the complainant's) add
    up; Paul's iPhone is another consumer's line."""
    h = _lines_household(make_household, "fr", "Europe/Paris", "cap")
    day = dt.datetime(2026, 9, 7, 11, 0)
    h.import_(h.write("Master.csv", _cdr([(day + dt.timedelta(days=i), "0162345010", False, 0) for i in range(3)])))
    h.import_(h.write("anne.xml", _sbr([(day + dt.timedelta(days=3 + i, hours=1), "0162345011", 3, 0)
                                        for i in range(2)])))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    capped = [operator.calls.at[b.index, "line"] for b in operator.breaches if b.rule_id == "fr.d223-9.frequency"]
    assert capped == ["+33698765432"]              # the 5th call to the same consumer, on Anne's mobile


def test_the_uk_repeat_rule_counts_per_line_and_only_after_an_abandoned_call(make_household):
    h = _lines_household(make_household, "uk", "Europe/London", "repeat")
    t = dt.datetime(2026, 9, 7, 11, 0)
    h.import_(h.write("Master.csv", _cdr([(t, "0162345010", True, 1),                        # silent on home
                                           (t + dt.timedelta(hours=30), "0162345010", True, 40)])))   # repeat: home
    h.import_(h.write("anne.xml", _sbr([(t + dt.timedelta(hours=2), "0162345010", 1, 60),    # other line: no
                                        (t + dt.timedelta(days=5), "0162345010", 3, 0),       # missed, rang briefly
                                        (t + dt.timedelta(days=5, hours=1), "0162345010", 1, 60)])))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    repeats = [(operator.calls.at[b.index, "line"], b.facts[0][1]["hours"]) for b in operator.breaches
               if b.rule_id == "uk.ofcom.repeat-72h"]
    assert repeats == [("+33123456789", 30.0)]


def test_a_pack_with_an_unknown_count_per_is_refused(tmp_path):
    (tmp_path / "x.toml").write_text('[pack]\nid = "x"\n[[rules]]\nid = "x.cap"\nkind = "max_per_window"\n'
                                     'max_calls = 1\nwindow_days = 1\ncount_per = "street"\ncitation = "c"\n'
                                     'text_fr = "t"\ntext_en = "t"\nassumes = "a"\n', encoding="utf-8")
    with pytest.raises(CallwatchError) as exc:
        rules.load_pack("x", tmp_path)
    assert "count_per" in str(exc.value)


@pytest.mark.parametrize("jurisdiction, rule_id", [("uk", "uk.ofcom.abandoned-rate"), ("us", "us.64-1200-a7.abandoned-rate")])
def test_the_abandoned_call_rate_is_one_statement_per_period_not_one_per_silent_call(make_household, jurisdiction,
                                                                                     rule_id):
    h = make_household(CONFIG.replace('jurisdiction = "fr"', f'jurisdiction = "{jurisdiction}"'), name=jurisdiction)
    day = dt.datetime(2026, 9, 7, 11, 0)
    events = [(day + dt.timedelta(days=i), "0162345010", 1, talk, 4, "op")                 # 30 days from 7 Sept:
              for i, talk in enumerate((1, 2, 60, 1))]                                       # 3 silent of 4 answered
    events += [(day + dt.timedelta(days=31 + i), "0162345010", 1, 60, 4, "op") for i in range(3)]   # then agents only
    events += [(day + dt.timedelta(days=70 + i), "0162345010", 1, 1, 4, "op") for i in range(2)]    # 2 answered: too few
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    found = [(operator.calls.at[b.index, "local"].strftime("%m-%d"), b.facts[0][1]) for b in operator.breaches
             if b.rule_id == rule_id]
    assert len(found) == 1
    when, facts = found[0]
    assert when == "09-10" and (facts["silent"], facts["answered"], facts["rate"]) == (3, 4, 0.75)
    assert (facts["from"], facts["to"]) == ("2026-09-07", "2026-09-10")       # the answered calls of that period


def _fr_with(make_household, name, extra="", operator_extra=""):
    config = CONFIG.replace('prefixes = ["01 62 34 50"]', 'prefixes = ["01 62 34 50"]\n' + operator_extra) + extra
    return make_household(config, name=name)


def _operator_breaches(h, events, rule_id):
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    return {operator.calls.at[b.index, "local"].strftime("%Y-%m-%d"): b.detail for b in operator.breaches
            if b.rule_id == rule_id}


def test_consent_is_required_from_11_august_2026_except_for_a_customer(make_household):
    events = [(dt.datetime(2026, 8, d, 11, 0), "0162345010", 3, 0, 20, "op") for d in (10, 11)]
    not_customer = _operator_breaches(_fr_with(make_household, "prospect", operator_extra="customer = false"), events,
                                      "fr.l223-1.consent")
    assert set(not_customer) == {"2026-08-11"}                # the day before, the opt-out law applied
    assert not_customer["2026-08-11"] == "canvassing without your prior consent (required since 2026-08-11)"
    assert _operator_breaches(_fr_with(make_household, "subscriber"), events, "fr.l223-1.consent") == {}


def test_bloctel_binds_thirty_days_after_registration_until_the_opt_in_law(make_household):
    extra = '\n[[registrations]]\nlist = "bloctel"\ndate = 2026-06-01\n'
    events = [(dt.datetime(2026, m, d, 11, 0), "0162345010", 3, 0, 20, "op")
              for m, d in ((7, 1), (7, 2), (8, 10), (8, 11))]
    got = _operator_breaches(_fr_with(make_household, "bloctel", extra, "customer = false"), events, "fr.l223-1.bloctel")
    assert set(got) == {"2026-07-02", "2026-08-10"}           # 1 July is day 30; from 11 August the text is gone
    assert "Bloctel" in got["2026-07-02"] and "binding from 2026-07-01" in got["2026-07-02"]
    assert _operator_breaches(_fr_with(make_household, "bloctel-subscriber", extra), events, "fr.l223-1.bloctel") == {}


def test_an_objection_during_a_call_bars_every_later_call_from_11_august_2026(make_household):
    # every call dated before the test imports it: a call dated after its own import is a clock
    # glitch (signal 'future') that no rule counts
    events = [(dt.datetime(2026, 8, d, 11, 0), "0162345010", 3, 0, 20, "op") for d in (12, 16)]
    events += [(dt.datetime(2026, 11, 10, 11, 0), "0162345010", 3, 0, 20, "op")]
    extra = '\n[[objections]]\ncompany = "Opérateur X"\ndate = 2026-08-12\nkind = "refusal"\n'
    got = _operator_breaches(_fr_with(make_household, "refused", extra), events, "fr.l221-16.objection")
    assert set(got) == {"2026-08-16", "2026-11-10"}           # beyond D223-9's sixty days too
    old = [(dt.datetime(2026, 6, d, 11, 0), "0162345010", 3, 0, 20, "op") for d in (1, 5)]
    extra_old = extra.replace("2026-08-12", "2026-06-01")
    assert _operator_breaches(_fr_with(make_household, "refused-before", extra_old), old, "fr.l221-16.objection") == {}


def test_registries_and_the_twelve_month_threshold_in_the_us(make_household):
    from callwatch.detect import scan
    config = CONFIG.replace('jurisdiction = "fr"', 'jurisdiction = "us"').replace("Europe/Paris", "America/New_York") \
        .replace('region = "FR"', 'region = "US"').replace('prefixes = ["01 62 34 50"]', 'prefixes = ["+1212555"]\ncustomer = false')
    config += '\n[[registrations]]\nlist = "dnc"\ndate = 2025-01-01\n'
    h = make_household(config, name="us-dnc")
    # the fixture writes Paris times: 18:00 there is noon in New York, inside 8 a.m.-9 p.m.; every call
    # is dated before the test imports it (one dated after its own import is a clock glitch no rule counts)
    events = [(dt.datetime(2025, 2, 1, 18, 0), "+12125550101", 3, 0, 20, "op"),      # day 31: not yet
              (dt.datetime(2025, 2, 2, 18, 0), "+12125550101", 3, 0, 20, "op"),      # breaks 64.1200(c)(2)
              (dt.datetime(2025, 6, 2, 18, 0), "+12125550101", 3, 0, 20, "op"),      # second in 12 months
              (dt.datetime(2026, 6, 3, 18, 0), "+12125550101", 3, 0, 20, "op")]      # a year later: first again
    h.import_(h.write("calls.xml", oppo_xml(events)))
    _, _, findings, _ = analyse(h.store, h.config)
    (operator,) = [f for f in findings if f.group.key == "operator"]
    by_rule = {}
    for b in operator.breaches:
        by_rule.setdefault(b.rule_id, []).append(operator.calls.at[b.index, "local"].strftime("%Y-%m-%d"))
    assert by_rule["us.64-1200-c2.registry"] == ["2025-02-02", "2025-06-02", "2026-06-03"]
    # 47 U.S.C. 227(c)(5): more than one violating call within 12 months (a threshold, not a breach)
    from callwatch.evidence import data as evidence_data, kits
    scan(h.store, h.config)
    assert kits.violations_in_twelve_months(evidence_data.gather(h.store, h.config)) == 2
