"""Draft letters filled with the pack's own figures. Drafts: the user reads, completes the
bracketed parts and signs. Plain Markdown, also reproduced in the PDF's appendix."""

from __future__ import annotations

from callwatch.evidence.data import PackData


def _facts(data: PackData) -> dict:
    f = data.figures()
    numbers = sorted({c["number"] for c in data.calls if c["number"]})
    shown = ", ".join(numbers[:12]) + (f" (and {len(numbers) - 12} more)" if len(numbers) > 12 else "")
    freq = next((len(bs) for rid, bs in data.breaches.items() if data.rules[rid].kind == "max_per_window"), 0)
    hours = next((len(bs) for rid, bs in data.breaches.items() if data.rules[rid].kind == "allowed_window"), 0)
    objection = data.objections[0] if data.objections else None
    return {**f, "subject": data.subject, "numbers_text": shown or "(withheld numbers)",
            "first_date": f["first"][:10], "last_date": f["last"][:10], "zone": data.config.timezone,
            "beyond_cap": freq, "outside_hours": hours,
            "objection_date": objection.date.isoformat() if objection else None}


def render(data: PackData, lang: str) -> dict[str, str]:
    x = _facts(data)
    if lang == "fr":
        return {"opposition-operateur.md": _fr_objection(x), "signalconso.md": _fr_signalconso(x)}
    return {"complaint.md": _en_complaint(x)}


def _fr_objection(x) -> str:
    rappel = (f"Je vous rappelle que je me suis déjà opposé(e) à toute prospection le {x['objection_date']} ; "
              f"{x['after_objection']} appels sont intervenus après cette date et le délai de traitement.\n\n"
              if x["objection_date"] else "")
    return f"""[Vos nom et adresse]

{x['subject']}
Service clients / Délégué à la protection des données
[Adresse]

Lettre recommandée avec accusé de réception

Objet : opposition à la prospection téléphonique (RGPD art. 21) et appels répétés (art. D223-9 C. consom.)

Madame, Monsieur,

Entre le {x['first_date']} et le {x['last_date']}, ma ligne a reçu {x['calls']} appels ou tentatives d'appel attribués à votre société (numéros présentés : {x['numbers_text']}), dont {x['silent']} appels silencieux et {x['missed']} appels manqués, sur {x['days_with_calls']} jours et jusqu'à {x['max_per_day']} par jour.

L'article D223-9 du Code de la consommation limite le démarchage à quatre appels ou tentatives par période de trente jours, du lundi au vendredi, de 10 h à 13 h et de 14 h à 20 h. {x['beyond_cap']} de ces appels dépassent ce plafond et {x['outside_hours']} ont eu lieu hors des jours et heures permis.

{rappel}Conformément à l'article 21 du règlement (UE) 2016/679, je m'oppose à toute utilisation de mes données à des fins de prospection, par quelque canal que ce soit, et vous demande de me confirmer par écrit, dans le délai d'un mois prévu à l'article 12, que mes coordonnées ont été retirées de vos fichiers de prospection et de ceux de vos sous-traitants.

À défaut, je saisirai le médiateur des communications électroniques, la DGCCRF (SignalConso) et la CNIL. Le relevé daté des appels, avec ses empreintes numériques, est joint à ce courrier.

Je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.

[Date et signature]

(Heures en {x['zone']}.)
"""


def _fr_signalconso(x) -> str:
    return f"""SignalConso, rubrique « Démarchage abusif › Démarchage téléphonique »

Entreprise : {x['subject']}
Numéros ayant appelé : {x['numbers_text']}
Période : du {x['first_date']} au {x['last_date']} (heures en {x['zone']})

Description :
{x['calls']} appels ou tentatives en {x['days_with_calls']} jours, jusqu'à {x['max_per_day']} par jour ; {x['silent']} appels silencieux (décrochés puis coupés sans interlocuteur), {x['missed']} appels manqués. {x['beyond_cap']} appels dépassent la limite de quatre par trente jours de l'article D223-9 du Code de la consommation ; {x['outside_hours']} hors des jours et heures permis. {('Appels après mon opposition du ' + x['objection_date'] + ' : ' + str(x['after_objection']) + '.') if x['objection_date'] else ''}
Relevé détaillé et empreintes : fichier joint (calls.csv, evidence.pdf).
"""


def _en_complaint(x) -> str:
    objection = (f" I objected to these calls on {x['objection_date']}; {x['after_objection']} calls came after "
                 f"that date and the time allowed to comply." if x["objection_date"] else "")
    return f"""Complaint about persistent nuisance calls (for Ofcom / the ICO, or the FCC)

Caller: {x['subject']}
Numbers shown: {x['numbers_text']}
Period: {x['first_date']} to {x['last_date']} (times in {x['zone']})

Between {x['first_date']} and {x['last_date']} my line received {x['calls']} calls or call attempts from this caller, on {x['days_with_calls']} days and up to {x['max_per_day']} a day: {x['silent']} were silent (answered, then nobody and the line cut), {x['missed']} were missed.{objection}

The attached evidence pack lists every call with its date, time, number, outcome and the export it comes from, with SHA-256 fingerprints.

[Your name, your number, date]
"""
