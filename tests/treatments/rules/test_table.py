"""The rule table itself: lookup, vocabularies, explanations, and the RULES_VERSION guard."""

import ast
import re
from pathlib import Path

import pytest

import treatments.rules as rules
from treatments.rules import (
    AREAS,
    EFFECTS,
    LINE_ORDERS,
    RULES,
    RULES_VERSION,
    TEMPORARY_RULE_IDS,
    TREATMENTS,
    Rule,
    recommend,
    rule,
)

from .fingerprint import behaviour_fingerprint, corpus, table_fingerprint

# Every released RULES_VERSION with the fingerprints of its table and of its behaviour on the
# fixed corpus. Changing a row (or what a predicate decides) changes a fingerprint: bump
# RULES_VERSION in treatments/rules/table.py and ADD a line here (never edit an old one).
RECORDED = {
    "2026-11-24.1": (
        "e900eacdc73c6073b38a471b8159c6c23509852b8ac523530d07f38338ea7802",
        "7123ca28cb0416b1440b78212d2fe78ba7e154b018a910b9bb3223d4d03d55b4",
    ),
}

RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+[a-z]?\b")
SPEC_IDS = [
    "G-RF-01",
    "G-RF-02",
    "G-RF-03",
    "G-RF-04",
    "G-RF-05",
    "G-DX-01",
    "G-DX-02",
    "G-HDSS-1",
    "G-FAIL-01",
    "G-SKIN-01",
    "G-ALLERGY-01",
    "ION-01",
    "ION-02",
    "ION-03",
    "ION-04",
    "ION-05",
    "ION-06",
    "ION-07",
    "ION-07b",
    "ION-08",
    "ION-09",
    "ION-10",
    "ION-11",
    "ION-12",
    "ION-13",
    "ION-14",
    "ION-15",
    "ION-16",
    "ION-17",
    "ION-19",
    "ION-22",
    "ION-22b",
    "ION-23",
    "ION-24",
    "AC-02",
    "TGP-01",
    "TGP-02",
    "TGP-03",
    "TGP-04",
    "TGP-05",
    "TGP-06",
    "OAC-01",
    "OAC-01b",
    "OAC-01c",
    "OAC-02",
    "OAC-03",
    "OAC-04",
    "OAC-05",
    "OAC-06",
    "OAC-07",
    "OAC-08",
    "OAC-09",
    "OAC-10",
    "BTX-01",
    "BTX-03",
    "BTX-04",
    "BTX-05",
    "BTX-06",
    "BTX-07",
    "MWT-01",
    "MWT-02",
    "MWT-03",
    "MWT-04",
    "MWT-05",
    "MWT-06",
    "MWT-07",
    "MWT-08",
    "MWT-09",
    "MWT-10",
    "ETS-01",
    "ETS-02",
    "ETS-03",
    "LSS-01",
    "LSS-02",
]


# --- the version guard -------------------------------------------------------------------


def test_table_fingerprint_is_recorded_for_this_rules_version():
    assert RULES_VERSION in RECORDED, "new RULES_VERSION: record its fingerprints in RECORDED"
    assert table_fingerprint() == RECORDED[RULES_VERSION][0], (
        "the rule table changed: bump RULES_VERSION and record the new fingerprints"
    )


def test_behaviour_fingerprint_is_recorded_for_this_rules_version():
    assert behaviour_fingerprint(corpus()) == RECORDED[RULES_VERSION][1], (
        "what the rules decide changed: bump RULES_VERSION and record the new fingerprints"
    )


def test_recorded_versions_have_distinct_fingerprints():
    tables = [t for t, _ in RECORDED.values()]
    behaviours = [b for _, b in RECORDED.values()]
    assert len(set(behaviours)) == len(behaviours)
    assert len(set(zip(tables, behaviours, strict=True))) == len(tables)


def test_the_behaviour_corpus_fires_every_rule():
    seen = set()
    for profile in corpus():
        result = recommend(profile)
        seen.update(result["refer_rules"])
        for entry in result["areas"].values():
            seen.update(entry["rules"])
            for o in entry["options"]:
                seen.update(o["rules"])
    assert seen == {r.id for r in RULES}


def test_rules_version_is_in_every_result():
    assert recommend(corpus(1)[0])["rules_version"] == RULES_VERSION
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", RULES_VERSION)


# --- rows ----------------------------------------------------------------------------------


def test_the_table_has_exactly_the_rule_ids_of_the_specification():
    assert [r.id for r in RULES] == SPEC_IDS


@pytest.mark.parametrize("row", RULES, ids=lambda r: r.id)
def test_rule_lookup_returns_the_row(row):
    found = rule(row.id)
    assert found is row
    assert isinstance(found, Rule)
    assert found.effect in EFFECTS
    assert found.source
    assert found.patient_text and found.clinician_text
    assert found.treatment is None or isinstance(found.treatment, str | tuple)


