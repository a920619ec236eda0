"""A breach's detail, or the basis of a number's attribution, in words: English or French.

A rule kind (detect/rules.py) and the campaign grouping (detect/campaigns.py) state what they
found as facts, a list of ``[code, values]``, stored beside the English sentence (what the CLI
and JSON show). The evidence pack words the same facts in its own language, so that a French
dossier says "jour férié (Armistice)", not "public holiday (Armistice Day)". A new rule kind or
basis adds its codes here, in both languages. ``["text", {"en": ...}]`` carries a sentence
stored before facts existed (schema 4); it reads the same in every language.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from functools import lru_cache

DAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")}
NUMBER_KINDS_FR = {"mobile": "mobile", "fixed": "fixe", "fixed-or-mobile": "fixe ou mobile", "voip": "VoIP",
                   "toll-free": "gratuit", "premium": "surtaxé", "shared-cost": "à coût partagé"}
LISTS = {"bloctel": ("Bloctel opposition list", "la liste d'opposition Bloctel"),
         "tps": ("Telephone Preference Service (TPS)", "le Telephone Preference Service (TPS)"),
         "dnc": ("National Do Not Call Registry", "le registre américain Do Not Call")}


# How dates read inside a sentence: "iso" in the CLI and the stored English detail (2026-10-01),
# "en-GB" (1 October 2026) and "en-US" (October 1, 2026) in English packs, French ones long too.
_DATE_STYLE: ContextVar[str] = ContextVar("date_style", default="iso")


def _d(iso) -> str:
    style = _DATE_STYLE.get()
    return str(iso) if style == "iso" else long_date(iso, "en-US" if style == "en-US" else "en")


def _span(start, end, lang: str) -> str:
    """A range of days written short, for table cells: "4 août – 2 sept. 2026", "Aug 4 – Sep 2, 2026"."""
    try:
        a, b = dt.date.fromisoformat(str(start)[:10]), dt.date.fromisoformat(str(end)[:10])
    except ValueError:
        return f"{start} – {end}"
    short = SHORT_MONTHS["fr" if lang == "fr" else "en"]
    if lang == "fr":
        first = f"{'1er' if a.day == 1 else a.day} {short[a.month - 1]}" + ("" if a.year == b.year else f" {a.year}")
        return f"{first} – {'1er' if b.day == 1 else b.day} {short[b.month - 1]} {b.year}"
    if _DATE_STYLE.get() == "en-US":
        first = f"{short[a.month - 1]} {a.day}" + ("" if a.year == b.year else f", {a.year}")
        return f"{first} – {short[b.month - 1]} {b.day}, {b.year}"
    if _DATE_STYLE.get() == "iso":
        return f"{a.isoformat()} to {b.isoformat()}"
    first = f"{a.day} {short[a.month - 1]}" + ("" if a.year == b.year else f" {a.year}")
    return f"{first} – {b.day} {short[b.month - 1]} {b.year}"


def _list(name, lang_index: int) -> str:
    return LISTS.get(name, (str(name), str(name)))[lang_index]


OBJECTION_KINDS_EN = {"gdpr-art21": "GDPR art. 21", "refusal": "refusal during a call", "do-not-call": "do-not-call request"}
OBJECTION_KINDS_FR = {"gdpr-art21": "opposition RGPD art. 21", "refusal": "refus pendant un appel"}


@lru_cache(maxsize=64)
def _holiday_name(country: str, date: str, lang: str) -> str | None:
    import holidays
    day = dt.date.fromisoformat(date)
    try:
        return holidays.country_holidays(country, years=day.year, language=lang).get(day)
    except (NotImplementedError, KeyError, AttributeError):
        return None


def _fr_holiday(v: dict) -> str:
    name = _holiday_name(v["country"], v["date"], "fr") if v.get("country") else None
    return f"jour férié ({name or v['name']})"


def _en_rank(v: dict) -> str:
    span = f"on {_d(v['end'])}" if v["width"] == 1 else f"in {v['width']} days ({_span(v['start'], v['end'], 'en')})"
    return f"no. {v['n']} {span}, max {v['cap']}"


def _fr_rank(v: dict) -> str:
    span = (f"le {long_date(v['end'], 'fr')}" if v["width"] == 1 else
            f"sur {v['width']} jours ({_span(v['start'], v['end'], 'fr')})")
    return f"n° {v['n']} {span}, max. {v['cap']}"


def _num(x: float, places: int = 2) -> str:
    """A decimal the French way: 0,92."""
    return f"{x:.{places}f}".replace(".", ",")


# code -> (English, French): each a function of the code's values.
SENTENCES = {
    "text": (lambda v: v["en"], lambda v: v["en"]),
    # rule kinds (detect/rules.py)
    "day": (lambda v: DAYS["en"][v["weekday"]], lambda v: DAYS["fr"][v["weekday"]]),
    "holiday": (lambda v: f"public holiday ({v['name']})", _fr_holiday),
    "outside_hours": (lambda v: f"at {v['time']}, outside {v['window']}",
                      lambda v: f"à {v['time']}, hors des créneaux {v['window']}"),
    "rank": (_en_rank, _fr_rank),
    "after_objection": (
        lambda v: f"after your objection ({OBJECTION_KINDS_EN.get(v['kind'], v['kind'])}) of {_d(v['date'])} to "
                  f"{v['company']} (to be honoured by {_d(v['effective'])})",
        lambda v: f"après votre opposition ({OBJECTION_KINDS_FR.get(v['kind'], v['kind'])}) du "
                  f"{long_date(v['date'], 'fr')} à {v['company']} (à respecter au plus tard le "
                  f"{long_date(v['effective'], 'fr')})"),
    "cooldown": (
        lambda v: f"{v['days']} day{'s' if v['days'] != 1 else ''} after your refusal of {_d(v['date'])} "
                  f"(no call allowed until {_d(v['until'])})",
        lambda v: f"{v['days']} jour{'s' if v['days'] > 1 else ''} après votre refus du {long_date(v['date'], 'fr')} "
                  f"(aucun appel permis jusqu'au {long_date(v['until'], 'fr')})"),
    "withheld": (lambda v: "number withheld", lambda v: "numéro masqué"),
    "automated": (
        lambda v: f"{'silent' if v['silent'] else 'dropped'} call from a {v['kind']} number, "
                  "not a range reserved for automated calls",
        lambda v: f"appel {'silencieux' if v['silent'] else 'coupé'} depuis un numéro "
                  f"{NUMBER_KINDS_FR.get(v['kind'], v['kind'])}, hors des tranches réservées aux appels automatisés"),
    "silent": (lambda v: f"answered, {v['talk_s']} s of talk", lambda v: f"décroché, {v['talk_s']} s de conversation"),
    "short_ring": (lambda v: f"rang {v['ring_s']} s ({v['min_s']} s minimum)",
                   lambda v: f"sonnerie de {v['ring_s']} s ({v['min_s']} s minimum)"),
    "repeat": (lambda v: f"{v['hours']:.1f} h after the silent (presumed abandoned) call of {v['previous']}",
               lambda v: f"{_num(v['hours'], 1)} h après l'appel silencieux (présumé abandonné) du {v['previous']}"),
    "no_consent": (
        lambda v: "canvassing without your prior consent" + (f" (required since {_d(v['since'])})" if v.get("since") else ""),
        lambda v: "démarchage sans votre consentement préalable"
                  + (f" (exigé depuis le {long_date(v['since'], 'fr')})" if v.get("since") else "")),
    "registered": (
        lambda v: f"your number has been on the {_list(v['list'], 0)} since {_d(v['date'])} "
                  f"(binding from {_d(v['effective'])})",
        lambda v: f"votre numéro est inscrit sur {_list(v['list'], 1)} depuis le {long_date(v['date'], 'fr')} "
                  f"(opposable à compter du {long_date(v['effective'], 'fr')})"),
    "abandoned_rate": (
        lambda v: f"{v['silent']} of the {v['answered']} calls you answered from {_d(v['from'])} to {_d(v['to'])} were "
                  f"abandoned ({v['rate']:.0%}; a campaign may abandon at most {v['max']:.0%} of its calls)",
        lambda v: f"{v['silent']} des {v['answered']} appels décrochés du {long_date(v['from'], 'fr')} au "
                  f"{long_date(v['to'], 'fr')} ont été abandonnés "
                  f"({_num(v['rate'] * 100, 0)} % ; {_num(v['max'] * 100, 0)} % au plus des appels d'une campagne)"),
    # attribution bases (detect/campaigns.py)
    "declared_number": (lambda v: f"declared in the configuration as {v['as']!r}",
                        lambda v: f"déclaré dans la configuration comme « {v['as']} »"),
    "declared_prefix": (lambda v: f"starts with the declared prefix {v['prefix']!r}",
                        lambda v: f"commence par le préfixe déclaré « {v['prefix']} »"),
    "caller_name": (lambda v: f"caller name {v['name']!r} matches a declared pattern",
                    lambda v: f"le nom présenté « {v['name']} » correspond à un motif déclaré"),
    "same_block": (lambda v: f"same block {v['block']} as declared {v['declared']}",
                   lambda v: f"même bloc {v['block']} que le numéro déclaré {v['declared']}"),
    "rotation": (lambda v: f"one of {v['count']} numbers of block {v['block']} calling in turn",
                 lambda v: f"un des {v['count']} numéros du bloc {v['block']} appelant à tour de rôle"),
    "reserved_range": (lambda v: f"ARCEP range reserved for automated calls ({v['range']})",
                       lambda v: f"tranche ARCEP réservée aux appels automatisés ({v['range']})"),
    "withheld_group": (lambda v: "no number presented: grouped by behaviour only",
                       lambda v: "aucun numéro présenté : regroupés par comportement seulement"),
    "single_number": (lambda v: "one number, no declared company", lambda v: "un seul numéro, aucune société déclarée"),
    "behaves_like": (
        lambda v: f"behaves like {v['company']}'s declared numbers (hours {v['hours']:.2f}, weekdays "
                  f"{v['weekdays']:.2f}, outcome mix {v['mix']:.2f}, calls per day {v['rate']:.2f}: "
                  f"similarity {v['score']:.2f})",
        lambda v: f"se comporte comme les numéros déclarés de {v['company']} (heures {_num(v['hours'])}, jours "
                  f"{_num(v['weekdays'])}, issues {_num(v['mix'])}, appels par jour {_num(v['rate'])} : "
                  f"similarité {_num(v['score'])})"),
    # the user's review (detect/review.py)
    "user_decision": (
        lambda v: f"{'confirmed' if v['action'] == 'confirm' else 'excluded'} by you on {v['date']}"
                  + (f" ({v['reason']})" if v.get("reason") else "") + f" [decision #{v['id']}]",
        lambda v: f"{'confirmé' if v['action'] == 'confirm' else 'exclu'} par vous le {v['date']}"
                  + (f" ({v['reason']})" if v.get("reason") else "") + f" [décision n° {v['id']}]"),
}

# The tiers of an attribution (detect/campaigns.py), in the words a lawyer reads.
TIERS = {
    "declared": ("declared by you", "déclaré par vous"),
    "same-block": ("same block as a number you declared", "même bloc qu'un numéro que vous avez déclaré"),
    "rotation": ("numbers of one block calling in turn (pattern only)",
                 "numéros d'un même bloc appelant à tour de rôle (motif seulement)"),
    "probable": ("probable: behaviour only, not counted", "probable : comportement seulement, non compté"),
    "confirmed": ("confirmed by you", "confirmé par vous"),
    "excluded": ("excluded by you", "exclu par vous"),
}


SHORT_MONTHS = {"fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                       "déc."),
                "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}
MONTHS = {"fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December")}


def de(name: str) -> str:
    """ "de Free", "d'Opérateur X": French elision before a vowel or a mute h."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhéèêàâîïôûœ" else f"de {name}"


