"""Draft letters, filled with the pack's own claims (evidence/claims.py): the user reads,
completes the bracketed parts and signs. Plain Markdown, reproduced in the PDF's appendix.

Letters follow the rule pack's jurisdiction: French letters for the French rules (in French, or
translated with ``--lang en``), an objection under PECR for the UK, a company-specific
do-not-call request for the US, a plain letter otherwise. Every figure comes from the rule the
sentence names; a sentence about a rule that found nothing is left out; dates are written as
people write them ("5 octobre 2026") and numbers in their national form ("01 63 45 78 21").
"""

from __future__ import annotations

from callwatch.evidence.claims import Claims, claims_of
from callwatch.evidence.data import PackData
from callwatch.wording import de, long_date, phone

MAX_NUMBERS = 12




def render(data: PackData, lang: str) -> dict[str, str]:
    """File name -> letter text, for the pack's jurisdiction and language."""
    c = claims_of(data, lang)
    who = _Author(data, lang)
    if c.jurisdiction == "fr":
        if lang == "fr":
            return {"opposition-operateur.md": _fr_objection(c, who), "reclamation-service-consommateurs.md":
                    _fr_consumer_service(c, who), "saisine-mediateur.md": _fr_mediator(c, who),
                    "plainte-procureur.md": _fr_prosecutor(c, who)}
        return {"objection-to-the-company.md": _en_fr_objection(c, who),
                "complaint-to-consumer-service.md": _en_fr_consumer_service(c, who),
                "referral-to-the-mediator.md": _en_fr_mediator(c, who),
                "complaint-to-the-prosecutor.md": _en_fr_prosecutor(c, who)}
    if c.jurisdiction == "uk":
        return {"objection-to-the-company.md": _uk_objection(c, who)}
    if c.jurisdiction == "us":
        return {"do-not-call-request.md": _us_dnc_request(c, who)}
    return {"letter-to-the-company.md": _generic_letter(c, who)}


def summary_fr(data: PackData) -> str:
    """The finding's "why" in French, from the same claims."""
    c = claims_of(data, "fr")
    n = len(c.numbers)
    whom = (f"depuis {n} numéro{'s' if n > 1 else ''}" if n else "") + (
        (" et " if n else "") + f"{c.withheld} en numéro masqué" if c.withheld else "")
    parts = [f"{c.subject} : {c.calls} appels ou tentatives comptés {whom}"
             + f", du {long_date(c.first, 'fr')} au {long_date(c.last, 'fr')}, sur {c.days_with_calls} jours avec appels, "
               f"jusqu'à {c.max_per_day} par jour",
             f"{c.silent} silencieux, {c.missed} manqués, {c.answered} décrochés"]
    for rid, n in sorted(c.per_rule.items(), key=lambda kv: -kv[1]):
        parts.append(f"{n} en infraction à {rid} ({data.rules[rid].text_fr.rstrip('.')})")
    if c.leads:
        parts.append(f"{c.leads} autre{'s' if c.leads > 1 else ''} appel{'s' if c.leads > 1 else ''} "
                     f"rattaché{'s' if c.leads > 1 else ''} par le seul comportement ou un motif : "
                     f"{'des pistes, non comptées' if c.leads > 1 else 'une piste, non comptée'}")
    return " ; ".join(parts) + "."


class _Author:
    """The complainant's block: what the config gives, blanks to fill by hand otherwise."""

    def __init__(self, data: PackData, lang: str):
        p, fr = data.config.complainant, lang == "fr"
        self.name = p.name or ("[Vos prénom et nom]" if fr else "[Your name]")
        self.address = p.address or ("[Votre adresse]" if fr else "[Your address]")
        self.customer = p.customer_number or ("[votre numéro de client]" if fr else "[your customer number]")
        self.email = p.email
        region = data.config.region
        lines = [line for line in data.config.lines if (line.holder or "complainant") == "complainant"]
        self.lines = ", ".join(f"{phone(data.line_key(line), region)}, {line.label}" if lang != "fr" else
                               f"{phone(data.line_key(line), region)} ({line.label})" for line in lines) \
            or ("[vos numéros de téléphone]" if fr else "[your telephone numbers]")
        self.several = len(lines) != 1
        self.region = region

    def header(self) -> str:
        return "\n".join(x for x in (self.name, self.address, self.email) if x)