def test_unknown_rule_id_raises_key_error():
    with pytest.raises(KeyError):
        rule("ION-99")


@pytest.mark.parametrize("row", RULES, ids=lambda r: r.id)
def test_patient_text_is_plain_and_has_no_rule_id(row):
    text = row.patient_text
    assert not RULE_ID.search(text)
    assert text[0].isupper() or text.startswith("miraDry")  # the brand is spelled so
    assert text.endswith(".")
    assert text != row.clinician_text
    assert "\n" not in text and "  " not in text
    for jargon in ("contraindicated", "HDSS", "POLICY", "sign-off", "mA", "NMJ", "CYP2D6"):
        assert jargon not in text


@pytest.mark.parametrize("row", RULES, ids=lambda r: r.id)
def test_clinician_text_is_concise(row):
    assert len(row.clinician_text) <= 160
    assert not RULE_ID.search(row.clinician_text)


def test_patient_texts_are_marked_with_gettext_noop():
    source = (Path(rules.__file__).parent / "table.py").read_text()
    tree = ast.parse(source)
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rule"
    ]
    assert len(calls) == len(RULES)
    for call in calls:
        text = call.args[4]
        assert isinstance(text, ast.Call) and text.func.id == "gettext_noop", ast.unparse(call)
    assert rules.table.gettext_noop("x") == "x"


@pytest.mark.parametrize(
    ("rule_id", "scope", "targets"),
    [
        ("G-RF-01", "profile", ()),
        ("G-HDSS-1", "area", ()),
        ("G-FAIL-01", "option", TREATMENTS),
        ("G-ALLERGY-01", "option", TREATMENTS),
        (
            "G-SKIN-01",
            "option",
            (
                "aluminium_chloride",
                "iontophoresis",
                "botulinum_toxin",
                "topical_anticholinergic",
                "microwave_thermolysis",
            ),
        ),
        ("OAC-02", "option", ("oral_glycopyrrolate", "oral_oxybutynin")),
        ("OAC-01", "option", ("oral_glycopyrrolate",)),
        ("ION-01", "option", ("iontophoresis",)),
    ],
)
def test_rule_scope_and_targets(rule_id, scope, targets):
    row = rule(rule_id)
    assert (row.scope, row.targets) == (scope, targets)


def test_global_rows_have_no_treatment():
    for rule_id in ("G-RF-01", "G-DX-01", "G-HDSS-1", "G-FAIL-01", "G-ALLERGY-01"):
        assert rule(rule_id).treatment is None
    assert rule("ION-05").treatment == "iontophoresis"


def test_temporary_rules_are_those_named_by_ets_02():
    assert frozenset({"G-SKIN-01", "ION-11", "BTX-01", "ION-03", "MWT-06"}) == TEMPORARY_RULE_IDS


def test_refer_rules_are_exactly_the_refer_section():
    refer = [r.id for r in RULES if r.effect == "refer"]
    assert refer == ["G-RF-01", "G-RF-02", "G-RF-03", "G-RF-04", "G-RF-05", "G-DX-01", "G-DX-02"]


# --- vocabularies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "first", "last"),
    [
        ("AREAS", 4, "palmar", "craniofacial"),
        ("TREATMENTS", 9, "aluminium_chloride", "sympathectomy"),
        ("RED_FLAGS", 7, "night_sweats", "drug_onset"),
        ("ELECTRONIC_IMPLANTS", 3, "pacemaker", "other"),
        ("METAL_SITES", 17, "hand", "dental_braces"),
        ("IUD_TYPES", 3, "none", "hormonal"),
        ("CONDITIONS", 27, "epilepsy", "fitzpatrick_vi"),
        ("SKIN_STATES", 4, "intact", "lesion"),
        ("MEDICATIONS", 4, "aminoglycoside", "cyp2d6_inhibitor"),
        ("OUTCOMES", 4, "failed", "ongoing"),
        ("STATUSES", 5, "ok", "not_applicable"),
    ],
)
def test_vocabularies_are_tuples_in_specification_order(name, size, first, last):
    vocab = getattr(rules, name)
    assert isinstance(vocab, tuple)
    assert (len(vocab), vocab[0], vocab[-1]) == (size, first, last)
    assert len(set(vocab)) == len(vocab)


def test_line_orders_cover_every_area_and_score_and_end_with_sympathectomy():
    assert set(LINE_ORDERS) == {(a, h) for a in AREAS for h in (1, 2, 3, 4)}
    for order in LINE_ORDERS.values():
        assert order[-1] == "sympathectomy"
        assert set(order) <= set(TREATMENTS)
        assert len(set(order)) == len(order)
    for area in AREAS:
        assert LINE_ORDERS[(area, 1)] == LINE_ORDERS[(area, 2)]