def long_date(iso: str, lang: str = "en") -> str:
    """2026-10-05 as a letter writes it: "5 octobre 2026" ("1er" for the first), "5 October 2026"."""
    try:
        day = dt.date.fromisoformat(str(iso)[:10])
    except ValueError:             # not a date (an old stored fact): as it is
        return str(iso)
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {MONTHS['fr'][day.month - 1]} {day.year}"
    if lang == "en-US":                        # American order: September 1, 2026
        return f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}"
    return f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"


@lru_cache(maxsize=4096)
def phone(number: str | None, region: str = "FR", international: bool = False) -> str:
    """A stored number as people write it at home: national form for the household's country
    ("01 63 45 78 21"), international otherwise ("+44 20 7946 0100"), or always international
    with ``international`` (a spreadsheet keeps "+33 1 62 34 50 12" as text, where it turns
    "+33162345012" into a number); anything the plan does not know as stored."""
    if not number or not number.startswith("+"):
        return number or ""
    import phonenumbers
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    home = not international and phonenumbers.region_code_for_number(parsed) == region.upper()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL if home
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# The call table (calls.csv and the PDF): column headings and the values of the store's vocabularies.
CSV_HEADERS = (
    ("call_id", "n° d'appel"), ("local_date", "date locale"), ("local_time", "heure locale"),
    ("time_zone", "fuseau"), ("weekday", "jour"), ("utc", "UTC"), ("called_line", "ligne appelée"),
    ("number", "numéro"), ("presentation", "présentation"), ("outcome", "issue"), ("talk_s", "durée (s)"),
    ("talk_precision_s", "précision de la durée (s)"), ("ring_s", "sonnerie (s)"), ("attribution", "attribution"),
    ("signals", "signaux"), ("rules_broken", "règles enfreintes"), ("source_file", "fichier source"),
    ("source_sha256", "SHA-256 du fichier source"), ("locator", "emplacement dans le fichier"))
