"""Complaint kits: for each channel a complaint can go to, the fields that channel's own form asks
for, in its order, filled from the pack's claims, and what the user must still add. None of these
channels offers a way to file for someone: callwatch prepares, the user submits.

Channels by rule pack (sources: the forms as published; research notes in the project's shared
research): France: SignalConso (DGCCRF), Bloctel (until 10 August 2026), the CNIL, the
operator's service consommateurs and the Médiateur des communications électroniques; the UK:
Ofcom, the ICO (five calls a report), the TPS; the US: the FCC, the FTC (one call a complaint,
with a CSV in the FTC's public complaint columns). Each jurisdiction also gets a page saying
what to send, in which order, with which deadlines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from callwatch.evidence.claims import claims_of
from callwatch.evidence.data import PackData
from callwatch.wording import de, long_date, phone

SIGNALCONSO_MAX_DESCRIPTION = 5000
SIGNALCONSO_MAX_FILE = 5 * 1024 * 1024
FTC_COLUMNS = ("Company_Phone_Number", "Created_Date", "Violation_Date", "Consumer_City", "Consumer_State",
               "Consumer_Area_Code", "Subject", "Recorded_Message_Or_Robocall")


def render(data: PackData, lang: str) -> dict[str, bytes]:
    """File name (under complaints/) -> content."""
    j = data.pack.id
    if j == "fr":
        return _fr(data, lang)
    if j == "uk":
        return _uk(data)
    if j == "us":
        return _us(data)
    return {}


def pdf_parts(pdf: bytes, limit: int) -> list[bytes]:
    """The PDF cut into consecutive runs of pages of at most ``limit`` bytes each, for a channel
    that refuses larger files; none when it fits whole. A single page over the limit cannot be
    cut: it is its own part, and the kit's reader sees its size."""
    if len(pdf) <= limit:
        return []
    import io

    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)

    def write(start: int, end: int) -> bytes:
        writer = PdfWriter()
        for i in range(start, end):
            writer.add_page(reader.pages[i])
        writer.compress_identical_objects()
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    # Each part: the longest run of pages from ``start`` that fits, found by galloping then
    # bisecting over its end (a few writes a part, not one a page: a 10,000-call pack has hundreds).
    guess = max(1, int(total * limit / len(pdf) * 0.9))        # pages a part, from the average page
    parts, start = [], 0
    while start < total:
        fits, fits_part = start + 1, None      # an end known to fit (the first page goes in whatever its size)
        too_big = total + 1                     # an end known not to fit (past the last page: none known)
        end = min(total, start + guess)
        while True:
            part = write(start, end)
            if end == start + 1 or len(part) <= limit:
                fits, fits_part = end, part
            else:
                too_big = end
            if fits == total or too_big == fits + 1:
                break
            end = min(total, fits + (fits - start)) if too_big > total else (fits + too_big) // 2
        parts.append(fits_part if fits_part is not None else write(start, start + 1))
        start = fits
    return parts


def five_calls_in_thirty_days(data: PackData) -> list[dict]:
    """Five counted calls inside one window of 30 calendar days: the first window in which the
    cap of four was exceeded (its fifth call is the first breach of D223-9's cap); else none."""
    cap = data.breaches.get("fr.d223-9.frequency") or []
    if not cap:
        return []
    first = next(c for c in data.calls if c["id"] == cap[0]["call_id"])
    end = dt.date.fromisoformat(first["local_date"])
    start = end - dt.timedelta(days=29)
    window = [c for c in data.calls if start <= dt.date.fromisoformat(c["local_date"]) <= end
              and c["start_ms"] <= first["start_ms"]]
    return window[-5:]


def strongest(data: PackData, n: int = 5) -> list[dict]:
    """The n calls a regulator should see first: those breaking the most rules, silent ones before
    others, the latest first; shown in time order."""
    ranked = sorted(data.calls, key=lambda c: (len(c["rules"]), "silent" in c["signals"], c["start_ms"]), reverse=True)
    return sorted(ranked[:n], key=lambda c: c["start_ms"])