def _numbers(c: Claims, region: str, lang: str) -> str:
    shown = [phone(n, region) for n in c.numbers[:MAX_NUMBERS]]
    more = len(c.numbers) - len(shown)
    text = ", ".join(shown)
    if more > 0:
        text += f" (et {more} autres)" if lang == "fr" else f" (and {more} more)"
    if c.withheld:
        many = c.withheld > 1
        text += (f" ; {c.withheld} appel{'s' if many else ''} en numéro masqué" if lang == "fr"
                 else f"; {c.withheld} call{'s' if many else ''} withheld")
    return text or ("(numéros masqués)" if lang == "fr" else "(withheld numbers)")


# -- France ---------------------------------------------------------------------------------

def _fr_breaches(c: Claims) -> list[str]:
    """One sentence per rule that found something, each with that rule's own figure."""
    out = []
    if c.has("fr.d223-9.frequency"):
        out.append(f"{c.rule('fr.d223-9.frequency')} de ces appels dépassent le plafond de quatre appels ou tentatives "
                   "par période de trente jours calendaires (article D223-9 du Code de la consommation).")
    if c.has("fr.d223-9.hours"):
        out.append(f"{c.rule('fr.d223-9.hours')} ont eu lieu hors des jours et heures où le démarchage est permis "
                   "(du lundi au vendredi, de 10 h à 13 h et de 14 h à 20 h, jamais un jour férié : même article).")
    if c.has("fr.l221-17.withheld"):
        out.append(f"{c.rule('fr.l221-17.withheld')} ont été passés en numéro masqué, ce que l'article L221-17 du "
                   "même code interdit à qui démarche par téléphone.")
    if c.has("fr.arcep-2022-1583.automated"):
        out.append(f"{c.rule('fr.arcep-2022-1583.automated')} appels silencieux ou coupés présentaient un numéro "
                   "ordinaire, alors qu'un automate d'appels doit présenter un numéro réservé à cet usage "
                   "(décision de l'ARCEP n° 2022-1583).")
    if c.has("fr.l223-1.bloctel"):
        out.append(f"{c.rule('fr.l223-1.bloctel')} appels sont intervenus alors que mon numéro était inscrit sur la "
                   "liste d'opposition Bloctel (article L223-1, dans sa rédaction alors en vigueur).")
    if c.has("fr.l223-1.consent"):
        out.append(f"{c.rule('fr.l223-1.consent')} appels ont eu lieu depuis le 11 août 2026 sans que j'aie jamais "
                   "consenti à être démarché(e) par téléphone (article L223-1 issu de la loi n° 2025-594 du "
                   "30 juin 2025).")
    return out


def _fr_objections(c: Claims, you: bool = True) -> list[str]:
    """``you``: a letter to the company ("vous"); else to a third party (the company named)."""
    out = []
    it = "vous" if you else "elle"
    for o in c.objections:
        day = long_date(o.date, "fr")
        if o.kind == "gdpr-art21":
            n = o.by_rule.get("fr.rgpd-21.objection")
            out.append(f"Je me suis opposé(e) par écrit à toute prospection le {day}"
                       + (f" ; {n} appels sont intervenus après l'expiration du délai d'un mois dont {it} "
                          f"dispos{'iez' if you else 'ait'} pour y donner suite (RGPD, articles 12 et 21)." if n else "."))
        elif o.kind == "refusal":
            n60, after = o.by_rule.get("fr.d223-9.refusal"), o.by_rule.get("fr.l221-16.objection")
            if o.call_that_day:
                text = (f"Lors de {'votre' if you else 'son'} appel du {day}, j'ai refusé d'être démarché(e)")
            else:        # no answered call that day in the logs: the user must check the date before sending
                text = (f"Le {day}, j'ai refusé d'être démarché(e) [aucun appel décroché de "
                        f"{'votre société' if you else c.subject} n'apparaît ce jour-là dans mes journaux : "
                        "vérifiez cette date avant d'envoyer]")
            if n60:
                text += (f" ; {n60} appels ou tentatives ont suivi dans les soixante jours pendant lesquels tout "
                         f"nouvel appel {'vous' if you else 'lui'} était interdit (article D223-9)")
            if after:
                text += (f" ; {after} appels ont suivi alors que l'article L221-16 {'vous' if you else 'lui'} impose, "
                         "depuis mon opposition, de ne plus me recontacter")
            out.append(text + ".")
    return out


