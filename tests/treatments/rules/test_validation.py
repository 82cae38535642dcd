"""Validation of the intake profile (RULES.md §1): every field, every kind of error."""

import pytest

from treatments.rules import (
    PROFILE_KEYS,
    Profile,
    ProfileError,
    Tried,
    recommend,
    validate_profile,
)

from .support import BASE, make

ION = "iontophoresis"


def _tried(**entry):
    return {"tried": [{"treatment": ION, "outcome": "failed", **entry}]}


# (overrides, field, kind)
INVALID = [
    # unknown keys
    ({"colour": "blue"}, "colour", "unknown_key"),
    ({"Age": 30}, "Age", "unknown_key"),
    ({"areas": {"palmar": 3, "back": 2}}, "areas.back", "unknown_key"),
    ({"skin": {"back": "intact"}}, "skin.back", "unknown_key"),
    (_tried(notes="x"), "tried[0].notes", "unknown_key"),
    (_tried(hdss=3), "tried[0].hdss", "unknown_key"),
    # missing required
    ({"age": ...}, "age", "missing"),
    ({"areas": ...}, "areas", "missing"),
    ({"onset_age": ...}, "onset_age", "missing"),
    ({"duration_months": ...}, "duration_months", "missing"),
    ({"tried": [{"treatment": ION}]}, "tried[0].outcome", "missing"),
    ({"tried": [{"outcome": "failed"}]}, "tried[0].treatment", "missing"),
    ({"tried": [{}]}, "tried[0].treatment", "missing"),
    # null anywhere
    *[({key: None}, key, "null") for key in PROFILE_KEYS],
    ({"areas": {"palmar": None}}, "areas.palmar", "null"),
    ({"skin": {"palmar": None}}, "skin.palmar", "null"),
    ({"red_flags": [None]}, "red_flags[0]", "null"),
    ({"conditions": ["epilepsy", None]}, "conditions[1]", "null"),
    ({"tried": [None]}, "tried[0]", "null"),
    (_tried(sessions=None), "tried[0].sessions", "null"),
    (_tried(weeks=None), "tried[0].weeks", "null"),
    (_tried(area=None), "tried[0].area", "null"),
    ({"tried": [{"treatment": None, "outcome": "failed"}]}, "tried[0].treatment", "null"),
    # wrong type: int
    ({"age": True}, "age", "type"),
    ({"age": False}, "age", "type"),
    ({"age": 30.0}, "age", "type"),
    ({"age": "30"}, "age", "type"),
    ({"age": [30]}, "age", "type"),
    ({"areas": {"palmar": 3.0}}, "areas.palmar", "type"),
    ({"areas": {"palmar": True}}, "areas.palmar", "type"),
    ({"areas": {"palmar": "3"}}, "areas.palmar", "type"),
    ({"onset_age": 14.0}, "onset_age", "type"),
    ({"onset_age": False}, "onset_age", "type"),
    ({"duration_months": 60.5}, "duration_months", "type"),
    ({"duration_months": True}, "duration_months", "type"),
    (_tried(sessions=3.0), "tried[0].sessions", "type"),
    (_tried(sessions=True), "tried[0].sessions", "type"),
    (_tried(weeks="4"), "tried[0].weeks", "type"),
    # wrong type: bool
    ({"pregnant": 1}, "pregnant", "type"),
    ({"pregnant": 0}, "pregnant", "type"),
    ({"breastfeeding": "false"}, "breastfeeding", "type"),
    ({"generalized": 1}, "generalized", "type"),
    ({"bilateral_symmetric": 0}, "bilateral_symmetric", "type"),
    ({"weekly_episodes": "yes"}, "weekly_episodes", "type"),
    ({"family_history": 1.0}, "family_history", "type"),
    ({"sweats_during_sleep": []}, "sweats_during_sleep", "type"),
    # wrong type: objects, lists, strings
    ({"areas": []}, "areas", "type"),
    ({"areas": "palmar"}, "areas", "type"),
    ({"skin": "intact"}, "skin", "type"),
    ({"skin": {"palmar": 1}}, "skin.palmar", "type"),
    ({"red_flags": "fever"}, "red_flags", "type"),
    ({"red_flags": {"fever": True}}, "red_flags", "type"),
    ({"red_flags": [1]}, "red_flags[0]", "type"),
    ({"electronic_implants": "pacemaker"}, "electronic_implants", "type"),
    ({"metal_implants": [["knee"]]}, "metal_implants[0]", "type"),
    ({"conditions": [{"epilepsy": True}]}, "conditions[0]", "type"),
    ({"allergies": [True]}, "allergies[0]", "type"),
    ({"medications": 3}, "medications", "type"),
    ({"iud": True}, "iud", "type"),
    ({"iud": 0}, "iud", "type"),
    ({"tried": {}}, "tried", "type"),
    ({"tried": [ION]}, "tried[0]", "type"),
    ({"tried": [{"treatment": 1, "outcome": "failed"}]}, "tried[0].treatment", "type"),
    (_tried(area=["palmar"]), "tried[0].area", "type"),
    # unknown codes
    ({"red_flags": ["cough"]}, "red_flags[0]", "unknown_code"),
    ({"red_flags": ["fever", "cough"]}, "red_flags[1]", "unknown_code"),
    ({"electronic_implants": ["hearing_aid"]}, "electronic_implants[0]", "unknown_code"),
    ({"metal_implants": ["neck"]}, "metal_implants[0]", "unknown_code"),
    ({"metal_implants": ["Knee"]}, "metal_implants[0]", "unknown_code"),
    ({"iud": "steel"}, "iud", "unknown_code"),
    ({"iud": ""}, "iud", "unknown_code"),
    ({"conditions": ["flu"]}, "conditions[0]", "unknown_code"),
    ({"skin": {"palmar": "burnt"}}, "skin.palmar", "unknown_code"),
    ({"allergies": ["aspirin"]}, "allergies[0]", "unknown_code"),
    ({"medications": ["statin"]}, "medications[0]", "unknown_code"),
    (
        {"tried": [{"treatment": "laser", "outcome": "failed"}]},
        "tried[0].treatment",
        "unknown_code",
    ),
    ({"tried": [{"treatment": ION, "outcome": "worse"}]}, "tried[0].outcome", "unknown_code"),
    (_tried(area="back"), "tried[0].area", "unknown_code"),
    # out of range
    ({"age": -1}, "age", "range"),
    ({"age": 121}, "age", "range"),
    ({"areas": {"palmar": 0}}, "areas.palmar", "range"),
    ({"areas": {"palmar": 5}}, "areas.palmar", "range"),
    ({"onset_age": -1}, "onset_age", "range"),
    ({"duration_months": -1}, "duration_months", "range"),
    ({"duration_months": 1441}, "duration_months", "range"),
    (_tried(sessions=-1), "tried[0].sessions", "range"),
    (_tried(sessions=1001), "tried[0].sessions", "range"),
    (_tried(weeks=-1), "tried[0].weeks", "range"),
    (_tried(weeks=1001), "tried[0].weeks", "range"),
    ({"age": 10**30}, "age", "range"),
    # onset_age must not exceed age
    ({"age": 30, "onset_age": 31}, "onset_age", "range"),
    ({"age": 0, "onset_age": 1}, "onset_age", "range"),
    # areas {} only with generalized
    ({"areas": {}}, "areas", "combination"),
    ({"areas": {}, "generalized": False}, "areas", "combination"),
    # the error names the later tried entry
    (
        {"tried": [{"treatment": ION, "outcome": "failed"}, {"treatment": ION, "outcome": "x"}]},
        "tried[1].outcome",
        "unknown_code",
    ),
]


