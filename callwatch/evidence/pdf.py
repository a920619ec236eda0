"""The evidence PDF: PDF/A-3B (fpdf2 enforces it), DejaVu fonts embedded (accents, euro
sign), calls.csv and manifest.json attached inside. Rendered from PackData only."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from pathlib import Path

import matplotlib
from fpdf import FPDF

from callwatch import __version__
from callwatch.evidence import attestation, charts, kits, letters as letters_mod
from callwatch.evidence.data import PackData
from callwatch.wording import (CHART_LABELS, FIGURE_LABELS, SIGNAL_LEGEND, describe, locator, long_date, phone,
                               talk as talk_text, tier, value, word as _word)

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


LABELS = {
    "fr": {
        "title": "Relevé d'appels — dossier de preuve", "subject": "Objet", "period": "Période",
        "generated": "Établi le", "version": "Logiciel", "fingerprint": "Empreinte du dossier (SHA-256 du manifeste)",
        "rulepack": "Règles appliquées", "summary": "Synthèse", "rules": "Règles enfreintes",
        "attribution": "Attribution des numéros", "calls": "Tableau des appels", "method": "Méthode et limites",
        "integrity": "Intégrité et sources", "attestation": "Attestation", "letters": "Annexe : projets de lettres",
        "leads": "Pistes non comptées", "decisions": "Vos décisions",
        "kits": "Annexe : formulaires de plainte pré-remplis",
        "date_given": "date donnée par l'utilisateur (--at), non lue sur l'horloge",
        "date_given_basis": "Date donnée par l'utilisateur : l'heure d'établissement a été indiquée à la main (--at) ; "
                            "aucun horodatage par un tiers de confiance.",
        "complainant": "Plaignant(e)", "address": "Adresse", "lines": "Lignes (titulaire)",
        "page": "page", "date_basis": "Date auto-déclarée : l'heure d'établissement est celle de l'ordinateur qui a "
                                      "produit ce dossier ; aucun horodatage par un tiers de confiance.",
    },
    "en": {
        "title": "Call log evidence", "subject": "Subject", "period": "Period", "generated": "Generated",
        "version": "Software", "fingerprint": "Pack fingerprint (SHA-256 of the manifest)", "rulepack": "Rules applied",
        "summary": "Summary", "rules": "Rules broken", "attribution": "Attribution of the numbers",
        "calls": "Table of calls", "method": "Method and limits", "integrity": "Integrity and sources",
        "attestation": "Attestation", "letters": "Appendix: draft letters", "page": "page",
        "leads": "Leads, not counted", "decisions": "Your decisions",
        "kits": "Appendix: complaint forms, filled",
        "date_given": "date given by the user (--at), not read from the clock",
        "date_given_basis": "Date given by the user: the generation time was typed in (--at); no trusted "
                            "time-stamping authority was used.",
        "complainant": "Complainant", "address": "Address", "lines": "Lines (holder)",
        "date_basis": "Self-declared date: the generation time is the clock of the computer that made this pack; "
                      "no trusted time-stamping authority was used.",
    },
}

# Table headings and the values of the store's vocabularies, in the report's language.


METHOD = {
    "fr": ["Les appels proviennent des exports des appareils et box du foyer, importés sans modification ; "
           "chaque fichier source est conservé, identifié par son empreinte SHA-256 (section Intégrité).",
           "Chaque heure est donnée en heure locale ({zone}) et en UTC. Les exports qui écrivent l'heure locale "
           "sans fuseau sont lus dans ce fuseau ; les heures ambiguës des changements d'heure sont signalées.",
           "Précision : une FRITZ!Box note l'heure et la durée à la minute ; un appel de « 0:01 » y est compté "
           "« moins d'une minute », jamais « silencieux ». Un appel est dit silencieux s'il a été décroché et a duré "
           "3 secondes au plus, mesuré à la seconde.",
           "Un journal d'appels montre qu'un appel a eu lieu, quand, depuis quel numéro présenté et combien de temps ; "
           "il ne montre ni l'objet de l'appel ni l'identité réelle de l'appelant (un numéro peut être usurpé). "
           "L'attribution de chaque numéro est indiquée avec sa base ; un lien « probable » repose sur le "
           "comportement et n'est pas une certitude.",
           "Les règles supposent ce que le journal ne peut montrer ; chaque règle l'indique (« suppose »).",
           "Chaque chiffre qui compte pour une règle repose sur les seuls appels dont l'attribution est « déclaré par "
           "vous » (un numéro, un préfixe ou un nom que vous avez indiqué), « même bloc » qu'un numéro déclaré, ou "
           "« confirmé par vous ». Les pistes (numéros d'un bloc appelant à tour de rôle, liens par le seul "
           "comportement, appels masqués ressemblant à la campagne) sont montrées à part et n'entrent dans aucun "
           "chiffre. Les numéros de personnes que vous appelez ou avec qui vous parlez longuement ne sont jamais "
           "attribués par bloc ni par comportement.",
           "Les règles qui comptent par consommateur (art. D223-9 : quatre appels ou tentatives par trente jours) "
           "additionnent les appels reçus sur les lignes d'un même titulaire ; un appel reçu sur deux téléphones à la "
           "fois compte deux fois seulement s'ils ont des titulaires différents, une fois par titulaire. Ligne de "
           "chaque appel : {lines}."],
    "en": ["The calls come from the household's own device and box exports, imported unchanged; every source "
           "file is kept and identified by its SHA-256 (Integrity section).",
           "Every time is given in local time ({zone}) and in UTC. Exports that write local time without a zone "
           "are read in that zone; ambiguous times at daylight-saving changes are flagged.",
           "Precision: a FRITZ!Box records time and duration to the minute; a \"0:01\" call there counts as "
           "\"under a minute\", never as \"silent\". A call is called silent when it was answered and lasted "
           "3 seconds or less, measured to the second.",
           "A call log shows that a call happened, when, from which presented number and for how long; it does not "
           "show what the call was about or who really called (a number can be spoofed). Each number's attribution "
           "is given with its basis; a \"probable\" link rests on behaviour and is not a certainty.",
           "Rules assume facts a log cannot show; each rule says what it assumes.",
           "Every figure that counts toward a rule rests only on calls whose attribution is \"declared by you\" (a "
           "number, prefix or name you gave), \"same block\" as a declared number, or \"confirmed by you\". Leads "
           "(numbers of one block calling in turn, links by behaviour alone, withheld calls that look like the "
           "campaign) are listed separately and not counted. Numbers of people you call or talk with at length are "
           "never attributed by block or behaviour.",
           "Rules that count per consumer add up the calls received on the lines of one holder; a call ringing two "
           "phones at once counts once per holder. Line of each call: {lines}."],
}


class _Doc(FPDF):
    def __init__(self, fingerprint: str, lang: str):
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
        self.fingerprint, self.lang = fingerprint, lang
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVuMono", "", str(FONT_DIR / "DejaVuSansMono.ttf"))
        self.add_font("DejaVuMono", "B", str(FONT_DIR / "DejaVuSansMono-Bold.ttf"))
        self.set_auto_page_break(True, margin=16)
        self.set_margins(14, 14, 14)
        self.c_margin = 0.6          # inner left/right margin of table cells (the 1.2 below)
        self._wrapped: dict = {}     # lines a table cell wraps to (_row_height)

    def footer(self):
        self.set_y(-11)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(90)
        self.cell(0, 4, f"callwatch {__version__} — {self.fingerprint[:16]}… — "
                        f"{LABELS[self.lang]['page']} {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str):
        if self.get_y() > 240:
            self.add_page()
        self.ln(3)
        self.set_font("DejaVu", "B", 13)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)

    def para(self, text: str, size: float = 9, height: float = 4.6):
        self.set_font("DejaVu", "", size)
        # ragged right: justified lines blow apart around hashes and long names
        self.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def markdown(self, text: str, size: float = 7.5, height: float = 3.8):
        """A letter or form written in Markdown: its "# " title in bold, the rest as it is."""
        for block in text.split("\n\n"):
            if block.startswith("# "):
                title, _, rest = block.partition("\n")
                self.set_font("DejaVu", "B", size + 1)
                self.multi_cell(0, height + 0.6, title[2:], align="L", new_x="LMARGIN", new_y="NEXT")
                block = rest
            if block.strip():
                self.para(block, size=size, height=height)

    def grid(self, rows, widths, size=7.5, header=True, mono_cols=()):
        """A table drawn cell by cell: one line a row when everything fits (the common case,
        fast for 10,000 rows), wrapped lines only for the rare cell that does not. Nothing is
        ever clipped; the header row repeats after a page break."""
        line = size * 0.42
        rows = [[str(c) for c in row] for row in rows]
        head = rows[0] if header else None
        body = rows[1:] if header else [r for r in rows if any(r)]
        if head:
            self._grid_row(head, widths, size, line, bold=True, mono_cols=())
        for row in body:
            height = self._row_height(row, widths, size, line, mono_cols)
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                if head:
                    self._grid_row(head, widths, size, line, bold=True, mono_cols=())
            self._grid_row(row, widths, size, line, bold=False, mono_cols=mono_cols, height=height)
        self.ln(2)

    def _font_for(self, col, size, bold, mono_cols):
        self.set_font("DejaVuMono" if col in mono_cols else "DejaVu", "B" if bold else "", size)

    def _row_height(self, row, widths, size, line, mono_cols):
        return max(len(self._lines(i, text, width, size, line, mono_cols)) for i, (text, width) in
                   enumerate(zip(row, widths))) * line + 0.8

    def _lines(self, col, text, width, size, line, mono_cols) -> tuple:
        """The lines a body cell's text wraps to (one, itself, when it fits): computed once per
        font, width and text, since a table of thousands of calls repeats the same values, and
        drawn from here (``_grid_row``), not wrapped a second time by multi_cell."""
        key = (col in mono_cols, size, width, text)
        lines = self._wrapped.get(key)
        if lines is None:
            self._font_for(col, size, False, mono_cols)
            lines = (text,) if self.get_string_width(text) <= width - 1.2 else \
                tuple(self.multi_cell(width, line, text, dry_run=True, output="LINES"))
            self._wrapped[key] = lines
        return lines

    def _grid_row(self, row, widths, size, line, bold, mono_cols, height=None):
        height = height or self._row_height(row, widths, size, line, mono_cols)
        if bold and self.get_y() + height * 2 > self.page_break_trigger:
            self.add_page()
        x0, y0 = self.l_margin, self.get_y()
        if bold:
            self.set_fill_color(225, 225, 225)
            self.rect(x0, y0, sum(widths), height, style="F")
        x = x0
        for i, (text, width) in enumerate(zip(row, widths)):
            self._font_for(i, size, bold, mono_cols)
            if bold:                                       # the header: its own wrapping, bold
                self.set_xy(x, y0 + 0.4)
                if self.get_string_width(text) <= width - 1.2:
                    self.cell(width, line, text)
                else:
                    self.multi_cell(width, line, text, align="L")
            else:
                for k, piece in enumerate(self._lines(i, text, width, size, line, mono_cols)):
                    self.set_xy(x, y0 + 0.4 + k * line)
                    self.cell(width, line, piece)
            x += width
        self.set_draw_color(200)
        self.line(x0, y0 + height, x0 + sum(widths), y0 + height)
        self.set_draw_color(0)
        self.set_xy(x0, y0 + height)


def render(data: PackData, fingerprint: str, csv_path: Path, manifest_path: Path, lang: str,
           authority: str | None = None) -> bytes:
    """authority: the time-stamping authority (URL without credentials) asked once this PDF is
    made, or None. The PDF cannot show the token's time: the token stamps a list that holds
    this PDF's hash, so it only exists after the PDF."""
    lang = lang if lang in LABELS else "en"
    L = LABELS[lang]
    doc = _Doc(fingerprint, lang)
    doc.set_creation_date(data.generated_at)
    doc.file_id = lambda *a, **k: "<" + fingerprint[:32] + "><" + fingerprint[32:] + ">"   # reproducible /ID
    doc.set_title(f"{L['title']} — {data.subject}")
    doc.set_author("callwatch")
    doc.set_creator(f"callwatch {__version__}")
    doc.alias_nb_pages()
    figures = data.figures()
    zone = data.config.timezone
    local_gen = data.generated_at.astimezone(data.tz)

    # cover
    doc.add_page()
    doc.set_font("DejaVu", "B", 20)
    doc.multi_cell(0, 10, L["title"], new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    cover = [(L["subject"], data.subject),
             (L["period"], f"{figures['first']} — {figures['last']} ({zone})"),
             (L["generated"], f"{long_date(local_gen.date().isoformat(), 'en-US' if data.pack.id == 'us' else lang)} "
                              f"{local_gen.strftime('%H:%M:%S %Z')} ({zone}); "
                              f"{data.generated_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                              + (f" — {L['date_given']}" if data.date_given else "")),
             *_complainant_rows(data, lang),
             (L["version"], f"callwatch {__version__}"),
             (L["rulepack"], f"{data.pack.name} ({data.pack.id}, version {data.pack.version})"),
             (L["fingerprint"], fingerprint)]
    doc.grid([("", "")] + cover, (45, 137), size=9, header=False, mono_cols=())
    doc.para(_date_statement(authority, lang) or (L["date_given_basis"] if data.date_given else L["date_basis"]),
             size=8)

    # summary
    doc.heading(L["summary"])
    doc.para(letters_mod.summary_fr(data) if lang == "fr" else data.finding["why"])
    doc.grid([("", "")] + [(label, str(figures[key])) for key, label in FIGURE_LABELS[lang]], (90, 92), size=8.5,
             header=False)
    doc.para(_counted_statement(data, lang), size=8.5)

    # charts
    C = dict(CHART_LABELS[lang])
    windows = [r.params for r in data.pack.rules if r.kind == "allowed_window"]
    if not windows:           # no permitted window in this rule pack: no green frame to speak of
        C["hour"] = C["hour"].split(" (")[0]
    counted_only = (" — appels comptés seulement, sans les pistes" if lang == "fr" else
                    " — counted calls only, leads left out") if data.leads else ""
    doc.add_page()
    doc.heading(C["title1"] + counted_only)
    doc.image(io.BytesIO(charts.per_day(data.calls, C)), w=182)
    doc.heading(C["title2"] + counted_only)
    doc.image(io.BytesIO(charts.heat_map(data.calls, windows, C, C["days"])), w=182)

    # rules
    doc.add_page()
    doc.heading(L["rules"])
    by_id = {c["id"]: c for c in data.calls}
    for rid, bs in data.breaches.items():
        rule = data.rules[rid]
        if doc.get_y() > doc.page_break_trigger - 45:     # a rule's heading never alone at a page's foot
            doc.add_page()
        doc.set_font("DejaVu", "B", 9.5)
        doc.multi_cell(0, 5, f"{rid} — {len(bs)}", new_x="LMARGIN", new_y="NEXT")
        doc.para(f"{rule.text(lang)}\n{rule.citation}\n{_word(lang, 'assumes')}{rule.assumption(lang)}"
                 + _in_force_text(rule, lang) + _counting(rule, lang), size=8, height=4)
        worded = [describe(b["facts"], _style(data, lang)) if b["facts"] else b["detail"] for b in bs]
        head = ["#", _word(lang, "local"), "UTC", _word(lang, "number")]
        if len(set(worded)) == 1:           # the same for every call (an objection date): say it once
            doc.para(worded[0], size=8, height=4)
            rows = [tuple(head)]
            widths = (14, 50, 50, 40)
        else:
            rows = [tuple(head + [_word(lang, "detail")])]
            widths = (10, 34, 30, 24, 84)
        for b, detail in zip(bs, worded):
            c = by_id[b["call_id"]]
            cells = [str(c["id"]), f"{c['local']} {c['zone']}", c["utc"][:19] + "Z", _shown(c, lang)]
            rows.append(cells if len(widths) == 4 else cells + [detail])
        doc.grid(rows, widths, size=6.8)

    # attribution
    doc.heading(L["attribution"])
    rows = [tuple(_word(lang, w) for w in ("number", "basis", "attribution", "detail"))]
    for n in data.numbers:
        rows.append((phone(n["number"], international=True) if n["number"] != "withheld" else n["number"],
                     _word(lang, n["basis"]),
                     tier(n["certainty"], lang),
                     (describe(n["facts"], _style(data, lang)) if n["facts"] else n["detail"]) + _out_of_plan(n, lang)))
    doc.grid(rows, (28, 22, 38, 94), size=7)

    # leads, apart
    if data.leads:
        doc.heading(L["leads"])
        doc.para(("Ces appels ressemblent à la campagne mais leur attribution ne repose que sur un motif ou un "
                  "comportement : ils n'entrent dans aucun chiffre de ce dossier. Pour qu'ils comptent, vous devez "
                  "les confirmer (callwatch review)." if lang == "fr" else
                  "These calls look like the campaign but their attribution rests only on a pattern or on behaviour: "
                  "they enter no figure of this pack. For them to count, you must confirm them (callwatch review)."),
                 size=8)
        rows = [tuple(_word(lang, w) for w in ("#", "local", "number", "line", "outcome", "attribution", "signals"))]
        for c in data.leads:
            rows.append((str(c["id"]), f"{c['local']} {c['zone']}", _shown(c, lang),
                         data.line_name(c["line"], lang), value(c["outcome"], lang), tier(c["attribution"], lang),
                         " ".join(value(sig, lang) for sig in c["signals"].split(",") if sig)))
        doc.grid(rows, (10, 33, 25, 26, 16, 46, 26), size=6.5)

    # the user's decisions
    if data.decisions or data.excluded:
        doc.heading(L["decisions"])
        for d in data.decisions:
            doc.para("• " + _decision_text(d, lang), size=8)
        if data.excluded:
            doc.para((f"{len(data.excluded)} appel(s) exclu(s) par vous, retirés de tout chiffre :" if lang == "fr" else
                      f"{len(data.excluded)} call(s) excluded by you, removed from every figure:"), size=8)
            rows = [tuple(_word(lang, w) for w in ("#", "local", "number", "line", "outcome"))]
            for c in data.excluded:
                rows.append((str(c["id"]), f"{c['local']} {c['zone']}", _shown(c, lang),
                             data.line_name(c["line"], lang), value(c["outcome"], lang)))
            doc.grid(rows, (12, 45, 35, 45, 45), size=6.5)

    # calls
    doc.heading(L["calls"])
    doc.para(("Heures locales en " + zone + " ; UTC à côté. " if lang == "fr" else
              "Local times in " + zone + "; UTC beside them. ") + SIGNAL_LEGEND[lang], size=8)
    refs = {src["sha256"]: f"S{i}" for i, src in enumerate(data.sources, start=1)}
    doc.para(("Sources : " if lang == "fr" else "Sources: ")
             + "; ".join(f"{ref} = {src['original_name']}" for src, ref in zip(data.sources, refs.values())), size=8)
    rows = [tuple(_word(lang, w) for w in ("#", "local", "UTC", "line", "number", "outcome", "talk", "signals",
                                           "source"))]
    rows[0] = (rows[0][0], f"{rows[0][1]} ({zone})", *rows[0][2:])    # the zone once; UTC beside every time
    for c in data.calls:
        rows.append((str(c["id"]), c["local"], c["utc"][:19] + "Z", data.line_name(c["line"], lang),
                     _shown(c, lang), value(c["outcome"], lang),
                     talk_text(c["duration_s"], c["duration_precision_s"], c["outcome"], lang),
                     " ".join(value(sig, lang) for sig in c["signals"].split(",") if sig),
                     f"{refs[c['source_sha256']]} {locator(c['locator'], lang)}"))
    doc.grid(rows, (9, 29, 27, 18, 23, 14, 12, 15, 35), size=6.2)
    if data.future_calls:
        _future_calls(doc, data, refs, lang)

    # method
    doc.heading(L["method"])
    line_list = "; ".join(f"{data.line_name(ln, lang)}" + (f" ({phone(ln, international=True)})" if ln in data.line_names else "")
                          for ln in sorted({c["line"] for c in data.calls if c["line"]}))
    for text in METHOD[lang]:
        doc.para("• " + text.format(zone=zone, lines=line_list or "—"), size=8.5)

    # integrity
    doc.heading(L["integrity"])
    rows = [tuple(_word(lang, w) for w in ("", "source export", "format", "bytes", "imported (UTC)", "SHA-256"))]
    for i, src in enumerate(data.sources, start=1):
        rows.append((f"S{i}", src["original_name"], src["format"], str(src["size"]), src["started_at"], src["sha256"]))
    doc.grid(rows, (7, 36, 20, 13, 30, 76), size=6.5, mono_cols=(5,))
    doc.para(("Vérifier : « callwatch verify <dossier ou zip> » recalcule chaque empreinte ; ou « sha256sum -c SHA256SUMS » "
              "dans le dossier. Le tableau des appels (calls.csv) et le manifeste sont joints à ce PDF."
              if lang == "fr" else
              "To verify: \"callwatch verify <folder or zip>\" recomputes every hash; or \"sha256sum -c SHA256SUMS\" in the "
              "folder. The call table (calls.csv) and the manifest are attached inside this PDF."), size=8)

    statement = _date_statement(authority, lang)
    if statement:
        doc.para(statement, size=8)

    # attestation, on a page of its own: it is printed, copied by hand or signed apart
    doc.add_page()
    title, _, body = attestation.render(data, lang).partition("\n\n")     # its own first line is the heading
    doc.heading(title)
    doc.para(body, size=8.5, height=4.6)

    # letters
    doc.add_page()
    doc.heading(L["letters"])
    for name, text in letters_mod.render(data, lang).items():
        doc.set_font("DejaVu", "B", 9)
        doc.multi_cell(0, 5, name, new_x="LMARGIN", new_y="NEXT")
        doc.markdown(text)
    doc.add_page()
    doc.heading(L["kits"])
    for name, content in kits.render(data, lang).items():
        if not name.endswith(".md"):
            continue
        doc.set_font("DejaVu", "B", 9)
        doc.multi_cell(0, 5, "complaints/" + name, new_x="LMARGIN", new_y="NEXT")
        doc.markdown(content.decode("utf-8"))

    doc.embed_file(csv_path, desc="calls.csv: the table of calls", mime_type="text/csv",
                   associated_file_relationship="Data", modification_date=data.generated_at)
    doc.embed_file(manifest_path, desc="manifest.json: hashes of the pack and of the source exports",
                   mime_type="application/json", associated_file_relationship="Source",
                   modification_date=data.generated_at)
    return _fix_xmp_dates(bytes(doc.output()), data.generated_at)


def _shown(c: dict, lang: str) -> str:
    """A call's number as every table of the pack writes it (+33 1 62 34 50 12, the CSV's form too),
    or how it was hidden."""
    return phone(c["number"], international=True) if c["number"] else f"({value(c['presentation'], lang)})"


def _style(data: PackData, lang: str) -> str:
    """How a pack writes dates in its sentences: French, or English the way its country does."""
    return "fr" if lang == "fr" else ("en-US" if data.pack.id == "us" else "en-GB")


def _out_of_plan(number: dict, lang: str) -> str:
    """A number the numbering plan does not know: its calls are grouped under it all the same, and
    the reader is told it is likely spoofed (a caller ID no operator assigned)."""
    if number.get("kind") != "invalid-in-plan":
        return ""
    return (" — numéro absent du plan de numérotation : probablement usurpé (aucun opérateur ne l'attribue)"
            if lang == "fr" else " — not a number of the numbering plan: likely spoofed (no operator assigns it)")


def _complainant_rows(data: PackData, lang: str) -> list[tuple[str, str]]:
    """Who complains, on which lines: what the config gives, a blank to fill by hand otherwise."""
    from callwatch.wording import phone
    L = LABELS[lang]
    p = data.config.complainant
    blank = "______________________________"
    holder_name = p.name or (" vous" if lang == "fr" else "you")
    lines = "; ".join(f"{phone(data.line_key(ln), data.config.region)} {ln.label} "
                      f"({ln.holder if ln.holder else holder_name.strip()})" for ln in data.config.lines)
    return [(L["complainant"], p.name or blank), (L["address"], p.address or blank), (L["lines"], lines or blank)]


def _in_force_text(rule, lang: str) -> str:
    """Which text applied: a call is judged by the law in force on its own day."""
    start, end = rule.valid_from, rule.valid_until
    if not (start or end):
        return ""
    if lang == "fr":
        span = (f"du {start} au {end}" if start and end else f"depuis le {start}" if start else f"jusqu'au {end}")
        return f"\nTexte appliqué aux appels reçus {span} (chaque appel est jugé selon la loi en vigueur à sa date)."
    span = (f"from {start} to {end}" if start and end else f"from {start}" if start else f"until {end}")
    return f"\nApplied to calls received {span} (each call is judged by the law in force on its date)."


def _counting(rule, lang: str) -> str:
    per = rule.params.get("count_per")
    if rule.kind not in ("max_per_window", "repeat_after_abandoned") or per is None:
        return ""
    text = {"consumer": ("Compté par consommateur : les appels reçus sur les lignes d'un même titulaire ensemble.",
                         "Counted per consumer: the calls received on the lines of one holder together."),
            "line": ("Compté par ligne : chaque numéro du foyer à part.",
                     "Counted per line: each of the household's numbers separately."),
            "household": ("Compté pour le foyer : toutes ses lignes ensemble.", "Counted for the household: all its lines together.")}
    return "\n" + text[per][0 if lang == "fr" else 1]


def _counted_statement(data: PackData, lang: str) -> str:
    """Both figures, never added together: the breaches on counted calls, and what the leads
    would add if the user confirmed them."""
    counted = sum(len(bs) for bs in data.breaches.values())
    more = {rid: n - len(data.breaches.get(rid, [])) for rid, n in data.rules_if_confirmed().items()
            if n > len(data.breaches.get(rid, []))}

    def named(rid: str) -> str:          # a rule the reader may not meet elsewhere in the pack: say what it is
        if rid in data.breaches or rid not in data.rules:
            return rid
        text = data.rules[rid].text(lang)
        return f"{rid} ({text[:80].rsplit(' ', 1)[0] + '…' if len(text) > 80 else text.rstrip('.')})"
    n, k = len(data.calls), len(data.leads)
    if lang == "fr":
        text = (f"{counted} manquement{'s' if counted > 1 else ''} relevé{'s' if counted > 1 else ''} sur les {n} "
                "appels des numéros déclarés, de leurs blocs ou confirmés par vous (un appel peut enfreindre "
                "plusieurs règles).")
        if k:
            text += (f" {k} autre{'s' if k > 1 else ''} appel{'s' if k > 1 else ''} "
                     f"{'ne sont que des pistes, non comptées' if k > 1 else 'n’est qu’une piste, non comptée'}"
                     + (" ; s'ils étaient confirmés : " + ", ".join(f"{m} de plus pour {named(rid)}"
                                                                     for rid, m in more.items()) if more else "") + ".")
        return text
    text = (f"{counted} breach{'es' if counted != 1 else ''} found on the {n} calls from declared numbers, their "
            "blocks, or numbers you confirmed (one call may break several rules).")
    if k:
        text += (f" {k} more call{'s are leads' if k > 1 else ' is a lead'} only, not counted"
                 + ("; if they were confirmed: " + ", ".join(f"{m} more for {named(rid)}" for rid, m in more.items())
                    if more else "") + ".")
    return text


def _decision_text(d, lang: str) -> str:
    target = (d.number if d.number else (f"appel n° {d.call_id}" if lang == "fr" else f"call #{d.call_id}")
              if d.call_id is not None else (f"la campagne {d.finding_key}" if lang == "fr" else f"campaign {d.finding_key}"))
    window = ""
    if d.from_utc:
        window = (f", appels du {d.from_utc[:10]} au {d.to_utc[:10]} (UTC)" if lang == "fr"
                  else f", calls from {d.from_utc[:10]} to {d.to_utc[:10]} (UTC)")
    if lang == "fr":
        verb = "confirmé" if d.action == "confirm" else "exclu"
        company = f" comme {d.company}" if d.company else ""
        return (f"Décision n° {d.id} du {d.date} : {target} {verb}{company} par vous{window}"
                + (f" ; motif : {d.reason}" if d.reason else "") + ".")
    verb = "confirmed" if d.action == "confirm" else "excluded"
    company = f" as {d.company}" if d.company else ""
    return (f"Decision #{d.id} of {d.date}: {target} {verb}{company} by you{window}"
            + (f"; reason: {d.reason}" if d.reason else "") + ".")


def _future_calls(doc, data: PackData, refs: dict, lang: str) -> None:
    """Calls dated after the import that brought them: a device clock error. Listed apart,
    counted in no figure, rule or chart."""
    n = len(data.future_calls)
    doc.para((f"{n} appel(s) de ce numéro portent une date postérieure à l'import du fichier qui les contient : "
              "l'horloge de l'appareil était fausse. Ils sont listés ici tels qu'exportés, hors du tableau, des chiffres, "
              "des graphiques et des règles." if lang == "fr" else
              f"{n} call(s) of this finding are dated after the import of the file that holds them: the device's clock "
              "was wrong. They are listed here as exported, outside the table, the figures, the charts and the rules."),
             size=8)
    rows = [tuple(_word(lang, w) for w in ("#", "UTC", "number", "imported (UTC)", "source"))]
    for c in data.future_calls:
        rows.append((str(c["id"]), c["utc"][:19] + "Z", _shown(c, lang), c["imported_at"],
                     f"{refs[c['source_sha256']]} {c['locator']}"))
    doc.grid(rows, (12, 36, 30, 36, 68), size=6.3)


def _date_statement(authority: str | None, lang: str) -> str | None:
    # Never "qualified": that is an eIDAS legal status this tool cannot establish.
    if not authority:
        return None
    if lang == "fr":
        return (f"Horodatage par un tiers : une fois ce dossier établi, sa liste d'empreintes SHA256SUMS (qui contient "
                f"celle de ce PDF et de chaque autre fichier) est soumise à l'autorité d'horodatage {authority} "
                f"(RFC 3161) ; son jeton est le fichier SHA256SUMS.tsr. L'heure d'établissement ci-dessus est celle de "
                f"l'ordinateur ; l'heure prouvée est celle du jeton, que « callwatch verify » affiche avec le nom de "
                f"l'autorité qui l'a signé.")
    return (f"Third-party time-stamp: once this pack was made, its list of hashes SHA256SUMS (which holds the hash of "
            f"this PDF and of every other file) is time-stamped by the authority {authority} (RFC 3161); its token is "
            f"the file SHA256SUMS.tsr. The generation time above is this computer's clock; the proven time is the "
            f"token's, which \"callwatch verify\" shows with the name of the authority that signed it.")


def _fix_xmp_dates(pdf: bytes, when: datetime) -> bytes:
    """fpdf2 stamps the XMP ModifyDate/MetadataDate with the wall clock; state the pack's own
    generation time instead, so that the same inputs give the same bytes. The values have the
    same length, so no offset in the file moves."""
    stamp = when.astimezone(timezone.utc).isoformat(timespec="seconds").encode()
    for key in (b"xmp:ModifyDate", b"xmp:MetadataDate"):
        pdf = re.sub(key + rb'="[^"]{25}"', lambda m, k=key: k + b'="' + stamp + b'"', pdf, count=1)
    return pdf
