"""The saved intake → RULES.md profile mapping, field by field, including every "not sure"."""

import pytest

from patients import labels
from patients.forms.intake import (
    ALLERGY_TREATMENTS,
    CONDITION_GROUPS,
    GLAUCOMA_CODES,
    STEP_FORMS,
)
from patients.questionnaire import (
    STEP_NAMES,
    build_profile,
    incomplete_steps,
    step_form,
    step_is_complete,
)
from tests.patients.intake_support import BASE_ANSWERS, answers
from treatments.rules import (
    AREAS,
    CONDITIONS,
    ELECTRONIC_IMPLANTS,
    MEDICATIONS,
    METAL_SITES,
    PROFILE_KEYS,
    RED_FLAGS,
    SKIN_STATES,
    TREATMENTS,
    recommend,
    validate_profile,
)


def build(**steps):
    return build_profile(answers(**steps), age=35)


def test_base_answers_give_a_complete_valid_profile_with_every_key():
    result = build_profile(BASE_ANSWERS, age=35)
    assert list(result.profile) == list(PROFILE_KEYS)
    validate_profile(result.profile)
    assert result.flags == []
    assert result.notes == {}
    assert result.profile == {
        "age": 35,
        "pregnant": False,
        "breastfeeding": False,
        "areas": {"palmar": 3},
        "generalized": False,
        "onset_age": 14,
        "duration_months": 120,
        "bilateral_symmetric": True,
        "weekly_episodes": True,
        "family_history": True,
        "sweats_during_sleep": False,
        "red_flags": [],
        "electronic_implants": [],
        "metal_implants": [],
        "iud": "none",
        "conditions": [],
        "skin": {"palmar": "intact"},
        "allergies": [],
        "medications": [],
        "tried": [],
    }


def test_every_step_of_the_base_answers_is_complete():
    assert incomplete_steps(BASE_ANSWERS, age=35) == []


def test_age_comes_from_the_caller_not_the_answers():
    assert build_profile(BASE_ANSWERS, age=7).profile["age"] == 7


