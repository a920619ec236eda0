"""Letters and complaint kits say only what the pack's findings say: every figure and date read
back from the text and checked against findings.json and calls.csv, for a French, a UK and a US
case; no letter of another jurisdiction; the French letters translated with --lang en."""

import csv
import datetime as dt
import io
import json
import re

import pytest

from callwatch.detect import scan
from callwatch.evidence import data as evidence_data, pack as evidence_pack
from callwatch.wording import long_date
from conftest import read_calls_csv
from household import OPERATOR_CONFIG, build, oppo_xml

AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
# A refusal during a call as well as the written objection: their figures must never be added up.
FR_CONFIG = OPERATOR_CONFIG + '\n[[objections]]\ncompany = "Opérateur X"\ndate = 2026-10-20\nkind = "refusal"\n' \
    '\n[complainant]\nname = "Anne Martin"\naddress = "12 rue des Lilas, 75011 Paris"\n' \
    '\n[[lines]]\nnumber = "06 98 76 54 32"\nlabel = "mobile"\nsources = ["android-calllog"]\n'
UK_CONFIG = FR_CONFIG.replace('jurisdiction = "fr"', 'jurisdiction = "uk"').replace('"Europe/Paris"', '"Europe/London"') \
    + '\n[[registrations]]\nlist = "tps"\ndate = 2026-08-01\n'
US_CONFIG = OPERATOR_CONFIG.replace('jurisdiction = "fr"', 'jurisdiction = "us"') \
    .replace('"Europe/Paris"', '"America/New_York"').replace('region = "FR"', 'region = "US"') \
    .replace('prefixes = ["01 62 34 50"]', 'prefixes = ["+1212555"]\ncustomer = false') \
    .replace('kind = "gdpr-art21"', 'kind = "do-not-call"') \
    + '\n[[registrations]]\nlist = "dnc"\ndate = 2026-06-01\n' \
    + '\n[[lines]]\nnumber = "+1 718 555 0199"\nlabel = "home"\nsources = ["android-calllog"]\n'


def _pack(make_household, tmp_path, config, lang, name, events=None):
    h = make_household(config, name=name)
    h.import_(h.write("calls.xml", oppo_xml(events or build())))
    scan(h.store, h.config)
    result = evidence_pack.build(evidence_data.gather(h.store, h.config, at=AT), tmp_path / name, lang)
    files = {p.relative_to(result.folder).as_posix(): p.read_bytes() for p in result.folder.rglob("*") if p.is_file()}
    findings = json.loads(files["findings.json"])
    rows = read_calls_csv(files["calls.csv"])
    return files, findings, rows


def _texts(files, folder):
    return {name: blob.decode() for name, blob in files.items() if name.startswith(folder + "/") and name.endswith(".md")}


def _per_objection(findings, rule_id, date):
    rule = next((r for r in findings["rules_broken"] if r["id"] == rule_id), None)
    return sum(1 for c in (rule or {}).get("calls", []) if any(v.get("date") == date for _, v in c["facts"]))


def test_french_letters_state_each_rules_own_figures(make_household, tmp_path):
    files, findings, rows = _pack(make_household, tmp_path, FR_CONFIG, "fr", "fr")
    per_rule = {r["id"]: len(r["calls"]) for r in findings["rules_broken"]}
    fig = findings["figures"]
    letters = _texts(files, "letters")
    assert set(letters) == {"letters/opposition-operateur.md", "letters/reclamation-service-consommateurs.md",
                            "letters/saisine-mediateur.md", "letters/plainte-procureur.md"}
    gdpr = _per_objection(findings, "fr.rgpd-21.objection", "2026-10-01")
    refusal = _per_objection(findings, "fr.d223-9.refusal", "2026-10-20")
    assert gdpr and refusal and gdpr != gdpr + refusal
    for name, text in letters.items():
        flat = " ".join(text.split())
        assert re.search(r"(?:ont|a) reçu (\d+) appels ou tentatives", flat).group(1) == str(fig["calls"]), name
        first, last = re.search(r"Du (.+?) au (.+?), (?:mes lignes|ma ligne)", flat).groups()
        assert (first, last) == (long_date(fig["first"], "fr"), long_date(fig["last"], "fr")), name
        assert int(re.search(r"(\d+) de ces appels dépassent le plafond", flat).group(1)) == per_rule["fr.d223-9.frequency"]
        assert int(re.search(r"(\d+) ont eu lieu hors des jours et heures", flat).group(1)) == per_rule["fr.d223-9.hours"]
        said = re.search(r"le 1er octobre 2026 ; (\d+) appels sont intervenus après", flat)
        assert said and int(said.group(1)) == gdpr, name        # the GDPR rule's own figure, nothing added
        said = re.search(r"20 octobre 2026, j'ai refusé d'être démarché\(e\)( \[[^\]]*\])? ; (\d+) appels", flat)
        assert said and int(said.group(2)) == refusal, name
        # no answered conversation with them that day in the logs: the letter asks to check the date
        assert said.group(1) and "vérifiez cette date" in said.group(1), name
        # numbers in their national form, the complainant named, no ISO date, no other country's law
        assert "01 62 34 50" in flat and "+3316" not in flat and "Anne Martin" in text
        if name in ("letters/plainte-procureur.md", "letters/saisine-mediateur.md"):   # to a third party
            for second_person in ("votre société", "vous disposiez", "vous était interdit", "vous impose", "votre appel"):
                assert second_person not in flat, (name, second_person)
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", flat), name
        assert not any(w in flat for w in ("47 CFR", "PECR", "Ofcom", "TCPA")), name
    kit = " ".join(files["complaints/signalconso.md"].decode().split())
    dates = re.findall(r"\d\. (\d+(?:er)? \w+ \d{4})", kit)
    assert len(dates) == 5
    counted_days = {long_date(r["local_date"], "fr") for r in rows}
    assert set(dates) <= counted_days
    number = re.search(r"Numéro qui vous a appelé : ([\d ]+)", kit).group(1).strip()
    assert number.replace(" ", "") in {r["number"].replace(" ", "").replace("+33", "0") for r in rows}
    description = files["complaints/signalconso.md"].decode().split("Description (")[1]
    assert int(description.split(" caractères")[0]) <= 5000
    assert "calls.csv" not in kit.split("Pièces jointes")[1].split("Vos coordonnées")[0].replace("le CSV", "")


