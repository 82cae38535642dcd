"""Every rule id: a profile that fires it and one that does not (RULES.md §3)."""

import pytest

from treatments.rules import RULES

from .support import make, option, recommend

P, S, A, C = "palmar", "plantar", "axillary", "craniofacial"
AC, ION, BTX, TGP = (
    "aluminium_chloride",
    "iontophoresis",
    "botulinum_toxin",
    "topical_anticholinergic",
)
OGP, OXY, MWT = "oral_glycopyrrolate", "oral_oxybutynin", "microwave_thermolysis"
LSS, ETS = "local_surgery", "sympathectomy"

REFER, AREA = "refer", "area"


def areas(area, hdss=3):
    return {"areas": {area: hdss}}


def cond(*codes, area=P):
    return {"conditions": list(codes), "areas": {area: 3}}


def tried(treatment, outcome, area=None, **extra):
    entry = {"treatment": treatment, "outcome": outcome, **extra}
    if area:
        entry["area"] = area
    return {"tried": [entry]}


# (rule id, where: REFER / AREA / treatment, area, profile overrides)
FIRES = [
    ("G-RF-01", REFER, P, {"generalized": True}),
    ("G-RF-01", REFER, P, {"generalized": True, "areas": {}}),
    ("G-RF-02", REFER, P, {"sweats_during_sleep": True}),
    ("G-RF-02", REFER, P, {"red_flags": ["night_sweats"]}),
    ("G-RF-03", REFER, P, {"red_flags": ["weight_loss"]}),
    ("G-RF-03", REFER, P, {"red_flags": ["fever"]}),
    ("G-RF-03", REFER, P, {"red_flags": ["feels_unwell"]}),
    ("G-RF-04", REFER, P, {"red_flags": ["palpitations"]}),
    ("G-RF-04", REFER, P, {"red_flags": ["chest_pain"]}),
    ("G-RF-05", REFER, P, {"red_flags": ["drug_onset"]}),
    ("G-DX-01", REFER, P, {"duration_months": 5}),
    ("G-DX-01", REFER, P, {"duration_months": 0}),
    (
        "G-DX-01",
        REFER,
        P,
        {
            "bilateral_symmetric": False,
            "areas": {P: 1},
            "weekly_episodes": False,
            "onset_age": 25,
            "family_history": False,
        },
    ),
    ("G-DX-02", REFER, P, {"onset_age": 25}),
    ("G-DX-02", REFER, P, {"bilateral_symmetric": False}),
    ("G-HDSS-1", AREA, P, {"areas": {P: 1}}),
    ("G-HDSS-1", AREA, C, {"areas": {C: 1}}),
    ("G-FAIL-01", AC, P, tried(AC, "failed")),
    ("G-FAIL-01", AC, P, tried(AC, "not_tolerated")),
    ("G-FAIL-01", AC, P, tried(AC, "failed", area=P)),
    ("G-FAIL-01", ETS, P, tried(ETS, "failed")),
    ("G-FAIL-01", OXY, C, {**areas(C), **tried(OXY, "not_tolerated")}),
    ("G-SKIN-01", AC, P, {"skin": {P: "broken"}}),
    ("G-SKIN-01", ION, P, {"skin": {P: "broken"}}),
    ("G-SKIN-01", BTX, P, {"skin": {P: "broken"}}),
    ("G-SKIN-01", TGP, A, {**areas(A), "skin": {A: "broken"}}),
    ("G-SKIN-01", MWT, A, {**areas(A), "skin": {A: "broken"}}),
    ("G-ALLERGY-01", AC, P, {"allergies": [AC]}),
    ("G-ALLERGY-01", ION, P, {"allergies": [ION]}),
    ("G-ALLERGY-01", ETS, P, {"allergies": [ETS]}),
    ("ION-01", ION, P, {"electronic_implants": ["pacemaker"]}),
    ("ION-02", ION, P, {"electronic_implants": ["icd"]}),
    ("ION-02", ION, P, {"electronic_implants": ["other"]}),
    ("ION-03", ION, P, {"pregnant": True}),
    ("ION-04", ION, P, {"breastfeeding": True}),
    ("ION-05", ION, P, {"metal_implants": ["wrist"]}),
    ("ION-05", ION, P, {"metal_implants": ["hand"]}),
    ("ION-05", ION, P, {"metal_implants": ["chest"]}),
    ("ION-05", ION, S, {**areas(S), "metal_implants": ["knee"]}),
    ("ION-05", ION, S, {**areas(S), "metal_implants": ["pelvis"]}),
    ("ION-05", ION, A, {**areas(A), "metal_implants": ["upper_arm"]}),
    ("ION-06", ION, P, {"metal_implants": ["knee"]}),
    ("ION-06", ION, P, {"metal_implants": ["spine"]}),
    ("ION-06", ION, P, {"metal_implants": ["head", "dental_braces"]}),
    ("ION-06", ION, S, {**areas(S), "metal_implants": ["wrist"]}),
    ("ION-06", ION, A, {**areas(A), "metal_implants": ["elbow"]}),
    ("ION-07", ION, S, {**areas(S), "iud": "copper"}),
    ("ION-07b", ION, P, {"iud": "copper"}),
    ("ION-07b", ION, P, {"iud": "hormonal"}),
    ("ION-07b", ION, S, {**areas(S), "iud": "hormonal"}),
    ("ION-07b", ION, A, {**areas(A), "iud": "copper"}),
    ("ION-08", ION, P, cond("arrhythmia")),
    ("ION-09", ION, P, cond("heart_disease")),
    ("ION-09", ION, P, cond("heart_failure")),
    ("ION-09", ION, P, cond("coronary_disease")),
    ("ION-10", ION, P, cond("epilepsy")),
    ("ION-11", ION, P, {"skin": {P: "broken"}}),
    ("ION-12", ION, P, {"skin": {P: "small_fissures"}}),
    ("ION-13", ION, P, cond("reduced_sensation_hands")),
    ("ION-13", ION, S, cond("reduced_sensation_feet", area=S)),
    ("ION-14", ION, P, {"skin": {P: "lesion"}}),
    ("ION-15", ION, P, cond("thrombosis")),
    ("ION-16", ION, P, {"age": 5, "onset_age": 3}),
    ("ION-16", ION, P, {"age": 0, "onset_age": 0}),
    ("ION-17", ION, P, {"age": 6, "onset_age": 3}),
    ("ION-17", ION, P, {"age": 17, "onset_age": 3}),
    ("ION-19", ION, C, areas(C)),
    ("ION-22", ION, P, tried(ION, "failed", sessions=7)),
    ("ION-22", ION, P, tried(ION, "failed", sessions=1000, area=P)),
    ("ION-22b", ION, P, tried(ION, "failed", sessions=6)),
    ("ION-22b", ION, P, tried(ION, "failed")),
    ("ION-22b", ION, P, tried(ION, "failed", weeks=10)),
    ("ION-23", ION, P, {"metal_implants": ["dental_braces"]}),
    ("ION-24", ION, P, cond("electrical_sensitivity")),
    ("ION-24", ION, P, tried(ION, "not_tolerated")),
    ("AC-02", AC, P, {"skin": {P: "small_fissures"}}),
    ("AC-02", AC, A, {**areas(A), "skin": {A: "small_fissures"}}),
    ("TGP-01", TGP, P, {}),
    ("TGP-01", TGP, S, areas(S)),
    ("TGP-01", TGP, C, areas(C)),
    ("TGP-02", TGP, A, {**areas(A), "age": 8, "onset_age": 5}),
    ("TGP-03", TGP, A, cond("glaucoma_angle_closure", area=A)),
    ("TGP-03", TGP, A, cond("glaucoma_open_angle", area=A)),
    ("TGP-03", TGP, A, cond("gi_obstruction", area=A)),
    ("TGP-03", TGP, A, cond("cardiovascular_unstable", area=A)),
    ("TGP-03", TGP, A, cond("severe_ulcerative_colitis", area=A)),
    ("TGP-03", TGP, A, cond("myasthenia_gravis", area=A)),
    ("TGP-03", TGP, A, cond("sjogren", area=A)),
    ("TGP-04", TGP, A, cond("urinary_retention", area=A)),
    ("TGP-05", TGP, A, {**areas(A), "pregnant": True}),
    ("TGP-05", TGP, A, {**areas(A), "breastfeeding": True}),
    ("TGP-06", TGP, A, {**areas(A), "medications": ["anticholinergic"]}),
    ("TGP-06", TGP, A, {**areas(A), "medications": ["cyp2d6_inhibitor"]}),
    ("OAC-01", OGP, P, cond("glaucoma_angle_closure")),
    ("OAC-01", OGP, P, cond("glaucoma_open_angle")),
    ("OAC-01b", OXY, P, cond("glaucoma_angle_closure")),
    ("OAC-01c", OXY, P, cond("glaucoma_open_angle")),
    ("OAC-02", OGP, P, cond("myasthenia_gravis")),
    ("OAC-02", OXY, P, cond("myasthenia_gravis")),
    ("OAC-03", OGP, P, cond("urinary_retention")),
    ("OAC-03", OXY, C, cond("urinary_retention", area=C)),
    ("OAC-04", OGP, P, cond("gi_obstruction")),
    ("OAC-04", OXY, P, cond("severe_ulcerative_colitis")),
    ("OAC-05", OGP, P, cond("cardiovascular_unstable")),
    ("OAC-06", OGP, P, cond("arrhythmia")),
    ("OAC-06", OXY, P, cond("heart_disease")),
    ("OAC-06", OGP, P, cond("heart_failure")),
    ("OAC-06", OGP, P, cond("coronary_disease")),
    ("OAC-06", OGP, P, cond("hypertension")),
    ("OAC-06", OXY, P, cond("hyperthyroidism")),
    ("OAC-06", OGP, P, {"electronic_implants": ["pacemaker"]}),
    ("OAC-06", OXY, P, {"electronic_implants": ["icd"]}),
    ("OAC-07", OGP, P, {"age": 65}),
    ("OAC-07", OXY, P, cond("dementia")),
    ("OAC-07", OGP, P, cond("parkinson")),
    ("OAC-08", OGP, P, {"pregnant": True}),
    ("OAC-08", OXY, P, {"breastfeeding": True}),
    ("OAC-09", OGP, P, {"age": 11, "onset_age": 5}),
    ("OAC-10", OGP, P, {}),
    ("OAC-10", OXY, S, areas(S)),
    ("OAC-10", OGP, A, areas(A)),
    ("BTX-01", BTX, P, {"skin": {P: "broken"}}),
    ("BTX-03", BTX, P, cond("myasthenia_gravis")),
    ("BTX-03", BTX, P, cond("nmj_disorder")),
    ("BTX-04", BTX, P, {"medications": ["aminoglycoside"]}),
    ("BTX-04", BTX, P, {"medications": ["nmj_blocker"]}),
    ("BTX-05", BTX, P, {"pregnant": True}),
    ("BTX-05", BTX, A, {**areas(A), "breastfeeding": True}),
    ("BTX-06", BTX, P, {"age": 17, "onset_age": 12}),
    ("BTX-07", BTX, P, {}),
    ("BTX-07", BTX, S, areas(S)),
    ("BTX-07", BTX, C, areas(C)),
    ("MWT-01", MWT, P, {}),
    ("MWT-01", MWT, C, areas(C)),
    ("MWT-02", MWT, A, {**areas(A), "electronic_implants": ["pacemaker"]}),
    ("MWT-02", MWT, A, {**areas(A), "electronic_implants": ["icd"]}),
    ("MWT-02", MWT, A, {**areas(A), "electronic_implants": ["other"]}),
    ("MWT-03", MWT, A, cond("supplemental_oxygen", area=A)),
    ("MWT-04", MWT, A, cond("lidocaine_intolerance", area=A)),
    ("MWT-05", MWT, A, {**areas(A), "metal_implants": ["shoulder"]}),
    ("MWT-05", MWT, A, {**areas(A), "metal_implants": ["upper_arm"]}),
    ("MWT-05", MWT, A, {**areas(A), "metal_implants": ["chest"]}),
    ("MWT-06", MWT, A, {**areas(A), "pregnant": True}),
    ("MWT-07", MWT, A, cond("prior_axillary_surgery", area=A)),
    ("MWT-08", MWT, A, cond("immunocompromised", area=A)),
    ("MWT-09", MWT, A, cond("fitzpatrick_vi", area=A)),
    ("MWT-10", MWT, A, {**areas(A), "age": 17, "onset_age": 12}),
    ("ETS-01", ETS, S, areas(S)),
    ("ETS-02", ETS, P, {}),
    ("ETS-02", ETS, A, areas(A)),
    ("ETS-02", ETS, C, areas(C)),
    ("ETS-03", ETS, P, {}),
    ("ETS-03", ETS, A, areas(A)),
    ("ETS-03", ETS, C, areas(C)),
    ("LSS-01", LSS, P, {}),
    ("LSS-01", LSS, S, areas(S)),
    ("LSS-01", LSS, C, areas(C)),
    ("LSS-02", LSS, A, areas(A)),
]