# (steps changed, profile key, expected value, expected flags)
CASES = [
    # areas and HDSS
    ({"areas": {"palmar": 0, "axillary": 2}}, "areas", {"axillary": 2}, []),
    (
        {"areas": {"palmar": 4, "plantar": 1, "axillary": 2, "craniofacial": 3}},
        "areas",
        {"palmar": 4, "plantar": 1, "axillary": 2, "craniofacial": 3},
        [],
    ),
    ({"areas": {"palmar": 0, "generalized": "yes"}}, "areas", {}, []),
    ({"areas": {"generalized": "yes"}}, "generalized", True, []),
    ({"areas": {"generalized": "unsure"}}, "generalized", True, ["generalized_unsure"]),
    # history
    ({"history": {"onset_age": 30}}, "onset_age", 30, []),
    ({"history": {"onset_age_estimated": True}}, "onset_age", 14, ["onset_age_estimated"]),
    ({"history": {"duration_amount": 5, "duration_unit": "months"}}, "duration_months", 5, []),
    ({"history": {"duration_amount": 2, "duration_unit": "years"}}, "duration_months", 24, []),
    ({"history": {"bilateral_symmetric": "no"}}, "bilateral_symmetric", False, []),
    (
        {"history": {"bilateral_symmetric": "unsure"}},
        "bilateral_symmetric",
        False,
        ["bilateral_symmetric_unsure"],
    ),
    ({"history": {"weekly_episodes": "no"}}, "weekly_episodes", False, []),
    (
        {"history": {"weekly_episodes": "unsure"}},
        "weekly_episodes",
        False,
        ["weekly_episodes_unsure"],
    ),
    ({"history": {"family_history": "no"}}, "family_history", False, []),
    (
        {"history": {"family_history": "unsure"}},
        "family_history",
        False,
        ["family_history_unsure"],
    ),
    ({"history": {"sweats_during_sleep": "yes"}}, "sweats_during_sleep", True, []),
    (
        {"history": {"sweats_during_sleep": "unsure"}},
        "sweats_during_sleep",
        True,
        ["sweats_during_sleep_unsure"],
    ),
    # red flags
    (
        {"warning_signs": {"red_flags": ["fever", "chest_pain"]}},
        "red_flags",
        ["fever", "chest_pain"],
        [],
    ),
    # pregnancy and breastfeeding
    ({"pregnancy": {"pregnant": "yes"}}, "pregnant", True, []),
    ({"pregnancy": {"pregnant": "unsure"}}, "pregnant", True, ["pregnant_unsure"]),
    ({"pregnancy": {"breastfeeding": "yes"}}, "breastfeeding", True, []),
    # implants
    (
        {"implants": {"electronic": ["pacemaker", "icd"]}},
        "electronic_implants",
        ["pacemaker", "icd"],
        [],
    ),
    (
        {"implants": {"electronic": ["unsure"]}},
        "electronic_implants",
        ["other"],
        ["electronic_implants_unsure"],
    ),
    (
        {"implants": {"metal": "yes", "metal_sites": ["knee", "dental_braces"]}},
        "metal_implants",
        ["knee", "dental_braces"],
        [],
    ),
    (
        {"implants": {"metal": "unsure", "metal_sites": ["wrist"]}},
        "metal_implants",
        ["wrist"],
        ["metal_implants_unsure"],
    ),
    ({"implants": {"metal": "no", "metal_sites": []}}, "metal_implants", [], []),
    # IUD
    ({"iud": {"iud": "copper"}}, "iud", "copper", []),
    ({"iud": {"iud": "hormonal"}}, "iud", "hormonal", []),
    ({"iud": {"iud": "unsure"}}, "iud", "copper", ["iud_type_unsure"]),
    # conditions
    (
        {"conditions": {"heart": ["arrhythmia"], "nerves": ["epilepsy"], "other": ["sjogren"]}},
        "conditions",
        ["arrhythmia", "epilepsy", "sjogren"],
        [],
    ),
    (
        {"conditions": {"bladder_bowel": ["urinary_retention"]}},
        "conditions",
        ["urinary_retention"],
        [],
    ),
    (
        {"conditions": {"glaucoma": "glaucoma_open_angle"}},
        "conditions",
        ["glaucoma_open_angle"],
        [],
    ),
    (
        {"conditions": {"glaucoma": "unsure"}},
        "conditions",
        ["glaucoma_angle_closure"],
        ["glaucoma_type_unsure"],
    ),
    # skin (only affected areas; unsure → broken)
    ({"skin": {"palmar": "small_fissures"}}, "skin", {"palmar": "small_fissures"}, []),
    ({"skin": {"palmar": "unsure"}}, "skin", {"palmar": "broken"}, ["skin_palmar_unsure"]),
    ({"skin": {"palmar": "lesion", "plantar": "broken"}}, "skin", {"palmar": "lesion"}, []),
    # allergies and medications
    (
        {"allergies": {"allergies": ["botulinum_toxin"]}},
        "allergies",
        ["botulinum_toxin"],
        [],
    ),
    (
        {"medications": {"medications": ["aminoglycoside", "cyp2d6_inhibitor"]}},
        "medications",
        ["aminoglycoside", "cyp2d6_inhibitor"],
        [],
    ),
    (
        {"medications": {"medications": ["anticholinergic", "unsure"]}},
        "medications",
        ["anticholinergic"],
        ["medications_unsure"],
    ),
    # treatments tried
    (
        {"tried": {"iontophoresis_outcome": "failed", "iontophoresis_sessions": 8}},
        "tried",
        [{"treatment": "iontophoresis", "outcome": "failed", "sessions": 8}],
        [],
    ),
    (
        {
            "tried": {
                "aluminium_chloride_outcome": "not_tolerated",
                "aluminium_chloride_weeks": 3,
                "aluminium_chloride_area": "palmar",
                "botulinum_toxin_outcome": "helped",
            }
        },
        "tried",
        [
            {
                "treatment": "aluminium_chloride",
                "outcome": "not_tolerated",
                "weeks": 3,
                "area": "palmar",
            },
            {"treatment": "botulinum_toxin", "outcome": "helped"},
        ],
        [],
    ),
]


@pytest.mark.parametrize(("steps", "key", "expected", "flags"), CASES)
def test_answer_maps_to_profile_field(steps, key, expected, flags):
    result = build(**steps)
    assert result.profile[key] == expected
    assert result.flags == flags
    validate_profile(result.profile)


def test_every_profile_key_is_covered_by_a_mapping_case():
    assert {key for _, key, _, _ in CASES} | {"age"} == set(PROFILE_KEYS)