def _id(case):
    overrides, field, kind = case
    return f"{field or 'profile'}-{kind}-{'+'.join(overrides)}"


@pytest.mark.parametrize(("overrides", "field", "kind"), INVALID, ids=[_id(c) for c in INVALID])
def test_invalid_profile_is_rejected_naming_the_field(overrides, field, kind):
    with pytest.raises(ProfileError) as info:
        validate_profile(make(**overrides))
    assert (info.value.field, info.value.kind) == (field, kind)
    assert f"field '{field}'" in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.message in str(info.value)


@pytest.mark.parametrize(("overrides", "field", "kind"), INVALID, ids=[_id(c) for c in INVALID])
def test_recommend_rejects_the_same_profiles(overrides, field, kind):
    with pytest.raises(ProfileError) as info:
        recommend(make(**overrides))
    assert info.value.field == field


@pytest.mark.parametrize("data", [None, [], [BASE], "profile", 3, 3.5, True])
def test_a_profile_must_be_an_object(data):
    with pytest.raises(ProfileError) as info:
        validate_profile(data)
    assert (info.value.field, info.value.kind) == ("", "not_object")
    assert "object" in str(info.value)


def test_profile_error_is_a_value_error_with_field_and_message():
    with pytest.raises(ValueError) as info:
        validate_profile(make(**_tried(sessions=3.0)))
    err = info.value
    assert isinstance(err, ProfileError)
    assert err.field == "tried[0].sessions"
    assert err.message.startswith("must be an integer 0-1000")
    assert str(err) == f"field 'tried[0].sessions': {err.message}"


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"age": True}, "got true"),
        ({"age": 3.0}, "got 3.0"),
        ({"pregnant": 1}, "must be true or false, got 1"),
        ({"age": 130}, "must be an integer 0-120, got 130"),
        ({"age": 30, "onset_age": 31}, "0-30"),
        ({"iud": "steel"}, "none, copper, hormonal"),
    ],
)
def test_error_message_says_what_is_expected_and_what_was_given(overrides, text):
    with pytest.raises(ProfileError) as info:
        validate_profile(make(**overrides))
    assert text in info.value.message