def test_an_english_pack_of_a_french_case_translates_the_french_letters(make_household, tmp_path):
    files, findings, _ = _pack(make_household, tmp_path, FR_CONFIG, "en", "fr-en")
    letters = _texts(files, "letters")
    assert set(letters) == {"letters/objection-to-the-company.md", "letters/complaint-to-consumer-service.md",
                            "letters/referral-to-the-mediator.md", "letters/complaint-to-the-prosecutor.md"}
    per_rule = {r["id"]: len(r["calls"]) for r in findings["rules_broken"]}
    text = " ".join(letters["letters/objection-to-the-company.md"].split())
    assert "English translation of the French letter" in text and "Dear Sir or Madam" in text
    assert f"{per_rule['fr.d223-9.frequency']} of these calls exceed the cap" in text
    assert not any(w in text for w in ("FCC", "47 CFR", "Ofcom"))


def test_uk_letters_and_kits(make_household, tmp_path):
    files, findings, rows = _pack(make_household, tmp_path, UK_CONFIG, "en", "uk")
    assert set(_texts(files, "letters")) == {"letters/objection-to-the-company.md"}
    kits = _texts(files, "complaints")
    assert {"complaints/ofcom.md", "complaints/ico.md", "complaints/tps.md", "complaints/what-to-do-next.md"} == set(kits)
    everything = " ".join(" ".join(t.split()) for t in list(kits.values()) + list(_texts(files, "letters").values()))
    assert not any(w in everything for w in ("D223-9", "Code de la consommation", "47 CFR", "SignalConso"))
    ico = kits["complaints/ico.md"]
    listed = re.findall(r"^\d\. (.+?), (\d\d:\d\d) \((\w+)\); number shown: ([^;]+);", ico, re.M)
    assert 1 <= len(listed) <= 5
    by_moment = {(long_date(r["local_date"], "en"), r["local_time"][:5]): r for r in rows}
    for day, time, zone, number in listed:
        row = by_moment[(day, time)]
        assert zone == row["time_zone"] and number.replace(" ", "").lstrip("0") in row["number"].replace(" ", "")
    letter = " ".join(_texts(files, "letters")["letters/objection-to-the-company.md"].split())
    tps = next(r for r in findings["rules_broken"] if r["id"] == "uk.pecr-21.tps")
    assert f"{len(tps['calls'])} of these calls came although my number is registered" in letter


def test_us_letters_kits_and_the_ftc_csv(make_household, tmp_path):
    # the fixture writes Paris times: 13:00 there is 7 a.m. in New York, before the permitted hours
    events = [(when.replace(hour=h), "+1212555" + n[-4:], kind, dur, ring, who)
              for (when, n, kind, dur, ring, who), h in zip(build(), [13, 15, 19] * 200) if who == "operator"][:60]
    files, findings, rows = _pack(make_household, tmp_path, US_CONFIG, "en", "us", events)
    assert set(_texts(files, "letters")) == {"letters/do-not-call-request.md"}
    kits = _texts(files, "complaints")
    assert {"complaints/fcc.md", "complaints/ftc.md", "complaints/what-to-do-next.md"} <= set(kits)
    ftc = list(csv.reader(io.StringIO(files["complaints/ftc-complaints.csv"].decode())))
    assert ftc[0] == ["Company_Phone_Number", "Created_Date", "Violation_Date", "Consumer_City", "Consumer_State",
                      "Consumer_Area_Code", "Subject", "Recorded_Message_Or_Robocall"]
    violating = [r for r in rows if r["rules_broken"]]
    assert [(r[0], r[2]) for r in ftc[1:]] == [(r["number"].replace(" ", "").replace("-", "").removeprefix("+1"),
                                               f"{r['local_date']} {r['local_time']}") for r in violating]
    assert all(r[5] == "718" for r in ftc[1:])
    letter = " ".join(_texts(files, "letters")["letters/do-not-call-request.md"].split())
    per_rule = {r["id"]: len(r["calls"]) for r in findings["rules_broken"]}
    assert f"{per_rule['us.64-1200-c1.hours']} of these calls came before 8 a.m. or after 9 p.m." in letter
    assert f"{per_rule['us.64-1200-c2.registry']} came although my number is on the National Do Not Call" in letter
    assert not any(w in letter for w in ("D223-9", "Ofcom", "PECR"))


