"""The evidence pack: consistent figures, private files, reproducible, tamper-evident."""

import csv
import io
import json
import os
import shutil
import stat
import zipfile
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from callwatch.detect import scan
from callwatch.evidence import data as evidence_data, pack as evidence_pack
from callwatch.evidence.verify import verify
from conftest import read_calls_csv
from household import OPERATOR_CONFIG, build, oppo_xml

AT = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def reported(make_household, tmp_path):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(build())))
    scan(h.store, h.config)
    gathered = evidence_data.gather(h.store, h.config, at=AT)
    result = evidence_pack.build(gathered, tmp_path / "out", "fr")
    return h, gathered, result


def test_pack_layout_private_and_verified(reported):
    h, _, result = reported
    names = sorted(p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*") if p.is_file())
    assert names == ["SHA256SUMS", "calls.csv", "complaints/cnil.md", "complaints/ordre-des-demarches.md",
                     "complaints/signalconso.md", "evidence.pdf", "findings.json", "letters/opposition-operateur.md",
                     "letters/plainte-procureur.md", "letters/reclamation-service-consommateurs.md",
                     "letters/saisine-mediateur.md", "manifest.json"]
    assert result.folder.name == "callwatch-evidence-operateur-x-2026-11-21"
    for p in [result.folder, result.zip_path, *result.folder.rglob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) in (0o600, 0o700), p
    for target in (result.folder, result.zip_path):
        report = verify(target, h.store)
        assert report.ok and report.fingerprint == result.fingerprint and report.sources_checked == 1


def test_pdf_csv_and_json_agree(reported):
    _, gathered, result = reported
    rows = read_calls_csv((result.folder / "calls.csv").read_bytes())
    findings = json.loads((result.folder / "findings.json").read_text())
    figures = findings["figures"]
    assert figures["calls"] == len(rows) == len(gathered.calls)
    assert figures["silent"] == sum("silencieux" in r["signals"].split(",") for r in rows)     # a French pack
    assert figures["missed"] == sum(r["outcome"] == "manqué" for r in rows)
    for rule in findings["rules_broken"]:
        assert len(rule["calls"]) == sum(rule["id"] in r["rules_broken"].split() for r in rows)
    reader = PdfReader(result.folder / "evidence.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    assert result.fingerprint in text.replace("\n", "")
    assert f"appels ou tentatives {figures['calls']}" in " ".join(text.split())
    assert f"silencieux (≤ 3 s, mesure à la seconde) {figures['silent']}" in " ".join(text.split())
    attached = {name: content[0] for name, content in reader.attachments.items()}
    assert attached["calls.csv"] == (result.folder / "calls.csv").read_bytes()
    assert attached["manifest.json"] == (result.folder / "manifest.json").read_bytes()


def test_letters_carry_the_real_figures(reported):
    _, gathered, result = reported
    figures = gathered.figures()
    findings = json.loads((result.folder / "findings.json").read_text())
    per_rule = {r["id"]: len(r["calls"]) for r in findings["rules_broken"]}
    letter = (result.folder / "letters" / "opposition-operateur.md").read_text()
    assert f"{figures['calls']} appels ou tentatives" in letter
    assert f"{figures['silent']} appels silencieux" in letter
    # the objection's figure is the GDPR rule's own (the refusal rule's breaches are never added in)
    assert (f"par écrit à toute prospection le 1er octobre 2026 ; {per_rule['fr.rgpd-21.objection']} appels sont "
            "intervenus après") in letter
    assert f"{per_rule['fr.d223-9.frequency']} de ces appels dépassent le plafond" in letter
    assert "du 1er septembre 2026" in letter.lower() or "Du 1er septembre 2026" in letter
    prosecutor = (result.folder / "letters" / "plainte-procureur.md").read_text()
    assert "222-16" in prosecutor and f"{figures['calls']} appels ou tentatives" in prosecutor
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages).split())
    assert f"Opérateur X : {figures['calls']} appels ou tentatives" in pdf_text     # the summary, in French


def test_no_unrelated_number_anywhere(reported):
    _, _, result = reported
    unrelated = ["+33611223344", "0611223344", "+33755667788", "0755667788", "+33145678910", "0145678910",
                 "1023", "+2250707123456", "+3316355"]
    with zipfile.ZipFile(result.zip_path) as z:     # the PDF's compressed bytes are read as text below
        blobs = {i.filename: z.read(i) for i in z.infolist() if not i.filename.endswith(".pdf")}
    pdf_text = " ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages)
    for name, blob in list(blobs.items()) + [("pdf text", pdf_text.encode())]:
        for number in unrelated:
            assert number.encode() not in blob, (number, name)