def _when(c: dict, lang: str) -> str:
    """Local date and time of a call, with its zone."""
    return f"{long_date(c['local_date'], lang)}, {c['local_time'][:5]} ({c['zone']})"


# -- France ---------------------------------------------------------------------------------

def _fr(data: PackData, lang: str) -> dict[str, bytes]:
    en = lang != "fr"
    cl = claims_of(data, "fr")
    region = data.config.region
    top = phone(cl.numbers[0], region) if cl.numbers else "[numéro]"
    me = data.config.complainant
    out = {}
    five = five_calls_in_thirty_days(data)
    description = _fr_description(data, cl)
    if len(description) > SIGNALCONSO_MAX_DESCRIPTION:      # the form refuses more: cut, and say so
        description = description[:SIGNALCONSO_MAX_DESCRIPTION - 60] + " [...] (suite dans le dossier joint)"
    if five:
        dates = "\n".join(f"{i}. {long_date(c['local_date'], 'fr')} (appel du {phone(c['number'], region) if c['number'] else 'numéro masqué'})"
                          for i, c in enumerate(five, start=1))
        shown = [c["number"] for c in five if c["number"]]
        # the most frequent; a tie goes to the first of them (never to a set's order: it changes between runs)
        most = max(shown, key=lambda n: (shown.count(n), -shown.index(n))) if shown else None
        several = len(set(shown)) > 1
        path = ("Démarchage abusif › Démarchage téléphonique › « au moins 5 appels de la même entreprise sur 30 "
                "jours »")
        fields = f"""Numéro qui vous a appelé : {phone(most, region) if most else top}{" (les cinq appels viennent de " + str(len(set(shown))) + " numéros de la même entreprise : citez les autres dans la description)" if several else ""}

Dates de cinq appels de cette entreprise sur 30 jours (le formulaire ne demande pas les heures) :
{dates}"""
    else:
        hours = data.breaches.get("fr.d223-9.hours") or []
        first = next((c for c in data.calls if hours and c["id"] == hours[0]["call_id"]), data.calls[0])
        path = "Démarchage abusif › Démarchage téléphonique › « appel en dehors des jours et heures autorisés »"
        fields = f"""Numéro qui vous a appelé : {phone(first['number'], region) if first['number'] else top}
Date de l'appel : {long_date(first['local_date'], 'fr')}"""
    out["signalconso.md"] = f"""{_translated(en, "SignalConso (DGCCRF) — signalement")}# SignalConso (DGCCRF) — signalement

Site : signal.conso.gouv.fr ; parcours : {path}

Entreprise : {cl.subject}
{fields}

L'appelant s'est-il fait passer pour une autre entreprise ? [oui / non]

Description ({len(description)} caractères ; {SIGNALCONSO_MAX_DESCRIPTION} au plus) :
{description}

Pièces jointes (12 fichiers au plus, 5 Mo chacun, formats pdf, jpg, png, gif, docx ou heic ; le CSV n'est pas accepté) :
- evidence.pdf (le dossier ; s'il dépasse 5 Mo, joindre les parties evidence-partie-N.pdf de ce dossier complaints/)
- la lettre d'opposition envoyée et l'accusé de réception (scans)

Vos coordonnées : {me.name or '[nom]'}, {me.email or '[adresse électronique]'} (la DGCCRF peut transmettre le signalement à l'entreprise si vous l'acceptez).
""".encode()
    if any(r.list == "bloctel" for r in data.config.registrations):
        reg = next(r for r in data.config.registrations if r.list == "bloctel")
        calls = [next(c for c in data.calls if c["id"] == b["call_id"]) for b in data.breaches.get("fr.l223-1.bloctel", [])]
        listed = "\n".join(f"- {long_date(c['local_date'], 'fr')}, tranche {c['local_time'][:2]} h - "
                           f"{int(c['local_time'][:2]) + 1} h, numéro {phone(c['number'], region) if c['number'] else 'masqué'}"
                           for c in calls[:20]) or "(aucun appel après le délai de 30 jours suivant l'inscription)"
        out["bloctel.md"] = f"""{_translated(en, "Bloctel")}# Bloctel — réclamation (appels reçus jusqu'au 10 août 2026)

Le dispositif Bloctel a pris fin le 10 août 2026 (loi n° 2025-594) : une réclamation ne vaut que pour les appels reçus avant cette date.

Votre numéro : {phone(reg.line, region) if reg.line else '[votre numéro inscrit]'} ; inscrit le {long_date(reg.date.isoformat(), 'fr')} ; n° d'inscription : [facultatif]
Secteur d'activité de l'appelant : télécommunications [à corriger]
Entreprise : {cl.subject}

Une réclamation par appel (date, tranche horaire, numéro appelant) ; {cl.rule('fr.l223-1.bloctel')} appels concernés :
{listed}
""".encode()
    gdpr = [o for o in cl.objections if o.kind == "gdpr-art21"]
    if gdpr:
        o = gdpr[0]
        n = o.by_rule.get("fr.rgpd-21.objection", 0)
        out["cnil.md"] = f"""{_translated(en, "CNIL")}# CNIL — plainte (droit d'opposition non respecté)

Site : cnil.fr › Plaintes ; motif : prospection commerciale, droit d'opposition

Vous : {me.name or '[nom]'}, {me.address or '[adresse]'}, {me.email or '[adresse électronique]'}
Organisme : {cl.subject} ; adresse : [adresse] ; SIREN : [à trouver sur annuaire-entreprises.data.gouv.fr]

Faits : opposition à la prospection adressée le {long_date(o.date, 'fr')} ; {n} appels de démarchage reçus après le délai d'un mois dont l'organisme disposait pour y donner suite (RGPD, art. 12 et 21).

Pièces exigées : copie de la demande d'opposition envoyée à l'organisme (lettre ou courriel, avec la preuve de réception) et sa réponse, ou la preuve de son absence ; le dossier evidence.pdf.
""".encode()
    out["ordre-des-demarches.md"] = _fr_order(cl, gdpr, en).encode()
    return out


