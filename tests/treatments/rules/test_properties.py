"""Property-based tests over random valid (and invalid) profiles."""

import copy
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatments.rules import (
    AREAS,
    CONDITIONS,
    ELECTRONIC_IMPLANTS,
    IUD_TYPES,
    LINE_ORDERS,
    MEDICATIONS,
    METAL_SITES,
    OUTCOMES,
    RED_FLAGS,
    SKIN_STATES,
    TREATMENTS,
    ProfileError,
    patient_summary,
    recommend,
    rule,
    validate_profile,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RANK = {"ok": 0, "caution": 1, "review": 2, "excluded": 3, "not_applicable": 4}
EFFECT_STATUS = {
    "caution": "caution",
    "review": "review",
    "exclude": "excluded",
    "not_applicable": "not_applicable",
}
GROUP = {"ok": 0, "caution": 0, "review": 1, "excluded": 2, "not_applicable": 3}
RULE_ID = re.compile(r"\b(?:G|ION|AC|TGP|OAC|BTX|MWT|ETS|LSS)-[A-Z0-9]+")


def _codes(vocab):
    return st.lists(st.sampled_from(vocab), max_size=4)


TRIED = st.fixed_dictionaries(
    {"treatment": st.sampled_from(TREATMENTS), "outcome": st.sampled_from(OUTCOMES)},
    optional={
        "sessions": st.integers(0, 1000),
        "weeks": st.integers(0, 1000),
        "area": st.sampled_from(AREAS),
    },
)
OPTIONAL = {
    "pregnant": st.booleans(),
    "breastfeeding": st.booleans(),
    "bilateral_symmetric": st.booleans(),
    "weekly_episodes": st.booleans(),
    "family_history": st.booleans(),
    "sweats_during_sleep": st.booleans(),
    "red_flags": st.lists(st.sampled_from(RED_FLAGS), max_size=2),
    "electronic_implants": _codes(ELECTRONIC_IMPLANTS),
    "metal_implants": _codes(METAL_SITES),
    "iud": st.sampled_from(IUD_TYPES),
    "conditions": _codes(CONDITIONS),
    "skin": st.dictionaries(st.sampled_from(AREAS), st.sampled_from(SKIN_STATES)),
    "allergies": _codes(TREATMENTS),
    "medications": _codes(MEDICATIONS),
    "tried": st.lists(TRIED, max_size=4),
}


@st.composite
def valid_profiles(draw):
    """Random profiles that follow RULES.md §1 (optional keys present or not)."""
    age = draw(st.integers(0, 120))
    generalized = draw(st.booleans())
    areas = draw(
        st.dictionaries(st.sampled_from(AREAS), st.integers(1, 4), min_size=0 if generalized else 1)
    )
    profile = {
        "age": age,
        "areas": areas,
        "onset_age": draw(st.integers(0, age)),
        "duration_months": draw(st.integers(0, 1440)),
    }
    if generalized or draw(st.booleans()):
        profile["generalized"] = generalized
    profile.update(draw(st.fixed_dictionaries({}, optional=OPTIONAL)))
    return profile


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["palmar", "failed", "iontophoresis", "epilepsy", "copper"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@SETTINGS
@given(valid_profiles())
def test_every_area_lists_every_treatment_once_with_a_consistent_status(profile):
    result = recommend(profile)
    assert set(result) == {"rules_version", "refer", "refer_rules", "areas"}
    assert list(result["areas"]) == [a for a in AREAS if a in profile["areas"]]
    for area, entry in result["areas"].items():
        assert entry["hdss"] == profile["areas"][area]
        treatments = [o["treatment"] for o in entry["options"]]
        assert sorted(treatments) == sorted(TREATMENTS)
        for o in entry["options"]:
            effects = [rule(i).effect for i in o["rules"]]
            assert o["rules"] == sorted(set(o["rules"]))
            if o["status"] == "not_applicable":
                assert effects and set(effects) == {"not_applicable"}
            else:
                worst = max((RANK[EFFECT_STATUS[e]] for e in effects), default=0)
                assert RANK[o["status"]] == worst


@SETTINGS
@given(valid_profiles())
def test_options_follow_the_groups_and_the_line_order(profile):
    result = recommend(profile)
    for area, entry in result["areas"].items():
        line = LINE_ORDERS[(area, entry["hdss"])]

        def position(t, line=line):
            return line.index(t) if t in line else len(line) + TREATMENTS.index(t)

        keys = [(GROUP[o["status"]], position(o["treatment"])) for o in entry["options"]]
        assert keys == sorted(keys)
        for o in entry["options"]:
            if o["treatment"] not in line:
                assert o["status"] == "not_applicable"


@SETTINGS
@given(valid_profiles())
def test_top_is_the_first_ok_or_caution_option_and_null_when_referring(profile):
    result = recommend(profile)
    assert result["refer"] == bool(result["refer_rules"])
    for entry in result["areas"].values():
        top = entry["top"]
        open_options = [
            o["treatment"] for o in entry["options"] if o["status"] in ("ok", "caution")
        ]
        if result["refer"] or entry["hdss"] == 1:
            assert top is None
        else:
            assert top == (open_options[0] if open_options else None)
        if top is not None:
            (chosen,) = [o for o in entry["options"] if o["treatment"] == top]
            assert chosen["status"] in ("ok", "caution")
        assert entry["rules"] == (["G-HDSS-1"] if entry["hdss"] == 1 else [])


@SETTINGS
@given(valid_profiles())
def test_recommend_is_deterministic_and_does_not_touch_its_input(profile):
    before = copy.deepcopy(profile)
    first = recommend(profile)
    assert profile == before
    assert recommend(copy.deepcopy(profile)) == first
    assert json.loads(json.dumps(first)) == first
    assert recommend(validate_profile(profile).as_dict()) == first


@SETTINGS
@given(valid_profiles(), st.randoms(use_true_random=False))
def test_order_and_duplicates_in_lists_do_not_matter(profile, rnd):
    shuffled = copy.deepcopy(profile)
    for value in shuffled.values():
        if isinstance(value, list):
            value.extend(copy.deepcopy(value[: rnd.randint(0, len(value))]))
            rnd.shuffle(value)
    assert recommend(shuffled) == recommend(profile)


@SETTINGS
@given(valid_profiles())
def test_patient_summary_never_shows_a_rule_id_or_a_verdict(profile):
    result = recommend(profile)
    summary = patient_summary(result)
    text = json.dumps(summary)
    assert not RULE_ID.search(text)
    assert summary["final"] is False
    assert summary["key"] == (
        "see_physician_first" if result["refer"] else "specialist_will_confirm"
    )
    assert set(summary["areas"]) == set(result["areas"])


@SETTINGS
@given(JSON)
def test_arbitrary_json_is_either_a_profile_or_a_profile_error(data):
    try:
        validate_profile(data)
    except ProfileError as err:
        assert "\n" not in str(err)


@SETTINGS
@given(valid_profiles(), st.sampled_from(sorted(OPTIONAL) + ["age", "areas", "onset_age"]), JSON)
def test_a_corrupted_field_is_rejected_by_name_or_accepted(profile, key, value):
    bad = {**profile, key: value}
    try:
        recommend(bad)
    except ProfileError as err:
        # The error names the corrupted key, or a key whose check depends on it.
        assert err.field.split(".")[0].split("[")[0] in {key, "areas", "onset_age"}