def _fr_facts(c: Claims, who: _Author, you: bool = True) -> str:
    """The facts, from the counted calls. A call log shows the numbers, not who dialled them: the
    calls are said to come from numbers attributed to the company (declared or confirmed)."""
    return (f"Du {long_date(c.first, 'fr')} au {long_date(c.last, 'fr')}, "
            + (f"mes lignes ({who.lines}) ont reçu " if who.several else f"ma ligne {who.lines} a reçu ") +
            f"{c.calls} appels ou tentatives d'appel de numéros attribués à "
            f"{'votre société' if you else 'la société ' + c.subject} (numéros présentés : "
            f"{_numbers(c, who.region, 'fr')}), dont {c.silent} appels silencieux (décrochés, 3 secondes de "
            f"conversation au plus) et {c.missed} appels manqués, sur {c.days_with_calls} jours avec appels et "
            f"jusqu'à {c.max_per_day} par jour.")


def _fr_objection(c: Claims, who: _Author) -> str:
    breaches = " ".join(_fr_breaches(c))
    objections = " ".join(_fr_objections(c))
    return f"""{who.header()}
N° de client : {who.customer}

{c.subject}
Service clients / Délégué à la protection des données
[Adresse]

Lettre recommandée avec accusé de réception

Objet : opposition à la prospection téléphonique et appels répétés

Madame, Monsieur,

{_fr_facts(c, who)}

{breaches}

{objections}

{"Je vous rappelle mon opposition et la renouvelle" if any(o.kind == "gdpr-art21" for o in c.objections) else "Conformément à l'article 21 du règlement (UE) 2016/679, je m'oppose"} à toute utilisation de mes données à des fins de prospection, par quelque canal que ce soit, et vous demande de me confirmer par écrit, dans le délai d'un mois prévu à l'article 12 du même règlement, que mes coordonnées ont été retirées de vos fichiers de prospection et de ceux de vos sous-traitants.

À défaut, je saisirai le médiateur des communications électroniques, la DGCCRF (SignalConso) et la CNIL. Le relevé daté des appels, avec les empreintes numériques de ses fichiers, est joint à ce courrier.

Je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.

[Date et signature]
""".replace("\n\n\n", "\n\n")


def _fr_consumer_service(c: Claims, who: _Author) -> str:
    return f"""{who.header()}
N° de client : {who.customer}

{c.subject} — Service consommateurs
[Adresse]

Objet : réclamation — appels commerciaux répétés sur mes lignes

Madame, Monsieur,

Malgré ma réclamation auprès de votre service clients du [date], vos appels continuent. {_fr_facts(c, who)}

{" ".join(_fr_breaches(c))}

{" ".join(_fr_objections(c))}

Je vous demande de cesser ces appels et de me confirmer par écrit la suppression de mes coordonnées de vos fichiers de prospection. Sans réponse satisfaisante sous un mois, je saisirai le médiateur des communications électroniques.

[Date et signature]
""".replace("\n\n\n", "\n\n")