def _translated(en: bool, what: str) -> str:
    return (f"(Form fields for {what}, a French service: the form is in French, so the fields below are too.)\n\n"
            if en else "")


def _fr_description(data: PackData, cl) -> str:
    parts = [f"Du {long_date(cl.first, 'fr')} au {long_date(cl.last, 'fr')}, {cl.calls} appels ou tentatives de "
             f"numéros attribués à {cl.subject} sur {cl.days_with_calls} jours avec appels, jusqu'à {cl.max_per_day} "
             f"par jour, dont {cl.silent} "
             f"silencieux (décrochés, 3 secondes de conversation au plus) et {cl.missed} manqués."]
    if cl.has("fr.d223-9.frequency"):
        parts.append(f"{cl.rule('fr.d223-9.frequency')} appels dépassent la limite de quatre par trente jours "
                     "(art. D223-9 C. consom.).")
    if cl.has("fr.d223-9.hours"):
        parts.append(f"{cl.rule('fr.d223-9.hours')} hors des jours et heures permis.")
    for o in cl.objections:
        if o.kind == "gdpr-art21" and o.by_rule.get("fr.rgpd-21.objection"):
            parts.append(f"Opposition écrite du {long_date(o.date, 'fr')} : "
                         f"{o.by_rule['fr.rgpd-21.objection']} appels après le délai d'un mois.")
        if o.kind == "refusal" and o.by_rule.get("fr.d223-9.refusal"):
            parts.append(f"Refus exprimé le {long_date(o.date, 'fr')}"
                         + ("" if o.call_that_day else " [aucun appel décroché ce jour-là dans mes journaux : "
                                                      "vérifiez cette date]")
                         + f" : {o.by_rule['fr.d223-9.refusal']} appels dans les soixante jours suivants.")
    parts.append("Relevé complet daté, avec les empreintes des fichiers sources : evidence.pdf joint.")
    return " ".join(parts)