_ALL_BUT_ETS_ALLERGIC = {"allergies": [AC, ION, BTX, TGP, OGP, OXY, MWT, LSS]}

DOES_NOT_FIRE = [
    ("G-RF-01", REFER, P, {}),
    ("G-RF-01", REFER, P, {"generalized": False}),
    ("G-RF-02", REFER, P, {"red_flags": ["fever"]}),
    ("G-RF-03", REFER, P, {"red_flags": ["night_sweats", "palpitations", "drug_onset"]}),
    ("G-RF-04", REFER, P, {"red_flags": ["fever"]}),
    ("G-RF-05", REFER, P, {"red_flags": ["chest_pain"]}),
    ("G-DX-01", REFER, P, {"duration_months": 6}),
    # Exactly two features (family history, no sweating in sleep): criteria met.
    (
        "G-DX-01",
        REFER,
        P,
        {
            "bilateral_symmetric": False,
            "areas": {P: 1},
            "weekly_episodes": False,
            "onset_age": 25,
        },
    ),
    ("G-DX-02", REFER, P, {"onset_age": 24}),
    ("G-DX-02", REFER, P, {"bilateral_symmetric": True}),
    ("G-HDSS-1", AREA, P, {"areas": {P: 2}}),
    ("G-HDSS-1", AREA, A, {"areas": {P: 1, A: 4}}),  # only the HDSS 1 area
    ("G-FAIL-01", AC, P, tried(AC, "helped")),
    ("G-FAIL-01", AC, P, tried(AC, "ongoing")),
    ("G-FAIL-01", AC, P, {**areas(P), **tried(AC, "failed", area=A)}),
    ("G-FAIL-01", ION, P, tried(ION, "failed", sessions=12)),
    ("G-FAIL-01", ION, P, tried(ION, "not_tolerated")),
    ("G-FAIL-01", BTX, P, tried(AC, "failed")),
    ("G-SKIN-01", AC, P, {"skin": {P: "small_fissures"}}),
    ("G-SKIN-01", AC, P, {"skin": {S: "broken"}}),
    ("G-SKIN-01", OGP, P, {"skin": {P: "broken"}}),
    ("G-SKIN-01", ETS, P, {"skin": {P: "broken"}}),
    ("G-ALLERGY-01", AC, P, {"allergies": [BTX]}),
    ("ION-01", ION, P, {"electronic_implants": ["icd"]}),
    ("ION-02", ION, P, {"electronic_implants": ["pacemaker"]}),
    ("ION-03", ION, P, {"breastfeeding": True}),
    ("ION-04", ION, P, {"pregnant": True}),
    ("ION-05", ION, P, {"metal_implants": ["knee", "spine", "head", "dental_braces"]}),
    ("ION-05", ION, S, {**areas(S), "metal_implants": ["wrist", "chest"]}),
    ("ION-05", ION, A, {**areas(A), "metal_implants": ["elbow"]}),
    ("ION-06", ION, P, {"metal_implants": ["wrist"]}),
    ("ION-06", ION, P, {"metal_implants": ["dental_braces"]}),
    ("ION-06", ION, P, {}),
    ("ION-07", ION, P, {"iud": "copper"}),
    ("ION-07", ION, S, {**areas(S), "iud": "hormonal"}),
    ("ION-07b", ION, S, {**areas(S), "iud": "copper"}),
    ("ION-07b", ION, P, {"iud": "none"}),
    ("ION-08", ION, P, cond("hypertension")),
    ("ION-09", ION, P, cond("arrhythmia")),
    ("ION-10", ION, P, {}),
    ("ION-11", ION, P, {"skin": {P: "lesion"}}),
    ("ION-11", ION, P, {"skin": {A: "broken"}}),
    ("ION-12", ION, P, {"skin": {P: "intact"}}),
    ("ION-13", ION, P, cond("reduced_sensation_feet")),
    ("ION-13", ION, S, cond("reduced_sensation_hands", area=S)),
    ("ION-13", ION, A, cond("reduced_sensation_hands", "reduced_sensation_feet", area=A)),
    ("ION-14", ION, P, {"skin": {P: "broken"}}),
    ("ION-15", ION, P, cond("epilepsy")),
    ("ION-16", ION, P, {"age": 6, "onset_age": 3}),
    ("ION-17", ION, P, {"age": 5, "onset_age": 3}),
    ("ION-17", ION, P, {"age": 18, "onset_age": 3}),
    ("ION-19", ION, P, {}),
    ("ION-22", ION, P, tried(ION, "failed", sessions=6)),
    ("ION-22", ION, P, tried(ION, "helped", sessions=20)),
    ("ION-22", ION, P, {**areas(P), **tried(ION, "failed", sessions=20, area=S)}),
    ("ION-22b", ION, P, tried(ION, "failed", sessions=7)),
    ("ION-22b", ION, P, tried(ION, "not_tolerated", sessions=2)),
    ("ION-23", ION, P, {"metal_implants": ["knee"]}),
    ("ION-24", ION, P, tried(ION, "failed", sessions=3)),
    ("ION-24", ION, P, tried(ION, "not_tolerated", area=A)),
    ("AC-02", AC, P, {"skin": {P: "broken"}}),
    ("TGP-01", TGP, A, areas(A)),
    ("TGP-02", TGP, A, {**areas(A), "age": 9, "onset_age": 5}),
    ("TGP-03", TGP, A, cond("urinary_retention", area=A)),
    ("TGP-04", TGP, A, areas(A)),
    ("TGP-05", TGP, A, areas(A)),
    ("TGP-06", TGP, A, {**areas(A), "medications": ["aminoglycoside", "nmj_blocker"]}),
    ("OAC-01", OGP, P, cond("urinary_retention")),
    ("OAC-01", OXY, P, cond("glaucoma_angle_closure")),
    ("OAC-01b", OXY, P, cond("glaucoma_open_angle")),
    ("OAC-01b", OGP, P, cond("glaucoma_angle_closure")),
    ("OAC-01c", OXY, P, cond("glaucoma_angle_closure")),
    ("OAC-01c", OGP, P, cond("glaucoma_open_angle")),
    ("OAC-02", OGP, P, cond("nmj_disorder")),
    ("OAC-03", OGP, P, {}),
    ("OAC-04", OGP, P, {}),
    ("OAC-05", OGP, P, cond("heart_failure")),
    ("OAC-06", OGP, P, {"electronic_implants": ["other"]}),
    ("OAC-06", OGP, P, cond("cardiovascular_unstable")),
    ("OAC-07", OGP, P, {"age": 64}),
    ("OAC-08", OGP, P, {}),
    ("OAC-09", OGP, P, {"age": 12, "onset_age": 5}),
    ("OAC-10", OGP, C, areas(C)),
    ("OAC-10", OXY, C, areas(C)),
    ("BTX-01", BTX, P, {"skin": {P: "small_fissures"}}),
    ("BTX-03", BTX, P, cond("sjogren")),
    ("BTX-04", BTX, P, {"medications": ["anticholinergic"]}),
    ("BTX-05", BTX, P, {}),
    ("BTX-06", BTX, P, {"age": 18, "onset_age": 12}),
    ("BTX-07", BTX, A, areas(A)),
    ("MWT-01", MWT, A, areas(A)),
    ("MWT-02", MWT, A, areas(A)),
    ("MWT-03", MWT, A, areas(A)),
    ("MWT-04", MWT, A, areas(A)),
    ("MWT-05", MWT, A, {**areas(A), "metal_implants": ["elbow", "wrist", "dental_braces"]}),
    ("MWT-06", MWT, A, {**areas(A), "breastfeeding": True}),
    ("MWT-07", MWT, A, areas(A)),
    ("MWT-08", MWT, A, areas(A)),
    ("MWT-09", MWT, A, areas(A)),
    ("MWT-10", MWT, A, {**areas(A), "age": 18, "onset_age": 12}),
    # Not-applicable options list only the rules that made them not applicable.
    ("MWT-02", MWT, P, {"electronic_implants": ["pacemaker"]}),
    ("TGP-03", TGP, P, cond("glaucoma_angle_closure")),
    ("ETS-01", ETS, P, {}),
    ("ETS-01", ETS, A, areas(A)),
    ("ETS-02", ETS, P, _ALL_BUT_ETS_ALLERGIC),
    ("ETS-02", ETS, A, {**areas(A), **_ALL_BUT_ETS_ALLERGIC}),
    ("ETS-02", ETS, S, areas(S)),  # not applicable on the feet
    ("ETS-03", ETS, S, areas(S)),
    ("LSS-01", LSS, A, areas(A)),
    ("LSS-02", LSS, P, {}),
]