def test_flags_are_never_inside_the_profile():
    result = build(
        iud={"iud": "unsure"},
        pregnancy={"pregnant": "unsure"},
        skin={"palmar": "unsure"},
    )
    assert "flags" not in result.profile
    assert result.flags == ["pregnant_unsure", "iud_type_unsure", "skin_palmar_unsure"]


def test_unsure_answers_make_the_engine_more_careful_not_less():
    sure = recommend(build().profile)
    unsure = recommend(build(iud={"iud": "unsure"}, areas={"plantar": 3}).profile)
    assert sure["refer"] is False
    plantar_ion = next(
        o for o in unsure["areas"]["plantar"]["options"] if o["treatment"] == "iontophoresis"
    )
    assert plantar_ion["status"] == "excluded"  # copper assumed: ION-07
    assert "ION-07" in plantar_ion["rules"]
    assert recommend(build(history={"sweats_during_sleep": "unsure"}).profile)["refer"] is True


def test_free_text_goes_to_notes_beside_the_profile():
    result = build(
        conditions={"other_text": "Asthma"},
        allergies={"other_text": "Penicillin"},
        medications={"list_text": "Sertraline 50 mg"},
    )
    assert result.notes == {
        "conditions": "Asthma",
        "allergies": "Penicillin",
        "medications": "Sertraline 50 mg",
    }
    assert "Asthma" not in str(result.profile)


def test_a_missing_step_leaves_its_keys_out_so_the_engine_names_them():
    partial = answers()
    del partial["history"]
    profile = build_profile(partial, age=35).profile
    assert "onset_age" not in profile
    assert "duration_months" not in profile


# Every code of the engine's vocabulary can be given through the questionnaire (or, for
# allergies, the treatments a patient can be allergic to), and has a label.
def test_every_condition_code_is_offered_exactly_once():
    offered = [c for _, codes in CONDITION_GROUPS.values() for c in codes] + list(GLAUCOMA_CODES)
    assert sorted(offered) == sorted(CONDITIONS)


@pytest.mark.parametrize(
    ("vocab", "names"),
    [
        (AREAS, labels.AREA_LABELS),
        (TREATMENTS, labels.TREATMENT_LABELS),
        (TREATMENTS, labels.TREATMENT_SHORT),
        (RED_FLAGS, labels.RED_FLAG_LABELS),
        (ELECTRONIC_IMPLANTS, labels.ELECTRONIC_IMPLANT_LABELS),
        (METAL_SITES, labels.METAL_SITE_LABELS),
        (CONDITIONS, labels.CONDITION_LABELS),
        (SKIN_STATES, labels.SKIN_LABELS),
        (MEDICATIONS, labels.MEDICATION_LABELS),
    ],
)
def test_every_engine_code_has_a_label(vocab, names):
    assert set(vocab) == set(names)


def test_allergy_choices_are_treatment_codes():
    assert set(ALLERGY_TREATMENTS) <= set(TREATMENTS)


def test_steps_are_in_the_documented_order():
    assert tuple(f.name for f in STEP_FORMS) == STEP_NAMES
    assert STEP_NAMES[:2] == ("about", "areas")
    assert STEP_NAMES[-1] == "tried"


def test_a_new_area_makes_the_skin_step_incomplete_again():
    changed = answers(areas={"axillary": 2})
    assert not step_is_complete("skin", changed, age=35)
    changed["skin"]["axillary"] = "intact"
    assert step_is_complete("skin", changed, age=35)


@pytest.mark.parametrize("code", sorted(labels.FLAG_LABELS))
def test_every_flag_names_a_profile_field(code):
    assert labels.flag_field(code) in PROFILE_KEYS
    assert labels.flag_label(code) != code


def test_skin_flags_have_a_readable_label_per_area():
    assert labels.flag_field("skin_plantar_unsure") == "skin"
    assert "Feet" in labels.flag_label("skin_plantar_unsure")


def test_the_tried_step_asks_where_only_when_several_areas_are_affected():
    assert "iontophoresis_area" not in step_form("tried", answers(), age=35).fields
    two_areas = answers(areas={"plantar": 2}, skin={"plantar": "intact"})
    form = step_form("tried", two_areas, age=35)
    assert [c for c, _ in form.fields["iontophoresis_area"].choices] == ["all", "palmar", "plantar"]