def _fr_mediator(c: Claims, who: _Author) -> str:
    return f"""Saisine du médiateur des communications électroniques (en ligne)

Demandeur : {who.name}, {who.address} ; n° de client : {who.customer} ; lignes : {who.lines}
Opérateur : {c.subject}
Objet du litige : appels commerciaux répétés et silencieux de l'opérateur vers son abonné(e)

Exposé des faits :
{_fr_facts(c, who, you=False)} {" ".join(_fr_breaches(c))} {" ".join(_fr_objections(c, you=False))}

Démarches préalables : réclamation au service clients le [date] ; au service consommateurs le [date] ; réponses jointes (ou absence de réponse depuis plus d'un mois).

Pièces : dossier de preuve (evidence.pdf, calls.csv, manifest.json) ; copies des réclamations et des réponses.
"""


def _fr_prosecutor(c: Claims, who: _Author) -> str:
    return f"""{who.header()}

Monsieur le Procureur de la République
Tribunal judiciaire de [ville]
[Adresse]

Objet : plainte pour appels téléphoniques malveillants réitérés (article 222-16 du Code pénal) et, le cas échéant, harcèlement (article 222-33-2-2 du même code)

Monsieur le Procureur,

Je porte plainte contre {c.subject} et toute personne agissant pour son compte. {_fr_facts(c, who, you=False)} {" ".join(_fr_breaches(c))} {" ".join(_fr_objections(c, you=False))}

Ces appels répétés troublent ma tranquillité [décrire les conséquences : sommeil, travail, santé ; joindre tout certificat médical].

Le relevé joint établit la date, l'heure, le numéro présenté, l'issue et la durée de chaque appel, tirés des journaux de mes appareils, avec les empreintes numériques des fichiers sources ; il établit la réitération. Il ne peut établir ni l'intention de troubler ma tranquillité (article 222-16), ni la dégradation de mes conditions de vie et l'altération de ma santé (article 222-33-2-2), ni le contenu des appels (un message enregistré relèverait aussi de l'article L34-5 du Code des postes et des communications électroniques) : j'en témoigne ci-dessus, joins [certificat médical, main courante] et vous demande de faire requérir auprès des opérateurs les enregistrements de ces appels.

Je vous prie d'agréer, Monsieur le Procureur, l'expression de ma considération distinguée.

[Date et signature]
"""


def _en_fr_breaches(c: Claims) -> list[str]:
    out = []
    if c.has("fr.d223-9.frequency"):
        out.append(f"{c.rule('fr.d223-9.frequency')} of these calls exceed the cap of four calls or attempts in any "
                   "thirty calendar days (article D223-9 of the Code de la consommation).")
    if c.has("fr.d223-9.hours"):
        out.append(f"{c.rule('fr.d223-9.hours')} came outside the days and hours when canvassing is allowed "
                   "(Monday to Friday, 10:00-13:00 and 14:00-20:00, never on a public holiday: same article).")
    if c.has("fr.l221-17.withheld"):
        out.append(f"{c.rule('fr.l221-17.withheld')} were made with the number withheld, which article L221-17 of "
                   "the same code forbids to anyone canvassing by telephone.")
    if c.has("fr.arcep-2022-1583.automated"):
        out.append(f"{c.rule('fr.arcep-2022-1583.automated')} silent or dropped calls showed an ordinary number, "
                   "whereas an automated calling system must show a number reserved for it (ARCEP decision "
                   "no. 2022-1583).")
    if c.has("fr.l223-1.bloctel"):
        out.append(f"{c.rule('fr.l223-1.bloctel')} calls came while my number was on the Bloctel opposition list "
                   "(article L223-1 as then in force).")
    if c.has("fr.l223-1.consent"):
        out.append(f"{c.rule('fr.l223-1.consent')} calls came since 11 August 2026 although I never consented to "
                   "telephone canvassing (article L223-1 as amended by loi no. 2025-594 of 30 June 2025).")
    return out