def test_same_inputs_same_bytes(reported, tmp_path):
    h, _, result = reported
    again = evidence_pack.build(evidence_data.gather(h.store, h.config, at=AT), tmp_path / "again", "fr")
    for path in result.folder.rglob("*"):
        if path.is_file():
            assert (again.folder / path.relative_to(result.folder)).read_bytes() == path.read_bytes(), path
    assert again.zip_path.read_bytes() == result.zip_path.read_bytes()


def test_any_change_is_caught(reported, tmp_path):
    h, _, result = reported
    folder = result.folder
    pdf = folder / "evidence.pdf"
    original = pdf.read_bytes()
    for position in (0, len(original) // 2, len(original) - 1):
        changed = bytearray(original)
        changed[position] ^= 0x01
        pdf.write_bytes(bytes(changed))
        assert verify(folder).changed == ["evidence.pdf"]
    pdf.write_bytes(original)
    csv_path = folder / "calls.csv"
    content = csv_path.read_bytes()
    csv_path.write_bytes(content.replace("manqué".encode(), "décro".encode(), 1))
    assert csv_path.read_bytes() != content
    report = verify(folder)
    assert "calls.csv" in report.changed and not report.ok
    csv_path.write_bytes(content)
    (folder / "complaints" / "signalconso.md").unlink()
    assert verify(folder).missing == ["complaints/signalconso.md"]
    (folder / "notes.txt").write_text("added")
    assert "notes.txt" in verify(folder).extra


def test_altered_source_export_in_the_archive_is_caught(reported):
    h, _, result = reported
    (row,) = h.store.imports()
    archived = h.config.data_dir / row["archive_path"]
    os.chmod(archived, 0o600)
    archived.write_bytes(archived.read_bytes().replace(b'duration="0"', b'duration="9"', 1))
    report = verify(result.zip_path, h.store)
    assert not report.ok and report.sources_bad and "altered" in report.sources_bad[0]


def test_pdf_is_pdfa_3b_with_embedded_fonts_and_associated_files(reported):
    _, _, result = reported
    reader = PdfReader(result.folder / "evidence.pdf")
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    relationships = {spec.get_object()["/F"]: spec.get_object()["/AFRelationship"] for spec in root["/AF"]}
    assert relationships == {"calls.csv": "/Data", "manifest.json": "/Source"}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]          # every glyph is embedded


def test_the_french_dossier_words_rules_details_and_attributions_in_french(reported, tmp_path):
    _, gathered, result = reported
    findings = json.loads((result.folder / "findings.json").read_text())
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(result.folder / "evidence.pdf").pages).split())
    english = {c["detail"] for rule in findings["rules_broken"] for c in rule["calls"]} | \
              {n["detail"] for n in findings["numbers"]}
    assert english and not [d for d in english if d in text]          # the stored English sentences stay out
    for phrase in ("public holiday", "outside 10:00", "after your", "in 30 days", "declared in the configuration",
                   "same block", "Assumes", "(and ", "answered", "missed"):
        assert phrase not in text, phrase
    assert "n° 5 sur 30 jours" in text and "Suppose : les appels sont du démarchage" in text
    assert "heure locale" in text and "manqué" in text
    # the same finding in English keeps the English sentences
    english_pack = evidence_pack.build(gathered, tmp_path / "en", "en")
    text_en = " ".join(" ".join(p.extract_text() for p in PdfReader(english_pack.folder / "evidence.pdf").pages).split())
    assert "no. 5 in 30 days" in text_en and "Assumes: the calls are canvassing" in text_en