def _fr_order(cl, gdpr, en: bool) -> str:
    if en:
        return f"""# What to send, in which order (France)

1. {"Now: the objection letter (letters/objection-to-the-company.md; send the French one), which recalls and renews your objection of " + long_date(gdpr[0].date, 'en') + ", by registered post to " + cl.subject + ". The one-month clock (GDPR art. 12) already runs from that first objection: keep its proof of sending." if gdpr else "Now: the objection letter (letters/objection-to-the-company.md; send the French one) by registered post to " + cl.subject + ". Keep the receipt: it starts the one-month clock (GDPR art. 12); then enter its date in the configuration ([[objections]]) so that callwatch counts the calls that follow."}
2. Same day, if you wish: a SignalConso report (complaints/signalconso.md): the DGCCRF uses reports to target its checks.
3. One month later without a satisfactory answer: the service consommateurs of {cl.subject} (letters/complaint-to-consumer-service.md, French version).
4. One more month (or two months without any answer from customer service): the Médiateur des communications électroniques, online, within one year of your written complaint (letters/referral-to-the-mediator.md). Free.
5. {"The CNIL (complaints/cnil.md), once the month after your objection has passed unanswered." if gdpr else "The CNIL, once you have sent a written objection and a month has passed unanswered."}
6. If the calls are malicious (meant to disturb you), a complaint to the public prosecutor (letters/complaint-to-the-prosecutor.md) or at a police station or gendarmerie.

The 33700 service is for fraudulent calls (a ring inviting you to call back a premium number), not for canvassing.
"""
    return f"""# Quoi envoyer, dans quel ordre (France)

1. {"Maintenant : la lettre d'opposition (letters/opposition-operateur.md), qui rappelle et renouvelle votre opposition du " + long_date(gdpr[0].date, 'fr') + ", en recommandé avec accusé de réception à " + cl.subject + ". Le délai d'un mois (RGPD, art. 12) court déjà depuis cette première opposition : gardez-en la preuve d'envoi." if gdpr else "Maintenant : la lettre d'opposition (letters/opposition-operateur.md) en recommandé avec accusé de réception à " + cl.subject + ". Gardez l'accusé : il fait courir le délai d'un mois (RGPD, art. 12) au-delà duquel chaque appel est compté ; indiquez ensuite sa date dans la configuration ([[objections]]) pour que callwatch compte les appels qui suivent."}
2. Le même jour, si vous le souhaitez : un signalement SignalConso (complaints/signalconso.md) ; la DGCCRF s'en sert pour cibler ses contrôles.
3. Un mois après, sans réponse satisfaisante : le service consommateurs {de(cl.subject)} (letters/reclamation-service-consommateurs.md).
4. Un mois de plus (ou deux mois sans aucune réponse du service clients) : le Médiateur des communications électroniques, en ligne, dans l'année qui suit votre réclamation écrite (letters/saisine-mediateur.md). Gratuit.
5. {"La CNIL (complaints/cnil.md), une fois passé sans réponse le mois qui suit votre opposition." if gdpr else "La CNIL, une fois votre opposition écrite envoyée et un mois passé sans réponse."}
6. Si les appels sont malveillants (faits pour vous troubler) : une plainte au procureur de la République (letters/plainte-procureur.md), ou au commissariat ou à la gendarmerie.

Le 33700 sert aux appels frauduleux (une sonnerie qui invite à rappeler un numéro surtaxé), pas au démarchage.
"""


# -- United Kingdom -------------------------------------------------------------------------

