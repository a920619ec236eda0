"""Every fact the detectors can state is worded in both languages of the reports."""

import re
from pathlib import Path

import pytest

from callwatch.wording import describe

SOURCES = Path(__file__).resolve().parent.parent / "callwatch" / "detect"


class AnyValues(dict):
    """Values for a code's sentence, whatever keys it reads (a number does for each)."""

    def __missing__(self, key):
        return 1


def codes_stated_by_the_detectors():
    """Every `["code", {...}]` the detect package writes; "text" (an old stored sentence) reads the same in all."""
    text = "".join(p.read_text() for p in SOURCES.glob("*.py"))
    found = set(re.findall(r'\[\["([a-z_]+)", \{', text)) | set(re.findall(r'append\(\["([a-z_]+)", \{', text))
    return sorted(found - {"text"})


def test_the_detectors_state_facts():
    assert len(codes_stated_by_the_detectors()) >= 15      # rule kinds and attribution bases


@pytest.mark.parametrize("code", codes_stated_by_the_detectors())
def test_each_code_has_an_english_and_a_french_sentence(code):
    facts = [[code, AnyValues()]]
    en, fr = describe(facts, "en"), describe(facts, "fr")
    assert en and fr and en != fr


def test_french_details_read_as_french():
    facts = [["day", {"weekday": 5}], ["holiday", {"name": "Armistice Day", "date": "2026-11-11", "country": "FR"}]]
    assert describe(facts, "en") == "Saturday; public holiday (Armistice Day)"
    assert describe(facts, "fr") == "samedi; jour férié (Armistice)"            # the holidays package's French name
    assert describe([["repeat", {"hours": 2.5, "previous": "2026-10-01 10:00 CEST"}]], "fr") == \
        "2,5 h après l'appel silencieux (présumé abandonné) du 2026-10-01 10:00 CEST"
    assert describe([["text", {"en": "stored before schema 5"}]], "fr") == "stored before schema 5"
