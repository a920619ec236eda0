"""The attestation the complainant signs, in the form the pack's jurisdiction asks for.

France: article 202 du Code de procédure civile (identity, date and place of birth, address,
occupation, relationship to the parties; made for production in court; knowledge of the
penalties for a false attestation, art. 441-7 Code pénal; written, dated and signed by hand; a
copy of an official identity document). England and Wales: a witness statement with the
statement of truth of CPR Part 22. United States: a declaration under penalty of perjury,
28 U.S.C. 1746. Each says what the user did (which exports, from which device, exported when,
imported when) with the dates the store holds, and leaves blank what only the user knows.
"""

from __future__ import annotations

from datetime import datetime, timezone

from callwatch.evidence.claims import claims_of
from callwatch.evidence.data import PackData
from callwatch.wording import long_date, phone

BLANK = "______________________"


def render(data: PackData, lang: str) -> str:
    if data.pack.id == "fr":
        return _fr(data) if lang == "fr" else _fr_in_english(data)
    if data.pack.id == "us":
        return _us(data)
    return _uk(data)


def _imported(data: PackData, src: dict, lang: str) -> str:
    when = datetime.strptime(src["started_at"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    local = when.astimezone(data.tz)
    return f"{long_date(local.date().isoformat(), lang)} {local:%H:%M} ({local:%Z})"


def _my_lines(data: PackData, lang: str) -> str:
    many = len({c["line"] for c in data.calls if c["line"]}) > 1
    if lang == "fr":
        return f"{'mes lignes' if many else 'ma ligne'} {_lines(data)}"
    return f"{'my lines' if many else 'my line'} {_lines(data)}"


def _lines(data: PackData) -> str:
    region = data.config.region
    shown = sorted({c["line"] for c in data.calls if c["line"]})
    return ", ".join(f"{phone(ln, region)} ({data.line_name(ln)})" if ln.startswith("+") else data.line_name(ln)
                     for ln in shown)


def _fr(data: PackData) -> str:
    p, c = data.config.complainant, claims_of(data, "fr")
    sources = "\n".join(
        f"- « {s['original_name']} » ({s['format']}), exporté le {BLANK} depuis {BLANK} [l'appareil ou la box], "
        f"importé le {_imported(data, s, 'fr')}, empreinte SHA-256 {s['sha256']}" for s in data.sources)
    return f"""ATTESTATION (article 202 du Code de procédure civile)

À écrire, dater et signer de votre main (vous pouvez aussi reporter ce texte sur le formulaire Cerfa n° 11527*03), et à joindre à une photocopie d'un document officiel d'identité portant votre signature.

Je soussigné(e) :
Nom et prénoms : {p.name or BLANK}
Né(e) le {long_date(p.birth_date.isoformat(), 'fr') if p.birth_date else BLANK} à {p.birth_place or BLANK}
Demeurant : {p.address or BLANK}
Profession : {p.occupation or BLANK}
Lien avec les parties (parenté, alliance, subordination, collaboration, communauté d'intérêts) : je suis [abonné(e) / client(e) / sans lien] de {c.subject} ; {BLANK}

atteste avoir personnellement accompli et constaté ce qui suit.

J'ai exporté moi-même, sans les modifier, les journaux d'appels suivants :
{sources}

Ces journaux enregistrent, sur {_my_lines(data, 'fr')}, du {long_date(c.first, 'fr')} au {long_date(c.last, 'fr')}, {c.calls} appels ou tentatives d'appel de numéros que j'attribue à la société {c.subject} (numéros que j'ai déclarés comme les siens, numéros de leurs blocs ou numéros que j'ai confirmés), listés dans le relevé joint.

[Ajoutez ce que vous avez vous-même entendu ou vécu : appels décrochés sans interlocuteur, propos tenus, refus exprimés et leurs dates.]

Je sais que la présente attestation est établie en vue de sa production en justice et qu'une fausse attestation de ma part m'expose à des sanctions pénales (article 441-7 du Code pénal).

Fait à {BLANK}, le {BLANK}
Signature :
"""


def _fr_in_english(data: PackData) -> str:
    p, c = data.config.complainant, claims_of(data, "en")
    sources = "\n".join(
        f"- \"{s['original_name']}\" ({s['format']}), exported on {BLANK} from {BLANK} [the device or box], "
        f"imported on {_imported(data, s, 'en')}, SHA-256 {s['sha256']}" for s in data.sources)
    return f"""ATTESTATION (article 202 of the French Code de procédure civile) — English translation; the attestation to file is the French one, handwritten

To be written, dated and signed by hand (or carried over to form Cerfa no. 11527*03), with a photocopy of an official identity document bearing your signature.

I, the undersigned:
Surname and first names: {p.name or BLANK}
Born on {long_date(p.birth_date.isoformat(), 'en') if p.birth_date else BLANK} in {p.birth_place or BLANK}
Residing at: {p.address or BLANK}
Occupation: {p.occupation or BLANK}
Relationship to the parties (kinship, marriage, employment, collaboration, common interest): I am [a subscriber / a customer / unrelated] of {c.subject}; {BLANK}

certify that I personally did and saw the following.

I exported the following call logs myself, without altering them:
{sources}

These logs record, on {_my_lines(data, 'en')}, from {long_date(c.first, 'en')} to {long_date(c.last, 'en')}, {c.calls} calls or call attempts from numbers I attribute to {c.subject} (numbers I declared as its own, other numbers of the same blocks, or numbers I confirmed), listed in the enclosed record.

[Add what you heard or experienced yourself: calls answered with no one speaking, what was said, the refusals you expressed and their dates.]

I know that this attestation is made for production in court and that a false attestation exposes me to criminal penalties (article 441-7 of the French Code pénal).

Made at {BLANK}, on {BLANK}
Signature:
"""


def _sources_en(data: PackData, lang: str = "en") -> str:
    return "\n".join(
        f"- \"{s['original_name']}\" ({s['format']}), exported on {BLANK} from {BLANK} [the device or box], "
        f"imported on {_imported(data, s, lang)}, SHA-256 {s['sha256']}" for s in data.sources)


def _uk(data: PackData) -> str:
    p, c = data.config.complainant, claims_of(data, "en")
    return f"""WITNESS STATEMENT

Name: {p.name or BLANK}
Address: {p.address or BLANK}
Occupation: {p.occupation or BLANK}

1. I make this statement from my own knowledge. I am [a customer of / unrelated to] {c.subject}.
2. I exported the following call logs myself, without altering them:
{_sources_en(data)}
3. These logs record, on {_my_lines(data, 'en')}, from {long_date(c.first, 'en')} to {long_date(c.last, 'en')}, {c.calls} calls or call attempts from numbers I attribute to {c.subject} (numbers I declared as its own, other numbers of the same blocks, or numbers I confirmed), listed in the enclosed record.
4. [Add what you heard or experienced yourself: silent calls, what was said, when you asked them to stop.]

Statement of truth
I believe that the facts stated in this witness statement are true. I understand that proceedings for contempt of court may be brought against anyone who makes, or causes to be made, a false statement in a document verified by a statement of truth without an honest belief in its truth.

Signed: {BLANK}        Date: {BLANK}
"""


def _us(data: PackData) -> str:
    p, c = data.config.complainant, claims_of(data, "en")
    return f"""DECLARATION

I, {p.name or BLANK}, of {p.address or BLANK}, declare:

1. I have personal knowledge of the facts below. I am [a customer of / unrelated to] {c.subject}.
2. I exported the following call logs myself, without altering them:
{_sources_en(data, 'en-US')}
3. These logs record, on {_my_lines(data, 'en')}, from {long_date(c.first, 'en-US')} to {long_date(c.last, 'en-US')}, {c.calls} calls or call attempts from numbers I attribute to {c.subject} (numbers I declared as its own, other numbers of the same blocks, or numbers I confirmed), listed in the enclosed record.
4. [Add what you heard or experienced yourself: calls with no one speaking, recorded messages, when you asked them to stop.]

I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct.

Executed on {BLANK} at {BLANK}.
Signature: {BLANK}
"""