def _en_fr_objections(c: Claims, you: bool = True) -> list[str]:
    out = []
    it = "you" if you else "it"
    for o in c.objections:
        day = long_date(o.date, "en")
        if o.kind == "gdpr-art21":
            n = o.by_rule.get("fr.rgpd-21.objection")
            out.append(f"I objected in writing to any direct marketing on {day}"
                       + (f"; {n} calls came after the month {it} had to act on it expired (GDPR, articles 12 "
                          "and 21)." if n else "."))
        elif o.kind == "refusal":
            n60, after = o.by_rule.get("fr.d223-9.refusal"), o.by_rule.get("fr.l221-16.objection")
            if o.call_that_day:
                text = f"During {'your' if you else 'its'} call of {day}, I refused to be canvassed"
            else:
                text = (f"On {day}, I refused to be canvassed [no answered call from "
                        f"{'your company' if you else c.subject} appears that day in my logs: check this date "
                        "before sending]")
            if n60:
                text += (f"; {n60} calls or attempts followed within the sixty days in which any new call was "
                         f"forbidden to {'you' if you else 'it'} (article D223-9)")
            if after:
                text += (f"; {after} calls followed although article L221-16 requires {'you' if you else 'it'} not "
                         "to contact me again after my objection")
            out.append(text + ".")
    return out


def _en_fr_facts(c: Claims, who: _Author, you: bool = True) -> str:
    return (f"From {long_date(c.first, 'en')} to {long_date(c.last, 'en')}, my "
            + (f"lines ({who.lines}) received " if who.several else f"line {who.lines} received ")
            + f"{c.calls} calls or call attempts from numbers attributed to "
            f"{'your company' if you else c.subject} (numbers shown: {_numbers(c, who.region, 'en')}), "
            f"{c.silent} of them silent (answered, 3 seconds of talk or less) and {c.missed} missed, on "
            f"{c.days_with_calls} days with calls and up to {c.max_per_day} a day.")


def _en_fr_objection(c: Claims, who: _Author) -> str:
    return f"""(English translation of the French letter "opposition-operateur.md"; send the French one.)

{who.header()}
Customer number: {who.customer}

{c.subject}
Customer service / Data protection officer
[Address]

Registered letter with acknowledgement of receipt

Subject: objection to telephone canvassing and repeated calls

Dear Sir or Madam,

{_en_fr_facts(c, who)}

{" ".join(_en_fr_breaches(c))}

{" ".join(_en_fr_objections(c))}

{"I remind you of my objection and renew it" if any(o.kind == "gdpr-art21" for o in c.objections) else "Under article 21 of Regulation (EU) 2016/679, I object"} to any use of my data for direct marketing, by any channel, and ask you to confirm in writing, within the month set by article 12 of that regulation, that my details have been removed from your marketing files and those of your processors.

Failing that, I will refer the matter to the Médiateur des communications électroniques, the DGCCRF (SignalConso) and the CNIL. The dated record of the calls, with the digital fingerprints of its files, is enclosed.

Yours faithfully,

[Date and signature]
""".replace("\n\n\n", "\n\n")


def _en_fr_consumer_service(c: Claims, who: _Author) -> str:
    return f"""(English translation of the French letter "reclamation-service-consommateurs.md"; send the French one.)

{who.header()}
Customer number: {who.customer}

{c.subject} — Service consommateurs
[Address]

Subject: complaint — repeated sales calls to my lines

Dear Sir or Madam,

Despite my complaint to your customer service of [date], your calls go on. {_en_fr_facts(c, who)}

{" ".join(_en_fr_breaches(c))}

{" ".join(_en_fr_objections(c))}

I ask you to stop these calls and to confirm in writing that my details have been removed from your marketing files. Without a satisfactory answer within a month, I will refer the matter to the Médiateur des communications électroniques.

[Date and signature]
""".replace("\n\n\n", "\n\n")