VALUES_FR = {
    # outcomes
    "answered": "décroché", "missed": "manqué", "rejected": "rejeté", "blocked": "bloqué", "voicemail": "messagerie",
    "unknown": "inconnu",
    # presentations
    "allowed": "présenté", "withheld": "masqué", "payphone": "cabine",
    # signals (detect/frame.SIGNAL_NAMES)
    "silent": "silencieux", "short": "court", "ping": "sonnerie brève", "weekend": "week-end", "holiday": "férié",
    "future": "daté après l'import",
    # tiers
    "declared": "déclaré", "same-block": "même bloc", "confirmed": "confirmé", "probable": "probable",
    "rotation": "rotation", "excluded": "exclu",
}
SIGNALS_EN = {"ping": "short ring"}


def value(word: str, lang: str = "en") -> str:
    """A stored vocabulary word (outcome, presentation, signal, tier) in the report's language."""
    if lang == "fr":
        return VALUES_FR.get(word, word)
    return SIGNALS_EN.get(word, word)


_LOCATOR_FR = ((r"\bline (\d+) \(bytes (\d+)-(\d+)\)", r"ligne \1 (octets \2 à \3)"),
               (r"> #(\d+) \(line (\d+), column (\d+)\)", r"> n° \1 (ligne \2, colonne \3)"),
               (r"> #(\d+) \(line (\d+)\)", r"> n° \1 (ligne \2)"),
               (r"\(line (\d+)\)", r"(ligne \1)"), (r"^line (\d+)", r"ligne \1"), (r" to ", " à "))