def _fired(rule_id, where, area, overrides):
    result = recommend(make(**overrides))
    if where == REFER:
        return rule_id in result["refer_rules"]
    if where == AREA:
        return rule_id in result["areas"][area]["rules"]
    return rule_id in option(result, area, where)["rules"]


def _case_id(case):
    rule_id, where, area, overrides = case
    return f"{rule_id}-{area}-{'+'.join(sorted(overrides)) or 'base'}"


@pytest.mark.parametrize("case", FIRES, ids=[_case_id(c) for c in FIRES])
def test_rule_fires(case):
    assert _fired(*case)


@pytest.mark.parametrize("case", DOES_NOT_FIRE, ids=[_case_id(c) for c in DOES_NOT_FIRE])
def test_rule_does_not_fire(case):
    assert not _fired(*case)


def test_every_rule_id_has_a_firing_and_a_non_firing_case():
    ids = {r.id for r in RULES}
    assert {c[0] for c in FIRES} == ids
    assert {c[0] for c in DOES_NOT_FIRE} == ids


@pytest.mark.parametrize("case", FIRES, ids=[_case_id(c) for c in FIRES])
def test_rule_effect_shows_in_status(case):
    """A firing option rule makes the option's status at least as bad as its effect."""
    rule_id, where, area, overrides = case
    if where in (REFER, AREA):
        return
    from treatments.rules import rule

    order = {"ok": 0, "caution": 1, "review": 2, "excluded": 3, "not_applicable": 4}
    effect_status = {
        "caution": "caution",
        "review": "review",
        "exclude": "excluded",
        "not_applicable": "not_applicable",
    }[rule(rule_id).effect]
    status = option(recommend(make(**overrides)), area, where)["status"]
    assert order[status] >= order[effect_status]
