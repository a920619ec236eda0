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
from functools import lru_cache

DAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")}
NUMBER_KINDS_FR = {"mobile": "mobile", "fixed": "fixe", "fixed-or-mobile": "fixe ou mobile", "voip": "VoIP",
                   "toll-free": "gratuit", "premium": "surtaxé", "shared-cost": "à coût partagé"}
OBJECTION_KINDS_FR = {"gdpr-art21": "opposition RGPD art. 21", "refusal": "refus pendant un appel"}


@lru_cache(maxsize=64)
def _holiday_name(country: str, date: str, lang: str) -> str | None:
    import holidays
    day = dt.date.fromisoformat(date)
    try:
        return holidays.country_holidays(country, years=day.year, language=lang).get(day)
    except (NotImplementedError, KeyError, AttributeError):
        return None


def _en(code: str, v: dict) -> str:
    if code == "text":
        return v["en"]
    if code == "day":
        return DAYS["en"][v["weekday"]]
    if code == "holiday":
        return f"public holiday ({v['name']})"
    if code == "outside_hours":
        return f"at {v['time']}, outside {v['window']}"
    if code == "rank":
        span = f"on {v['end']}" if v["width"] == 1 else f"in {v['width']} days ({v['start']} to {v['end']})"
        return f"no. {v['n']} {span}, max {v['cap']}"
    if code == "after_objection":
        return (f"after your {v['kind']} objection of {v['date']} to {v['company']} "
                f"(to be honoured by {v['effective']})")
    if code == "cooldown":
        return f"{v['days']} days after your refusal of {v['date']} (no call allowed until {v['until']})"
    if code == "withheld":
        return "number withheld"
    if code == "automated":
        return (f"{'silent' if v['silent'] else 'dropped'} call from a {v['kind']} number, "
                "not a range reserved for automated calls")
    if code == "silent":
        return f"answered, {v['talk_s']} s of talk"
    if code == "short_ring":
        return f"rang {v['ring_s']} s ({v['min_s']} s minimum)"
    if code == "repeat":
        return f"{v['hours']:.1f} h after the abandoned call of {v['previous']}"
    # attributions
    if code == "declared_number":
        return f"declared in the configuration as {v['as']!r}"
    if code == "declared_prefix":
        return f"starts with the declared prefix {v['prefix']!r}"
    if code == "caller_name":
        return f"caller name {v['name']!r} matches a declared pattern"
    if code == "same_block":
        return f"same block {v['block']} as declared {v['declared']}"
    if code == "rotation":
        return f"one of {v['count']} numbers of block {v['block']} calling in turn"
    if code == "reserved_range":
        return f"ARCEP range reserved for automated calls ({v['range']})"
    if code == "withheld_group":
        return "no number presented: grouped by behaviour only"
    if code == "single_number":
        return "one number, no declared company"
    if code == "behaves_like":
        return (f"behaves like {v['company']}'s declared numbers (hours {v['hours']:.2f}, weekdays {v['weekdays']:.2f}, "
                f"outcome mix {v['mix']:.2f}, calls per day {v['rate']:.2f}: similarity {v['score']:.2f})")
    raise KeyError(code)


def _fr(code: str, v: dict) -> str:
    if code == "text":
        return v["en"]
    if code == "day":
        return DAYS["fr"][v["weekday"]]
    if code == "holiday":
        name = _holiday_name(v["country"], v["date"], "fr") if v.get("country") else None
        return f"jour férié ({name or v['name']})"
    if code == "outside_hours":
        return f"à {v['time']}, hors des créneaux {v['window']}"
    if code == "rank":
        span = f"le {v['end']}" if v["width"] == 1 else f"en {v['width']} jours (du {v['start']} au {v['end']})"
        return f"n° {v['n']} {span}, maximum {v['cap']}"
    if code == "after_objection":
        kind = OBJECTION_KINDS_FR.get(v["kind"], v["kind"])
        return (f"après votre opposition ({kind}) du {v['date']} à {v['company']} "
                f"(à respecter au plus tard le {v['effective']})")
    if code == "cooldown":
        return f"{v['days']} jours après votre refus du {v['date']} (aucun appel permis jusqu'au {v['until']})"
    if code == "withheld":
        return "numéro masqué"
    if code == "automated":
        kind = NUMBER_KINDS_FR.get(v["kind"], v["kind"])
        return (f"appel {'silencieux' if v['silent'] else 'coupé'} depuis un numéro {kind}, "
                "hors des tranches réservées aux appels automatisés")
    if code == "silent":
        return f"décroché, {v['talk_s']} s de conversation"
    if code == "short_ring":
        return f"sonnerie de {v['ring_s']} s ({v['min_s']} s minimum)"
    if code == "repeat":
        return f"{_num(v['hours'], 1)} h après l'appel abandonné du {v['previous']}"
    # attributions
    if code == "declared_number":
        return f"déclaré dans la configuration comme « {v['as']} »"
    if code == "declared_prefix":
        return f"commence par le préfixe déclaré « {v['prefix']} »"
    if code == "caller_name":
        return f"le nom présenté « {v['name']} » correspond à un motif déclaré"
    if code == "same_block":
        return f"même bloc {v['block']} que le numéro déclaré {v['declared']}"
    if code == "rotation":
        return f"un des {v['count']} numéros du bloc {v['block']} appelant à tour de rôle"
    if code == "reserved_range":
        return f"tranche ARCEP réservée aux appels automatisés ({v['range']})"
    if code == "withheld_group":
        return "aucun numéro présenté : regroupés par comportement seulement"
    if code == "single_number":
        return "un seul numéro, aucune société déclarée"
    if code == "behaves_like":
        return (f"se comporte comme les numéros déclarés de {v['company']} (heures {_num(v['hours'])}, "
                f"jours {_num(v['weekdays'])}, issues {_num(v['mix'])}, appels par jour {_num(v['rate'])} : "
                f"similarité {_num(v['score'])})")
    raise KeyError(code)


def _num(x: float, places: int = 2) -> str:
    """A decimal the French way: 0,92."""
    return f"{x:.{places}f}".replace(".", ",")


def describe(facts: list, lang: str = "en") -> str:
    """The facts of one breach as one sentence in `lang` (en or fr; any other gives English)."""
    word = _fr if lang == "fr" else _en
    return "; ".join(word(code, values) for code, values in facts)
