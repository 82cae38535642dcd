"""patient_summary: plain-language, non-final messages, never a rule id."""

import json
import re

import pytest

from treatments.rules import RULES, patient_summary, rule
from treatments.rules import summary as summary_module

from .support import run

RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+")
MODULE_TEXTS = {
    value
    for name, value in vars(summary_module).items()
    if name.startswith("_") and name.isupper() and isinstance(value, str)
}
PATIENT_TEXTS = {r.patient_text for r in RULES}


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)


def test_refer_asks_to_see_a_physician_first_with_the_reasons():
    result = run(red_flags=["palpitations"], duration_months=3, areas={"palmar": 3, "axillary": 3})
    summary = patient_summary(result)
    assert summary["key"] == "see_physician_first"
    assert summary["final"] is False
    assert summary["reasons"] == [rule("G-RF-04").patient_text, rule("G-DX-01").patient_text]
    for area in ("palmar", "axillary"):
        assert summary["areas"][area]["key"] == "after_physician_visit"
        assert summary["areas"][area]["iontophoresis_possible"] is None


def test_without_refer_a_specialist_will_confirm_per_area():
    summary = patient_summary(run(areas={"palmar": 3, "craniofacial": 2}))
    assert summary["key"] == "specialist_will_confirm"
    assert summary["reasons"] == []
    palmar = summary["areas"]["palmar"]
    assert palmar["key"] == "specialist_will_confirm"
    assert "A specialist will confirm which option suits you." in palmar["messages"]
    assert palmar["iontophoresis_possible"] is True
    face = summary["areas"]["craniofacial"]
    assert face["iontophoresis_possible"] is False
    assert face["iontophoresis_notes"] == [rule("ION-19").patient_text]


@pytest.mark.parametrize(
    ("overrides", "possible", "note_rule"),
    [
        ({}, True, None),
        ({"metal_implants": ["knee"]}, True, "ION-06"),
        ({"electronic_implants": ["pacemaker"]}, False, "ION-01"),
        ({"breastfeeding": True}, False, "ION-04"),
        ({"tried": [{"treatment": "iontophoresis", "outcome": "failed"}]}, True, "ION-22b"),
    ],
)
def test_iontophoresis_possible_means_ok_or_caution(overrides, possible, note_rule):
    area = patient_summary(run(**overrides))["areas"]["palmar"]
    assert area["iontophoresis_possible"] is possible
    expected = [rule(note_rule).patient_text] if note_rule else []
    assert area["iontophoresis_notes"] == expected


def test_hdss_1_area_is_described_as_mild():
    area = patient_summary(run(areas={"palmar": 1, "plantar": 3}))["areas"]["palmar"]
    assert area["key"] == "mild"
    assert rule("G-HDSS-1").patient_text in area["messages"]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"generalized": True, "areas": {}},
        {"pregnant": True, "areas": {"palmar": 3, "axillary": 2}},
        {"red_flags": ["fever", "fever", "weight_loss"]},
        {"areas": {"palmar": 1}},
    ],
)
def test_every_string_is_a_marked_text_or_a_key(overrides):
    summary = patient_summary(run(**overrides))
    keys = {"see_physician_first", "specialist_will_confirm", "after_physician_visit", "mild"}
    for text in _strings(summary):
        assert text in PATIENT_TEXTS | MODULE_TEXTS | keys
    assert not RULE_ID.search(json.dumps(summary))


def test_reasons_are_listed_once_each():
    summary = patient_summary(run(red_flags=["fever", "weight_loss", "feels_unwell"]))
    assert summary["reasons"] == [rule("G-RF-03").patient_text]


def test_unknown_rule_ids_from_an_older_table_are_skipped():
    result = run()
    result["areas"]["palmar"]["options"][0]["rules"].append("ION-99")
    result["refer_rules"] = ["G-RF-99"]
    result["refer"] = True
    summary = patient_summary(result)
    assert summary["reasons"] == []