@pytest.mark.parametrize("config, lang, words", [
    (FR_CONFIG.replace('75011 Paris"\n', '75011 Paris"\nbirth_place = "Lyon"\n'), "fr",
     ["article 202 du Code de procédure civile", "Né(e) le", "à Lyon", "établie en vue de sa production en justice",
      "article 441-7 du Code pénal", "de votre main", "document officiel d'identité", "Anne Martin"]),
    (UK_CONFIG, "en", ["WITNESS STATEMENT", "Statement of truth", "proceedings for contempt of court"]),
    (US_CONFIG, "en", ["DECLARATION", "under penalty of perjury under the laws of the United States of America"]),
])
def test_the_attestation_takes_the_form_the_jurisdiction_asks_for(make_household, tmp_path, config, lang, words):
    from pypdf import PdfReader
    events = None
    if 'jurisdiction = "us"' in config:
        events = [(w.replace(hour=15), "+1212555" + n[-4:], k, d, r, who) for w, n, k, d, r, who in build()
                  if who == "operator"][:40]
    files, findings, rows = _pack(make_household, tmp_path, config, lang, "att-" + lang + str(len(config)), events)
    pages = PdfReader(io.BytesIO(files["evidence.pdf"])).pages
    heading = words[0] if words[0] in ("WITNESS STATEMENT", "DECLARATION") else "Attestation"
    page = next(" ".join(p.extract_text().split()) for p in pages
                if heading.lower() in p.extract_text()[:80].lower())
    for w in words:
        assert w in page, w
    manifest = json.loads(files["manifest.json"])
    for src in manifest["sources"]:                        # each export named with its hash and import date
        assert src["name"] in page and src["sha256"] in page.replace(" ", "")
    assert str(findings["figures"]["calls"]) in page


def test_a_pdf_too_large_for_signalconso_comes_in_parts_that_fit(make_household, tmp_path, monkeypatch):
    from pypdf import PdfReader
    from callwatch.evidence import kits
    monkeypatch.setattr(kits, "SIGNALCONSO_MAX_FILE", 150_000)       # a small limit, for a small test pack
    files, _, _ = _pack(make_household, tmp_path, FR_CONFIG, "fr", "parts")
    whole = PdfReader(io.BytesIO(files["evidence.pdf"]))
    assert len(files["evidence.pdf"]) > 150_000
    names = sorted((n for n in files if n.startswith("complaints/evidence-partie-")),
                   key=lambda n: int(n.rsplit("-", 1)[1].split(".")[0]))
    assert len(names) >= 2
    texts = []
    for name in names:
        part = PdfReader(io.BytesIO(files[name]))
        assert len(files[name]) <= 150_000 or len(part.pages) == 1, name
        texts += [p.extract_text() for p in part.pages]
    assert texts == [p.extract_text() for p in whole.pages]          # every page, once, in order
    assert all(n in files["SHA256SUMS"].decode() for n in names)      # covered by the pack's root


def test_each_part_is_the_longest_run_of_pages_that_fits():
    """pdf_parts on a PDF whose pages differ in size (a page of text, a page of a large image...):
    each part fits (or is one page alone), together they are every page in order, and no part
    could have taken the next page (a part one page longer is over the limit)."""
    import random

    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter
    from callwatch.evidence import kits
    rng = random.Random(3)
    doc = FPDF()
    doc.set_font("helvetica", size=8)
    for page in range(60):
        doc.add_page()
        doc.cell(0, 5, f"page {page + 1}")
        doc.ln()
        # incompressible text of varying length: pages from a few hundred bytes to ~12 KB
        words = rng.randint(1, 6) ** 3 * 4
        doc.multi_cell(0, 3, " ".join(f"{rng.getrandbits(40):x}" for _ in range(words)))
    pdf = bytes(doc.output())
    limit = len(pdf) // 7
    parts = kits.pdf_parts(pdf, limit)
    whole = PdfReader(io.BytesIO(pdf))
    assert len(parts) >= 7
    texts, start = [], 0
    for part in parts:
        pages = PdfReader(io.BytesIO(part)).pages
        assert len(part) <= limit or len(pages) == 1
        texts += [p.extract_text() for p in pages]
        end = start + len(pages)
        if end < len(whole.pages):                                       # one page more would not fit
            writer = PdfWriter()
            for i in range(start, end + 1):
                writer.add_page(whole.pages[i])
            writer.compress_identical_objects()
            longer = io.BytesIO()
            writer.write(longer)
            assert len(longer.getvalue()) > limit, (start, end)
        start = end
    assert texts == [p.extract_text() for p in whole.pages]