@pytest.mark.parametrize(
    "key",
    ["bad\nkey", "x" * 500, "a'b", "", " "],
)
def test_unknown_key_is_shown_on_one_short_line(key):
    with pytest.raises(ProfileError) as info:
        validate_profile({**BASE, key: 1})
    assert info.value.kind == "unknown_key"
    assert "\n" not in str(info.value)
    assert len(str(info.value)) < 120


def test_unknown_key_reported_before_other_errors():
    with pytest.raises(ProfileError) as info:
        validate_profile({"age": "x", "zzz": 1})
    assert info.value.field == "zzz"


def test_keys_are_checked_in_the_order_of_the_specification():
    with pytest.raises(ProfileError) as info:
        validate_profile(make(age=200, duration_months=-1, iud="x"))
    assert info.value.field == "age"
    with pytest.raises(ProfileError) as info:
        validate_profile(make(duration_months=-1, iud="x"))
    assert info.value.field == "duration_months"


# --- valid boundaries and defaults --------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"age": 0, "onset_age": 0},
        {"age": 120, "onset_age": 120},
        {"age": 40, "onset_age": 40},
        {"duration_months": 0},
        {"duration_months": 1440},
        {"areas": {"palmar": 1}},
        {"areas": {"palmar": 4, "plantar": 1, "axillary": 2, "craniofacial": 3}},
        {"areas": {}, "generalized": True},
        {"generalized": True},
        {"tried": [{"treatment": ION, "outcome": "failed", "sessions": 0, "weeks": 0}]},
        {"tried": [{"treatment": ION, "outcome": "helped", "sessions": 1000, "weeks": 1000}]},
        {"tried": [{"treatment": ION, "outcome": "ongoing", "area": "craniofacial"}]},
        {"tried": []},
        {"red_flags": [], "conditions": [], "allergies": [], "medications": []},
        {"skin": {}},
        {"skin": {"palmar": "intact", "plantar": "broken", "craniofacial": "lesion"}},
        {"iud": "none"},
        {"iud": "hormonal"},
        {"metal_implants": ["dental_braces", "dental_braces"]},
        {"pregnant": False, "breastfeeding": False},
    ],
)
def test_valid_profiles_are_accepted(overrides):
    profile = validate_profile(make(**overrides))
    assert isinstance(profile, Profile)
    recommend(make(**overrides))


def test_defaults_are_filled_in():
    p = validate_profile(
        {"age": 30, "areas": {"axillary": 2}, "onset_age": 14, "duration_months": 60}
    )
    assert (p.pregnant, p.breastfeeding, p.generalized) == (False, False, False)
    assert (p.bilateral_symmetric, p.weekly_episodes) == (True, True)
    assert (p.family_history, p.sweats_during_sleep) == (False, False)
    assert p.red_flags == p.electronic_implants == p.metal_implants == frozenset()
    assert p.conditions == p.allergies == p.medications == frozenset()
    assert p.iud == "none"
    assert p.skin == {
        "palmar": "intact",
        "plantar": "intact",
        "axillary": "intact",
        "craniofacial": "intact",
    }
    assert p.tried == ()


def test_duplicates_count_once_in_the_profile():
    entry = {"treatment": ION, "outcome": "failed", "sessions": 3}
    p = validate_profile(make(conditions=["epilepsy", "epilepsy"], tried=[entry, dict(entry)]))
    assert p.conditions == frozenset({"epilepsy"})
    assert p.tried == (Tried(ION, "failed", 3),)


def test_tuples_are_accepted_as_lists():
    p = validate_profile(make(conditions=("epilepsy",)))
    assert p.conditions == frozenset({"epilepsy"})


def test_validation_does_not_change_the_input():
    data = make(conditions=["epilepsy", "epilepsy"], skin={"palmar": "broken"})
    snapshot = repr(data)
    validate_profile(data)
    recommend(data)
    assert repr(data) == snapshot


def test_as_dict_round_trips_to_the_same_result():
    data = make(
        conditions=["epilepsy", "hypertension", "epilepsy"],
        metal_implants=["knee"],
        tried=[{"treatment": ION, "outcome": "failed", "sessions": 3, "area": "palmar"}],
        skin={"palmar": "small_fissures"},
        iud="hormonal",
    )
    canonical = validate_profile(data).as_dict()
    assert set(canonical) == set(PROFILE_KEYS)
    assert canonical["conditions"] == ["epilepsy", "hypertension"]
    assert validate_profile(canonical) == validate_profile(data)
    assert recommend(canonical) == recommend(data)


def test_recommend_accepts_an_already_validated_profile():
    assert recommend(validate_profile(BASE)) == recommend(BASE)
