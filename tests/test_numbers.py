import pytest

from callwatch.numbers import ALLOWED, PAYPHONE, UNKNOWN, WITHHELD, Normaliser


@pytest.fixture(scope="module")
def fr():
    return Normaliser("FR")


@pytest.mark.parametrize("raw", ["0612345678", "06 12 34 56 78", "06.12.34.56.78", "+33612345678",
                                 "+33 6 12 34 56 78", "0033612345678", "33612345678", "612345678"])
def test_french_notations_give_one_e164(fr, raw):
    assert fr.normalise(raw).e164 == "+33612345678"


@pytest.mark.parametrize("raw,presentation", [
    ("", WITHHELD), ("-2", WITHHELD), ("-1", UNKNOWN), ("-3", PAYPHONE), ("Anonymous", WITHHELD),
    ("PRIVATE", WITHHELD), ("Unknown", UNKNOWN), ("Unbekannt", UNKNOWN), ("masqué", WITHHELD),
    ("Numéro masqué", WITHHELD), ("anonymous", WITHHELD)])
def test_markers_are_presentations_not_numbers(fr, raw, presentation):
    facts = fr.normalise(raw)
    assert facts.presentation == presentation
    assert facts.e164 is None and facts.key is None


def test_presentation_stated_by_source_wins_over_digits(fr):
    facts = fr.normalise("0612345678", WITHHELD)
    assert facts.presentation == WITHHELD and facts.e164 is None


@pytest.mark.parametrize("raw,zone", [
    ("0162123456", "mainland"), ("01 63 00 00 00", "mainland"), ("0270123456", "mainland"),
    ("0377123456", "mainland"), ("0425123456", "mainland"), ("0568123456", "mainland"),
    ("0948123456", "mainland"), ("0949123456", "mainland"), ("0947512345", "Guadeloupe, Saint-Martin, Saint-Barthélemy"),
    ("0947912345", "La Réunion, Mayotte")])
def test_arcep_verified_ranges_are_flagged(fr, raw, zone):
    assert fr.normalise(raw).npv == zone


@pytest.mark.parametrize("raw", ["0612345678", "0123456789", "0937123456", "0988290475"])
def test_ordinary_numbers_are_not_flagged(fr, raw):
    assert fr.normalise(raw).npv is None


def test_number_kinds_and_holder(fr):
    assert fr.normalise("0612345678").kind == "mobile"
    assert fr.normalise("0123456789").kind == "fixed"
    assert fr.normalise("0800123456").kind == "toll-free"
    assert fr.normalise("0988290475").kind == "voip"
    assert fr.normalise("0612345678").country == "FR"


def test_short_codes_keep_their_digits(fr):
    facts = fr.normalise("3631")
    assert facts.kind == "short-code" and facts.e164 is None and facts.key == "3631"


def test_overseas_departments_dialled_nationally(fr):
    assert fr.normalise("0262994680").e164 == "+262262994680"
    assert fr.normalise("0262994680").country == "RE"
    assert fr.normalise("0696123456").country == "MQ"


def test_technical_prefixes_are_stripped(fr):
    assert fr.normalise("Internet: 0123456789").e164 == "+33123456789"
    assert fr.normalise("SIP: +33123456789").e164 == "+33123456789"


def test_source_region_overrides_default(fr):
    assert fr.normalise("0925000000", region="TH").e164 == "+66925000000"
    assert fr.normalise("3019754971", region="US").e164 == "+13019754971"


def test_garbage_is_kept_raw_with_a_note(fr):
    facts = fr.normalise("call me maybe")
    assert facts.presentation == ALLOWED and facts.e164 is None and "not a telephone number" in facts.note


def test_each_distinct_string_is_parsed_once(fr, monkeypatch):
    n = Normaliser("FR")
    calls = []
    real = n._parse
    monkeypatch.setattr(n, "_parse", lambda *a: calls.append(a) or real(*a))
    for _ in range(100):
        n.normalise("0612345678")
    assert len(calls) == 1


@pytest.mark.parametrize("raw, key", [
    ("0700123456", "+33700123456"),          # unallocated in the French plan
    ("+33 7 00 12 34 56", "+33700123456"),   # the same, written internationally: one identity
    ("+999123456", "+999123456"),            # no country has code 999
    ("12345", "12345"),                      # bare digits: no country is guessed
])
def test_a_number_out_of_the_plan_keeps_an_identity_and_is_flagged(fr, raw, key):
    facts = fr.normalise(raw)
    assert (facts.key, facts.kind, facts.e164) == (key, "invalid-in-plan", None)


def test_calls_from_a_spoofed_number_group_under_it(household):
    xml = ('<?xml version="1.0"?><calls count="2">'
           '<call number="0700123456" duration="0" date="1791796807000" type="3" presentation="1" />'
           '<call number="+33700123456" duration="1" date="1791883207000" type="1" presentation="1" /></calls>')
    household.import_(household.write("calls.xml", xml))
    assert [c["number"] for c in household.calls()] == ["+33700123456", "+33700123456"]
    (row,) = household.store.db.query("SELECT kind, note FROM numbers")
    assert row["kind"] == "invalid-in-plan" and "not a valid number" in row["note"]


