"""Counts shown to people take the plural form their language needs: "1 sesión", "2 sesiones"
(Spanish has three forms in Django's rule; English two). A count must go through ngettext or
{% blocktranslate count %}, never "%(n)s sessions"."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from patients.questionnaire import _tried_answer_text
from patients.screen_display import profile_value_text, tried_text

TRIED = {"treatment": "iontophoresis", "outcome": "failed", "area": "palmar"}


@pytest.mark.parametrize(
    ("lang", "sessions", "weeks", "expected"),
    [
        ("es", 1, 1, ("1 sesión", "1 semana")),
        ("es", 12, 4, ("12 sesiones", "4 semanas")),
        ("en", 1, 1, ("1 session", "1 week")),
        ("en", 12, 4, ("12 sessions", "4 weeks")),
    ],
)
def test_a_treatment_tried_counts_sessions_and_weeks_in_the_right_form(
    lang, sessions, weeks, expected
):
    entry = {**TRIED, "sessions": sessions, "weeks": weeks}
    with translation.override(lang):
        for text in (_tried_answer_text(entry), tried_text(entry)):
            for part in expected:
                assert re.search(rf"\b{part}\b", text), (text, part)


def test_one_month_is_singular():
    with translation.override("es"):
        assert profile_value_text("duration_months", 1).startswith("1 mes (")
    with translation.override("en"):
        assert profile_value_text("duration_months", 1).startswith("1 month (")


@pytest.mark.parametrize(
    ("source", "n", "expected"),
    [
        (
            '{% load i18n %}{% blocktranslate count n=n context "maintenance interval" %}every '
            "week{% plural %}every {{ n }} weeks{% endblocktranslate %}",
            1,
            "cada semana",
        ),
        (
            '{% load i18n %}{% blocktranslate count n=n context "maintenance interval" %}every '
            "week{% plural %}every {{ n }} weeks{% endblocktranslate %}",
            3,
            "cada 3 semanas",
        ),
    ],
)
def test_template_counts_are_translated(source, n, expected):
    with translation.override("es"):
        assert Template(source).render(Context({"n": n})) == expected


HARD_CODED = re.compile(
    r"\{% blocktranslate (?:trimmed )?with [^%]*%\}[^{]*\{\{ *\w+ *\}\} "
    r"(sessions|weeks|days|versions|visits|patients|months|years)\b"
)


def test_no_template_hard_codes_a_plural_after_a_number():
    found = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.*"):
        for match in HARD_CODED.finditer(path.read_text(encoding="utf-8")):
            found.append(f"{path.name}: {match.group(0)[-60:]}")
    assert not found, found