def _en_fr_mediator(c: Claims, who: _Author) -> str:
    return f"""(English translation of the French text "saisine-mediateur.md"; file the French one.)

Referral to the Médiateur des communications électroniques (online)

Claimant: {who.name}, {who.address}; customer number: {who.customer}; lines: {who.lines}
Operator: {c.subject}
Dispute: repeated and silent sales calls from the operator to its subscriber

Facts:
{_en_fr_facts(c, who, you=False)} {" ".join(_en_fr_breaches(c))} {" ".join(_en_fr_objections(c, you=False))}

Earlier steps: complaint to customer service on [date]; to the service consommateurs on [date]; answers enclosed (or no answer for more than a month).

Enclosures: evidence pack (evidence.pdf, calls.csv, manifest.json); copies of the complaints and answers.
"""


def _en_fr_prosecutor(c: Claims, who: _Author) -> str:
    return f"""(English translation of the French letter "plainte-procureur.md"; send the French one.)

{who.header()}

The Public Prosecutor (Procureur de la République)
Tribunal judiciaire de [town]
[Address]

Subject: complaint for repeated malicious telephone calls (article 222-16 of the Code pénal) and, where it applies, harassment (article 222-33-2-2 of the same code)

Sir,

I lodge a complaint against {c.subject} and anyone acting on its behalf. {_en_fr_facts(c, who, you=False)} {" ".join(_en_fr_breaches(c))} {" ".join(_en_fr_objections(c, you=False))}

These repeated calls disturb my peace [describe the consequences: sleep, work, health; enclose any medical certificate].

The enclosed record establishes the date, time, number shown, outcome and duration of every call, taken from my devices' logs, with the digital fingerprints of the source files; it establishes the repetition. It cannot establish the intent to disturb my peace (article 222-16), the degradation of my living conditions and harm to my health (article 222-33-2-2), nor what the calls said (a recorded message would also fall under article L34-5 of the Code des postes et des communications électroniques): I testify to that above, enclose [medical certificate, police report] and ask you to have the operators' records of these calls requisitioned.

Yours faithfully,

[Date and signature]
"""


# -- United Kingdom, United States, elsewhere -----------------------------------------------

def _uk_objection(c: Claims, who: _Author) -> str:
    lines = []
    if c.has("uk.pecr-21.tps"):
        lines.append(f"{c.rule('uk.pecr-21.tps')} of these calls came although my number is registered with the "
                     "Telephone Preference Service (PECR regulation 21(1)(b)).")
    if c.has("uk.pecr-21a.withheld"):
        lines.append(f"{c.rule('uk.pecr-21a.withheld')} were made with the number withheld (PECR regulation 21(A1)).")
    if c.has("uk.ofcom.abandoned-rate"):
        lines.append(f"{c.silent} of the {c.answered} calls I answered were silent (3 seconds of talk or less): "
                     f"{round(100 * c.silent / max(c.answered, 1))}% of the calls I answered, where Ofcom's persistent "
                     "misuse policy lets a campaign abandon at most 3% of its calls.")
    if c.has("uk.ofcom.ring-time"):
        lines.append(f"{c.rule('uk.ofcom.ring-time')} unanswered calls were cut off before ringing for 15 seconds.")
    if c.has("uk.ofcom.repeat-72h"):
        lines.append(f"{c.rule('uk.ofcom.repeat-72h')} calls came within 72 hours of an abandoned call to the same "
                     "line.")
    for o in c.objections:
        n = o.by_rule.get("uk.pecr-21.objection")
        check = ("" if o.kind != "refusal" or o.call_that_day else
                 " [no answered call from your company appears that day in my logs: check this date before sending]")
        lines.append(f"I already told you on {long_date(o.date, 'en')} not to call me{check}"
                     + (f"; {n} calls came after that (PECR regulation 21(1)(a))." if n else "."))
    return f"""{who.header()}
Customer number: {who.customer}

{c.subject}
Customer services / Data Protection Officer
[Address]

Subject: do not call me — objection to direct marketing calls

Dear Sir or Madam,

From {long_date(c.first, 'en')} to {long_date(c.last, 'en')}, my {"lines" if who.several else "line"} ({who.lines}) received {c.calls} calls or call attempts from numbers attributed to your company (numbers shown: {_numbers(c, who.region, "en")}), on {c.days_with_calls} days with calls and up to {c.max_per_day} a day.

{" ".join(lines)}

{"I repeat and confirm in writing" if c.objections else "I hereby notify you"}, under regulation 21(1)(a) of the Privacy and Electronic Communications Regulations 2003 and article 21 of the UK GDPR, that I do not consent to any direct marketing calls and object to the use of my data for direct marketing. Please confirm within one month that my numbers have been removed from your calling lists.

If the calls continue I will report them to the Information Commissioner's Office and to Ofcom. A dated record of every call, with the fingerprints of its files, is enclosed.

Yours faithfully,

[Date and signature]
""".replace("\n\n\n", "\n\n")