def test_the_code_hiding_ones_number_is_not_part_of_the_number(fr):
    assert fr.normalise("#31#0612345678").e164 == "+33612345678"


def test_the_pack_says_a_number_out_of_the_plan_is_likely_spoofed(make_household, tmp_path):
    import json
    from datetime import datetime, timezone
    from callwatch.detect import scan
    from callwatch.evidence import data as evidence_data, pack as evidence_pack
    from household import OPERATOR_CONFIG, oppo_xml
    h = make_household(OPERATOR_CONFIG.replace('prefixes = ["01 62 34 50"]', 'numbers = ["07 00 12 34 56"]'), "spoof")
    events = [(datetime(2026, 10, d, 11, 0), "0700123456", 3, 0, 5, "op") for d in (5, 6, 7, 8, 9, 12)]
    h.import_(h.write("calls.xml", oppo_xml(events)))
    scan(h.store, h.config)
    result = evidence_pack.build(evidence_data.gather(h.store, h.config, at=datetime.now(timezone.utc)),
                                 tmp_path / "out", "en")
    (number,) = json.loads((result.folder / "findings.json").read_text())["numbers"]
    assert number["number"] == "+33700123456" and number["in_numbering_plan"] is False
    from pypdf import PdfReader
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages).split())
    assert "not a number of the numbering plan: likely spoofed" in text


def test_phonenumbers_is_loaded_only_when_a_number_is_parsed(tmp_path):
    """A process that parses no number (a daemon job finding an export it already has) does not
    pay for phonenumbers' start-up, even with lines configured; one that meets a number loads it
    and gets the same facts."""
    import subprocess
    import sys
    export = tmp_path / "Master.csv"
    export.write_text('"","0612345678","0123456789","from-trunk","""A"" <0612345678>","PJSIP/trunk-1",'
                      '"PJSIP/100-1","Dial","PJSIP/100,30","2026-11-02 10:00:00","","2026-11-02 10:00:20",'
                      '20,0,"NO ANSWER","DOCUMENTATION","1793520000.1",""\n')
    probe = ("import sys\nfrom callwatch.cli import main\nsys.argv = ['callwatch', '--data-dir', sys.argv[1], 'import', "
             "sys.argv[2]]\ntry:\n    main()\nexcept SystemExit:\n    pass\nprint('LOADED', 'phonenumbers' in sys.modules)\n")
    config = tmp_path / "callwatch.toml"      # a household's lines: their numbers are normalised only when needed
    config.write_text('region = "FR"\ntimezone = "Europe/Paris"\n[[lines]]\nnumber = "01 23 45 67 89"\n'
                      'label = "home"\n')
    env = {"CALLWATCH_CONFIG": str(config), "XDG_CONFIG_HOME": str(tmp_path / "none"), "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run([sys.executable, "-c", probe, str(tmp_path / "data"), str(export)], capture_output=True,
                           text=True, env=env, timeout=120) for _ in range(2)]
    assert "LOADED True" in runs[0].stdout, runs[0].stdout + runs[0].stderr        # a new number: parsed
    assert "LOADED False" in runs[1].stdout, runs[1].stdout + runs[1].stderr       # already imported: nothing parsed
    facts = Normaliser("FR").normalise("06 12 34 56 78")
    assert (facts.key, facts.kind, facts.country) == ("+33612345678", "mobile", "FR")


def test_the_plain_french_forms_are_read_as_phonenumbers_reads_them():
    """numbers.parse reads 0 + nine digits (region FR) and +33 + nine digits (any region) itself:
    the very PhoneNumber phonenumbers.parse returns (every field), over every four-digit prefix of
    the plan's nine-digit numbers, in each region a source may give; the other forms go to
    phonenumbers unchanged (its own exceptions included)."""
    import random

    import phonenumbers

    from callwatch import numbers
    numbers._load_phonenumbers()

    def fields(n):              # every field as it is (PhoneNumber's == takes None and False as one)
        return (n.country_code, n.national_number, n.extension, n.italian_leading_zero, n.number_of_leading_zeros,
                n.raw_input, n.country_code_source, n.preferred_domestic_carrier_code)
    pick = random.Random(20261201)
    checked = 0
    for prefix in range(1000, 10000):
        nsn = f"{prefix}{pick.randrange(100000):05d}"
        for compact, region in ((f"0{nsn}", "FR"), (f"+33{nsn}", pick.choice(["FR", "GB", "US", "RE", "DE", None]))):
            assert fields(numbers.parse(compact, region)) == fields(phonenumbers.parse(compact, region)), compact
            checked += 1
    assert checked == 18000
    # near misses: not the plain forms, so phonenumbers' own reading, exceptions and all
    for compact, region in (("0612345678", "GB"), ("0012345678", "FR"), ("061234567", "FR"), ("06123456789", "FR"),
                            ("+330612345678", "FR"), ("+3361234567", "FR"), ("0612345678", "RE"), ("+33612345678", "FR")):
        try:
            expected = phonenumbers.parse(compact, region)
        except phonenumbers.NumberParseException as e:
            with pytest.raises(phonenumbers.NumberParseException) as got:
                numbers.parse(compact, region)
            assert got.value.error_type == e.error_type
        else:
            assert fields(numbers.parse(compact, region)) == fields(expected)
