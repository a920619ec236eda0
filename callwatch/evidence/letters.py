"""Draft letters filled with the pack's own figures. Drafts: the user reads, completes the
bracketed parts and signs. Plain Markdown, also reproduced in the PDF's appendix."""

from __future__ import annotations

from callwatch.evidence.data import PackData


def _facts(data: PackData, lang: str) -> dict:
    f = data.figures()
    numbers = sorted({c["number"] for c in data.calls if c["number"]})
    more = (f" (et {len(numbers) - 12} autres)" if lang == "fr" else f" (and {len(numbers) - 12} more)") \
        if len(numbers) > 12 else ""
    shown = ", ".join(numbers[:12]) + more
    freq = next((len(bs) for rid, bs in data.breaches.items() if data.rules[rid].kind == "max_per_window"), 0)
    hours = next((len(bs) for rid, bs in data.breaches.items() if data.rules[rid].kind == "allowed_window"), 0)
    objection = data.objections[0] if data.objections else None
    return {**f, "subject": data.subject, "numbers_text": shown or ("(numéros masqués)" if lang == "fr" else "(withheld numbers)"),
            "first_date": f["first"][:10], "last_date": f["last"][:10], "zone": data.config.timezone,
            "beyond_cap": freq, "outside_hours": hours,
            "objection_date": objection.date.isoformat() if objection else None}


def render(data: PackData, lang: str) -> dict[str, str]:
    x = _facts(data, lang)
    if lang == "fr":
        return {"opposition-operateur.md": _fr_objection(x), "reclamation-service-consommateurs.md": _fr_complaint(x),
                "saisine-mediateur.md": _fr_mediator(x), "signalconso.md": _fr_signalconso(x),
                "plainte-procureur.md": _fr_prosecutor(x)}
    return {"complaint-ofcom-ico.md": _en_complaint(x), "complaint-fcc.md": _en_fcc(x)}


def summary_fr(data: PackData) -> str:
    """The finding's "why" in French, from the same figures."""
    x = _facts(data, "fr")
    parts = [f"{x['subject']} : {x['calls']} appels ou tentatives depuis {x['numbers']} numéro(s)"
             + (f" et {x['withheld']} en numéro masqué" if x["withheld"] else "")
             + f" entre le {x['first_date']} et le {x['last_date']}, sur {x['days_with_calls']} jours, "
               f"jusqu'à {x['max_per_day']} par jour",
             f"{x['silent']} silencieux, {x['missed']} manqués, {x['answered']} décrochés"]
    for rid, bs in sorted(data.breaches.items(), key=lambda kv: -len(kv[1])):
        parts.append(f"{len(bs)} en infraction à {rid} ({data.rules[rid].text_fr.rstrip('.')})")
    probable = [n for n in data.numbers if n["certainty"] == "probable"]
    if probable:
        parts.append(f"{len(probable)} numéro(s) rattaché(s) par leur seul comportement (probable)")
    return " ; ".join(parts) + "."


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


def _fr_complaint(x) -> str:
    return f"""[Vos nom, adresse et numéro de client]

{x['subject']} — Service consommateurs
[Adresse]

Objet : réclamation — appels commerciaux répétés sur ma ligne

Madame, Monsieur,

Malgré ma réclamation auprès de votre service clients du [date], je reçois toujours vos appels : {x['calls']} appels ou tentatives entre le {x['first_date']} et le {x['last_date']}, jusqu'à {x['max_per_day']} par jour, dont {x['silent']} silencieux. {x['beyond_cap']} dépassent la limite de l'article D223-9 du Code de la consommation (quatre appels ou tentatives par trente jours) et {x['outside_hours']} ont eu lieu hors des jours et heures permis.

Je vous demande de cesser ces appels et de me confirmer par écrit la suppression de mes coordonnées de vos fichiers de prospection. Sans réponse satisfaisante sous un mois, je saisirai le médiateur des communications électroniques.

[Date et signature]
"""


def _fr_mediator(x) -> str:
    return f"""Saisine du médiateur des communications électroniques (en ligne)

Opérateur : {x['subject']}
Objet du litige : appels commerciaux répétés et silencieux de l'opérateur vers son abonné(e)

Exposé des faits :
Entre le {x['first_date']} et le {x['last_date']}, {x['calls']} appels ou tentatives, jusqu'à {x['max_per_day']} par jour ({x['silent']} silencieux, {x['missed']} manqués). {x['beyond_cap']} appels dépassent la limite de quatre par trente jours (art. D223-9 C. consom.). {('Opposition écrite du ' + x['objection_date'] + ' ; ' + str(x['after_objection']) + ' appels depuis.') if x['objection_date'] else ''}

Démarches préalables : réclamation au service clients le [date] ; au service consommateurs le [date] ; réponses jointes (ou absence de réponse depuis plus d'un mois).

Pièces : dossier de preuve horodaté (evidence.pdf, calls.csv, manifest.json) ; copies des réclamations.
"""


def _fr_prosecutor(x) -> str:
    return f"""[Vos nom et adresse]

Monsieur le Procureur de la République
Tribunal judiciaire de [ville]
[Adresse]

Objet : plainte pour appels téléphoniques malveillants réitérés (art. 222-16 du Code pénal)

Monsieur le Procureur,

Je porte plainte contre {x['subject']} et toute personne agissant pour son compte. Entre le {x['first_date']} et le {x['last_date']}, ma ligne a reçu {x['calls']} appels ou tentatives (numéros : {x['numbers_text']}), jusqu'à {x['max_per_day']} par jour, dont {x['silent']} appels silencieux, {x['outside_hours']} hors des heures permises au démarchage. {('Ces appels se sont poursuivis après mon opposition écrite du ' + x['objection_date'] + ' (' + str(x['after_objection']) + ' appels).') if x['objection_date'] else ''}

Ces appels répétés troublent gravement ma tranquillité [décrire les conséquences]. Le relevé daté des appels, tiré des journaux de mes appareils, avec les empreintes numériques des fichiers sources, est joint.

Je vous prie d'agréer, Monsieur le Procureur, l'expression de ma considération distinguée.

[Date et signature]
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


def _en_fcc(x) -> str:
    return f"""FCC consumer complaint (Unwanted calls)

Caller: {x['subject']}; numbers shown: {x['numbers_text']}
Dates: {x['first_date']} to {x['last_date']} (times in {x['zone']})

I received {x['calls']} calls or attempts, up to {x['max_per_day']} a day; {x['silent']} were abandoned (answered, no one on the line), {x['outside_hours']} came outside 8 a.m.-9 p.m. my local time.{(' I asked this company not to call me on ' + x['objection_date'] + '; ' + str(x['after_objection']) + ' calls came after the time it had to honour that request.') if x['objection_date'] else ''} A dated list of every call is attached.

[Your name, your number, date]
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