def _us_dnc_request(c: Claims, who: _Author) -> str:
    lines = []
    if c.has("us.64-1200-c1.hours"):
        lines.append(f"{c.rule('us.64-1200-c1.hours')} of these calls came before 8 a.m. or after 9 p.m. my local "
                     "time (47 CFR 64.1200(c)(1)).")
    if c.has("us.64-1200-c2.registry"):
        lines.append(f"{c.rule('us.64-1200-c2.registry')} came although my number is on the National Do Not Call "
                     "Registry (47 CFR 64.1200(c)(2)).")
    if c.has("us.64-1200-a7.abandoned-rate"):
        lines.append(f"{c.silent} of the {c.answered} calls I answered were silent (3 seconds of talk or less): "
                     f"{round(100 * c.silent / max(c.answered, 1))}% of the calls I answered, where a campaign may "
                     "abandon at most 3% (47 CFR 64.1200(a)(7)).")
    for o in c.objections:
        n = o.by_rule.get("us.64-1200-d.do-not-call")
        check = ("" if o.kind != "refusal" or o.call_that_day else
                 " [no answered call from your company appears that day in my logs: check this date before sending]")
        lines.append(f"I already asked you on {long_date(o.date, 'en-US')} not to call me{check}"
                     + (f"; {n} calls came after the time you had to honor that request (47 CFR 64.1200(d)(3))."
                        if n else "."))
    return f"""{who.header()}
Account number: {who.customer}

{c.subject}
[Address]

Subject: company-specific do-not-call request (47 CFR 64.1200(d))

To whom it may concern,

From {long_date(c.first, 'en-US')} to {long_date(c.last, 'en-US')}, my {"lines" if who.several else "line"} ({who.lines}) received {c.calls} calls or call attempts from numbers attributed to your company (numbers shown: {_numbers(c, who.region, "en")}), on {c.days_with_calls} days with calls and up to {c.max_per_day} a day.

{" ".join(lines)}

{"I repeat my request: put" if c.objections else "Put"} my telephone numbers on your company-specific do-not-call list now, and send me a copy of your written do-not-call policy. Under 47 CFR 64.1200(d)(3) you must honor this request within 10 business days.

A dated record of every call, with the fingerprints of its files, is enclosed. Further calls will be reported to the FCC and the FTC.

[Date and signature]
""".replace("\n\n\n", "\n\n")


def _generic_letter(c: Claims, who: _Author) -> str:
    return f"""{who.header()}

{c.subject}
[Address]

Subject: please stop calling me

Dear Sir or Madam,

From {long_date(c.first, 'en')} to {long_date(c.last, 'en')}, my {"lines" if who.several else "line"} ({who.lines}) received {c.calls} calls or call attempts from numbers attributed to your company (numbers shown: {_numbers(c, who.region, "en")}), {c.silent} of them silent (3 seconds of talk or less) and {c.missed} missed, on {c.days_with_calls} days with calls and up to {c.max_per_day} a day.

I ask you to stop calling me and to remove my numbers from your calling lists. A dated record of every call is enclosed.

[Date and signature]
"""