def _uk(data: PackData) -> dict[str, bytes]:
    cl = claims_of(data, "en")
    region = data.config.region
    me = data.config.complainant
    five = strongest(data)
    rows = "\n".join(f"{i}. {_when(c, 'en')}; number shown: {phone(c['number'], region) if c['number'] else 'withheld'}; "
                     f"{_kind_en(c)}" for i, c in enumerate(five, start=1))
    out = {"ofcom.md": f"""# Ofcom — nuisance calls complaint

Site: ofcom.org.uk › Complaints › Nuisance calls. Ofcom uses reports to target its enforcement; it does not reply to each.

Your telephone provider: [your provider]
Your number called: {cl.line_numbers[0] if cl.line_numbers else '[your number]'}
Number that called you: {phone(cl.numbers[0], region) if cl.numbers else 'withheld'}
Company, if known: {cl.subject}
Type of call: silent or abandoned calls ({cl.silent} of the {cl.answered} calls you answered were silent)
Date and time of the most recent call: {_when(data.calls[-1], 'en')}
How many calls: {cl.calls} from {long_date(cl.first, 'en')} to {long_date(cl.last, 'en')}, up to {cl.max_per_day} a day

Description: {cl.calls} calls or attempts from numbers attributed to {cl.subject}, on {cl.days_with_calls} days with calls; {cl.silent} answered with 3 seconds of talk or less. A dated record of every call is available (evidence.pdf).
""".encode(),
           "ico.md": f"""# ICO — report nuisance calls (at most five calls a report)

Site: ico.org.uk › Make a complaint › Nuisance calls and messages

The five calls below are the strongest of this pack (those breaking the most rules first, then silent ones, then the latest):
{rows}

Company: {cl.subject}
Did you tell them not to call? {"yes, on " + long_date(cl.objections[0].date, 'en') if cl.objections else "[yes/no, and when]"}
Is your number registered with the TPS? {"yes, since " + long_date(next(r.date.isoformat() for r in data.config.registrations if r.list == 'tps'), 'en') if any(r.list == 'tps' for r in data.config.registrations) else "[yes/no]"}
Your name and e-mail: {me.name or '[name]'}, {me.email or '[e-mail]'}
""".encode()}
    if any(r.list == "tps" for r in data.config.registrations):
        live = [c for c in data.calls if c["outcome"] == "answered" and "silent" not in c["signals"]]
        out["tps.md"] = f"""# TPS — complaint (live marketing calls only)

Site: tpsonline.org.uk › Complaints. The TPS takes complaints about live calls in which you spoke to someone; it passes your name, number and postcode to the company.

Your registered number: {cl.line_numbers[0] if cl.line_numbers else '[number]'}
Company name or number: {cl.subject}, {(phone(live[-1]['number'], region) if live and live[-1]['number'] else phone(cl.numbers[0], region) if cl.numbers else '[number]')}
Date and time of a live call: {_when(live[-1], 'en') if live else '[none of the calls here was a conversation: the TPS may not take it; use the ICO]'}
Calls after your registration took effect: {cl.rule('uk.pecr-21.tps')}
""".encode()
    out["what-to-do-next.md"] = f"""# What to send, in which order (United Kingdom)

1. Now: the letter to {cl.subject} (letters/objection-to-the-company.md), telling it not to call you (PECR reg. 21(1)(a)). Keep proof of sending.
2. Report to the ICO (complaints/ico.md, five calls a report; file several reports for more calls) and to Ofcom for silent or abandoned calls (complaints/ofcom.md).
3. {"If your number is registered with the TPS: the TPS complaint (complaints/tps.md) for live calls." if "tps.md" in out else "If your number is not yet registered with the TPS, register it (free); it binds callers 28 days later."}
4. A complaint about {cl.subject} as your provider goes to its complaints process, then, after eight weeks, to its alternative dispute resolution scheme (the Communications Ombudsman or CISAS).
""".encode()
    return out


def _kind_en(c: dict) -> str:
    if "silent" in c["signals"]:
        return "silent (answered, 3 seconds of talk or less)"
    return {"answered": "answered", "missed": "missed", "rejected": "rejected", "voicemail": "left on voicemail"}.get(
        c["outcome"], c["outcome"])


# -- United States --------------------------------------------------------------------------