def locator(text: str, lang: str = "en") -> str:
    """Where a record is in its file, as the importer wrote it (English), in the report's language;
    database and JSON paths (calls._id=42, result[3] id=92) read the same in both."""
    if lang != "fr" or not text:
        return text
    import re
    for pattern, repl in _LOCATOR_FR:
        text = re.sub(pattern, repl, text)
    return text


def talk(duration: int | None, precision: int, outcome: str, lang: str = "en") -> str:
    """Talk time as the source measured it: "12 s"; a minute-precision "0:01" (stored as 60 s,
    rounded up) as "1 to 60 s"; nothing for a call nobody answered (it had no talk time)."""
    if duration is None or outcome in ("missed", "rejected", "blocked"):
        return ""
    if precision <= 1:
        return f"{duration} s"
    if duration == 0:
        return "0 s"
    low = max(1, duration - precision + 1)
    return f"{low} à {duration} s" if lang == "fr" else f"{low} to {duration} s"


SIGNAL_LEGEND = {
    "fr": "Signaux : silencieux = décroché, 3 s de conversation au plus, mesuré à la seconde ; court = décroché, "
          "moins d'une minute, mesuré à la minute (jamais dit silencieux) ; sonnerie brève = manqué après moins de "
          "15 s de sonnerie ; masqué = numéro non présenté ; week-end ; férié = jour férié légal. Durée : telle que "
          "la source la mesure (« 1 à 60 s » pour une source qui compte en minutes).",
    "en": "Signals: silent = answered, 3 s of talk or less, measured to the second; short = answered, under a "
          "minute, measured to the minute (never called silent); short ring = missed after ringing less than 15 s; "
          "withheld = no number shown; weekend; holiday = public holiday. Talk time: as the source measures it "
          "(\"1 to 60 s\" for a source counting in minutes).",
}


def tier(name: str, lang: str = "en") -> str:
    pair = TIERS.get(name)
    return (pair[1] if lang == "fr" else pair[0]) if pair else name