def test_a_date_given_with_at_is_said_to_be_given_by_the_user(make_household, tmp_path):
    from callwatch.evidence.verify import verify as verify_pack
    h = make_household(OPERATOR_CONFIG + '\n[complainant]\nname = "Anne Martin"\n')
    h.import_(h.write("calls.xml", oppo_xml(build())))
    scan(h.store, h.config)
    at = datetime.now(timezone.utc).replace(microsecond=0)
    given = evidence_pack.make(h.store, h.config, tmp_path / "given", lang="fr", at=at)
    clock = evidence_pack.make(h.store, h.config, tmp_path / "clock", lang="fr")
    manifest = json.loads((given.folder / "manifest.json").read_text())
    assert manifest["inputs"]["date_given_by_user"] is True
    assert manifest["date_basis"].startswith("the generation time was given by the user (--at)")
    cover = " ".join(PdfReader(given.folder / "evidence.pdf").pages[0].extract_text().split())
    assert "date donnée par l'utilisateur (--at)" in cover and "Anne Martin" in cover
    assert "Adresse ______" in cover                            # not in the config: a blank to fill by hand
    plain = " ".join(PdfReader(clock.folder / "evidence.pdf").pages[0].extract_text().split())
    assert "donnée par l'utilisateur" not in plain
    assert json.loads((clock.folder / "manifest.json").read_text())["inputs"]["date_given_by_user"] is False
    # the rebuild makes the --at pack again, byte for byte
    report = verify_pack(given.folder, h.store, rebuild_config=h.config)
    assert report.rebuild is not None and not report.rebuild.differs, report.lines()


def test_a_french_calls_csv_opens_in_a_french_spreadsheet_with_numbers_intact(reported):
    """French headings and values, ";" between fields, and numbers a spreadsheet keeps as text."""
    import pandas as pd
    _, gathered, result = reported
    blob = (result.folder / "calls.csv").read_bytes()
    assert blob.startswith(b"\xef\xbb\xbf")
    head = blob.decode("utf-8-sig").split("\r\n", 1)[0]
    assert head.startswith("n° d'appel;date locale;heure locale;fuseau;jour;UTC;ligne appelée;numéro;")
    # read as a French spreadsheet reads it: ";" between fields, "," the decimal mark
    table = pd.read_csv(io.BytesIO(blob), sep=";", decimal=",", encoding="utf-8-sig")
    numbers = table["numéro"].astype(str)
    assert numbers.str.startswith("+33 ").all() and len(table) == len(gathered.calls)
    assert set(table["issue"]) <= {"décroché", "manqué", "rejeté", "bloqué", "messagerie", "inconnu"}
    assert set(table["jour"]) <= {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}
    assert table["emplacement dans le fichier"].str.match(r"<CALL_RECORDS> n° \d+ \(ligne \d+, colonne \d+\)").all()
    assert not any(w in blob.decode("utf-8-sig") for w in (",answered,", "Monday", "allowed", "withheld"))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (libreoffice-calc-nogui) is not installed")
def test_libreoffice_in_french_keeps_every_number_with_its_plus(reported, tmp_path):
    """The real spreadsheet: LibreOffice Calc, French locale, converts calls.csv to xlsx; the
    numbers must come out as text cells starting with "+" (a bare +33162345012 becomes the
    number 33162345012: checked here too, so the test shows it would catch that)."""
    import re
    import subprocess
    import zipfile
    _, gathered, result = reported
    work = tmp_path / "lo"
    work.mkdir()
    (work / "calls.csv").write_bytes((result.folder / "calls.csv").read_bytes())
    (work / "bare.csv").write_bytes(re.sub(rb"\+33 (\d) (\d\d) (\d\d) (\d\d) (\d\d)", rb"+33\1\2\3\4\5",
                                           (result.folder / "calls.csv").read_bytes()))
    for name in ("calls.csv", "bare.csv"):
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{work}/profile",
                        "--infilter=CSV:59,34,76,1,,1036", "--convert-to", "xlsx", "--outdir", str(work), name],
                       cwd=work, env={**os.environ, "LC_ALL": "C.UTF-8"}, capture_output=True, timeout=180, check=True)

    def column_h(xlsx):
        with zipfile.ZipFile(xlsx) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
            strings = re.findall(r"<t[^>]*>([^<]*)</t>", z.read("xl/sharedStrings.xml").decode())
        cells = re.findall(r'<c r="H(\d+)"([^>]*)>(?:<v>([^<]*)</v>)?', sheet)
        return [(strings[int(v)] if 't="s"' in attrs else ("number", v)) for row, attrs, v in cells if row != "1"]
    ours = column_h(work / "calls.xlsx")
    assert len(ours) == len(gathered.calls) and all(isinstance(v, str) and v.startswith("+33 ") for v in ours)
    assert all(v[0] == "number" for v in column_h(work / "bare.xlsx"))