def _us(data: PackData) -> dict[str, bytes]:
    cl = claims_of(data, "en-US")
    region = data.config.region
    me = data.config.complainant
    violating = [c for c in data.calls if c["rules"]]
    fcc_rows = "\n".join(f"- {_when(c, 'en-US')}; caller ID {phone(c['number'], region) if c['number'] else 'blocked'}; "
                         f"type of call: {'abandoned call? (answered, 3 seconds of talk or less)' if 'silent' in c['signals'] else 'live voice, prerecorded voice or unknown [choose]'}"
                         for c in violating[:25])
    if len(violating) > 25:
        fcc_rows += f"\n- (the first 25 of {len(violating)} calls breaking a rule; every one is in evidence.pdf)"
    out = {"fcc.md": f"""# FCC — consumer complaint (Unwanted calls)

Site: consumercomplaints.fcc.gov › Phone › Unwanted calls

Your phone number: {cl.line_numbers[0] if cl.line_numbers else '[number]'}
Caller ID number(s): {", ".join(phone(n, region) for n in cl.numbers[:5]) or 'blocked'}
Advertiser's name: {cl.subject}
Calls (date and time, caller ID, type of call):
{fcc_rows or '- (no call breaking a rule)'}
Did you ask them to stop? {"yes, on " + long_date(cl.objections[0].date, 'en-US') if cl.objections else "[yes/no]"}
Attachments: evidence.pdf
Your name and address: {me.name or '[name]'}, {me.address or '[address]'}
""".encode()}
    rows = [FTC_COLUMNS]
    created = data.generated_at.astimezone(data.tz).strftime("%Y-%m-%d %H:%M:%S")
    area = _area_code(data)
    for c in violating:
        digits = (c["number"] or "").removeprefix("+1")
        rows.append((digits, created, f"{c['local_date']} {c['local_time']}", "", "", area, "[subject]",
                     "Y" if "silent" in c["signals"] else ""))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    out["ftc-complaints.csv"] = buf.getvalue().encode()
    out["ftc.md"] = f"""# FTC — Do Not Call complaints (one call per complaint)

Site: donotcall.gov › Report unwanted calls. File one complaint for each call; ftc-complaints.csv lists them in the FTC's own complaint columns ({", ".join(FTC_COLUMNS)}). Fill in Subject, your city and state.

Calls to report: {len(violating)} (each broke at least one rule of this pack)
Your number: {cl.line_numbers[0] if cl.line_numbers else '[number]'}; registered on the National Do Not Call Registry: {"yes, since " + long_date(next(r.date.isoformat() for r in data.config.registrations if r.list == 'dnc'), 'en-US') if any(r.list == 'dnc' for r in data.config.registrations) else "[yes/no, since when]"}
Company: {cl.subject}
""".encode()
    out["what-to-do-next.md"] = f"""# What to send, in which order (United States)

1. Now: the do-not-call request to {cl.subject} (letters/do-not-call-request.md). It must be honored within 10 business days (47 CFR 64.1200(d)(3)); keep proof of sending.
2. Report the calls to the FCC (complaints/fcc.md) and, one call per complaint, to the FTC (complaints/ftc.md, ftc-complaints.csv).
3. Your state attorney general also takes telemarketing complaints (each state has its own form).
4. {_twelve_months(data)}
""".encode()
    return out


def violations_in_twelve_months(data: PackData) -> int:
    """The most calls breaking a rule of the pack within any 365 days (47 U.S.C. 227(c)(5) opens a
    private action to one who received more than one such call within 12 months)."""
    import datetime as dt
    days = sorted(dt.date.fromisoformat(c["local_date"]) for c in data.calls if c["rules"])
    best, first = 0, 0
    for last, day in enumerate(days):
        while (day - days[first]).days > 364:
            first += 1
        best = max(best, last - first + 1)
    return best


def _twelve_months(data: PackData) -> str:
    n = violations_in_twelve_months(data)
    if n > 1:
        return (f"{n} calls breaking these rules came within 12 months: more than one, which 47 U.S.C. 227(c)(5) "
                "requires for a private action ($500 per violation, up to $1,500 if willful). See a lawyer, or a "
                "small-claims court, with this pack.")
    return ("47 U.S.C. 227(c)(5) opens a private action only after more than one call in violation within 12 months; "
            f"this pack shows {n}.")


def _area_code(data: PackData) -> str:
    for line in data.config.lines:
        key = data.line_key(line)
        if key.startswith("+1") and len(key) == 12:
            return key[2:5]
    return ""