def describe(facts: list, lang: str = "en") -> str:
    """The facts of one breach as one sentence in `lang`: "fr", or English with its dates as
    "en" (ISO: the CLI, the stored detail), "en-GB" or "en-US" (a pack's prose)."""
    which = 1 if lang == "fr" else 0
    token = _DATE_STYLE.set(lang if lang in ("fr", "en-GB", "en-US") else "iso")
    try:
        return "; ".join(SENTENCES[code][which](values) for code, values in facts)
    finally:
        _DATE_STYLE.reset(token)


# The pack's vocabularies, shared with the web page (callwatch/web) so that both say the same
# thing: chart legends, table headings and the store's values (outcomes, signals, bases), and the
# labels of a finding's figures.
CHART_LABELS = {
    "fr": {"silent": "silencieux", "answered": "décrochés (non silencieux)", "missed": "manqués", "other": "autres",
           "calls_per_day": "appels par jour", "hour": "heure locale (le cadre vert : créneaux permis)",
           "days": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."], "holidays": "fériés",
           "title1": "Appels par jour", "title2": "Heure et jour de la semaine"},
    "en": {"silent": "silent", "answered": "answered, not silent", "missed": "missed", "other": "other",
           "calls_per_day": "calls per day", "hour": "local hour (green frame: permitted window)",
           "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "holidays": "holidays",
           "title1": "Calls per day", "title2": "Hour and weekday"},
}

WORDS = {
    "fr": {"local": "heure locale", "number": "numéro", "detail": "détail", "outcome": "issue", "talk": "durée",
           "signals": "signaux", "source": "source", "basis": "fondement", "certainty": "certitude",
           "source export": "export source", "format": "format", "bytes": "octets", "imported (UTC)": "importé (UTC)",
           "line": "ligne", "attribution": "attribution",
           "assumes": "Suppose : ",
           # outcomes
           "answered": "décroché", "missed": "manqué", "rejected": "rejeté", "blocked": "bloqué",
           "voicemail": "messagerie", "unknown": "inconnu",
           # signals (frame.SIGNAL_NAMES)
           "silent": "silencieux", "short": "court", "ping": "sonnerie brève", "withheld": "masqué",
           "weekend": "week-end", "holiday": "férié", "future": "daté après l'import",
           # attribution bases and certainty (detect/campaigns.py)
           "declared-number": "numéro déclaré", "declared-prefix": "préfixe déclaré", "caller-name": "nom présenté",
           "same-block": "même bloc", "rotation": "rotation", "reserved-range": "tranche réservée",
           "single-number": "numéro seul", "probable": "probable", "certain": "certain", "user": "vous"},
    "en": {"assumes": "Assumes: ",
           # attribution bases (detect/campaigns.py), in words
           "declared-number": "declared number", "declared-prefix": "declared prefix", "caller-name": "caller name",
           "same-block": "same block", "reserved-range": "reserved range", "single-number": "single number",
           "user": "you", "ping": "short ring"},
}

FIGURE_LABELS = {
    "fr": [("calls", "appels ou tentatives"), ("answered", "décrochés"), ("silent", "silencieux (≤ 3 s, mesure à la seconde)"),
           ("short", "de moins d'une minute (mesure à la minute)"), ("missed", "manqués"), ("rejected", "rejetés ou bloqués"),
           ("withheld", "numéro masqué"), ("numbers", "numéros différents"), ("days_with_calls", "jours avec appels"),
           ("max_per_day", "maximum par jour"),
           ("after_objection", "dans une période interdite par une opposition ou un refus"),
           ("first", "premier appel"), ("last", "dernier appel")],
    "en": [("calls", "calls or attempts"), ("answered", "answered"), ("silent", "silent (≤ 3 s, measured to the second)"),
           ("short", "under a minute (measured to the minute)"), ("missed", "missed"), ("rejected", "rejected or blocked"),
           ("withheld", "number withheld"), ("numbers", "distinct numbers"), ("days_with_calls", "days with calls"),
           ("max_per_day", "most in one day"),
           ("after_objection", "in a period barred by an objection or a refusal"),
           ("first", "first call"), ("last", "last call")],
}


def word(lang: str, key: str) -> str:
    """A heading or a stored value (outcome, signal, basis) in `lang`; itself where English."""
    return WORDS.get(lang, {}).get(key, key)
