"""Statuses, ranking and `top` (RULES.md §2 and §4), ETS-02, tried entries, duplicates."""

import pytest

from treatments.rules import TREATMENTS, line_order

from .support import option, run, statuses

AC, ION, BTX, TGP = (
    "aluminium_chloride",
    "iontophoresis",
    "botulinum_toxin",
    "topical_anticholinergic",
)
OGP, OXY, MWT = "oral_glycopyrrolate", "oral_oxybutynin", "microwave_thermolysis"
LSS, ETS = "local_surgery", "sympathectomy"
ALL_BUT_ETS = [AC, ION, BTX, TGP, OGP, OXY, MWT, LSS]


# --- line order and top ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "hdss", "top"),
    [
        ("palmar", 2, AC),
        ("palmar", 3, ION),
        ("palmar", 4, ION),
        ("plantar", 2, AC),
        ("plantar", 3, ION),
        ("plantar", 4, ION),
        ("axillary", 2, AC),
        ("axillary", 3, AC),
        ("axillary", 4, AC),
        ("craniofacial", 2, AC),
        ("craniofacial", 4, AC),
    ],
)
def test_top_is_the_first_open_option_of_the_line_order(area, hdss, top):
    assert run(areas={area: hdss})["areas"][area]["top"] == top


@pytest.mark.parametrize(
    ("area", "hdss", "extra", "expected"),
    [
        (
            "palmar",
            2,
            {},
            [
                (AC, "ok"),
                (ION, "ok"),
                (BTX, "caution"),
                (OGP, "review"),
                (OXY, "review"),
                (ETS, "excluded"),
                (TGP, "not_applicable"),
                (MWT, "not_applicable"),
                (LSS, "not_applicable"),
            ],
        ),
        (
            "axillary",
            2,
            {},
            [
                (AC, "ok"),
                (TGP, "ok"),
                (BTX, "ok"),
                (MWT, "ok"),
                (ION, "ok"),
                (OGP, "review"),
                (OXY, "review"),
                (LSS, "review"),
                (ETS, "excluded"),
            ],
        ),
        (
            "axillary",
            4,
            {},
            [
                (AC, "ok"),
                (BTX, "ok"),
                (MWT, "ok"),
                (TGP, "ok"),
                (ION, "ok"),
                (OGP, "review"),
                (OXY, "review"),
                (LSS, "review"),
                (ETS, "excluded"),
            ],
        ),
        (
            # Oral drugs are a first choice on the face (no OAC-10): oxybutynin is ok.
            "craniofacial",
            3,
            {"allergies": [OGP]},
            [
                (AC, "ok"),
                (OXY, "ok"),
                (BTX, "caution"),
                (OGP, "excluded"),
                (ETS, "excluded"),
                (ION, "not_applicable"),
                (TGP, "not_applicable"),
                (MWT, "not_applicable"),
                (LSS, "not_applicable"),
            ],
        ),
    ],
)
def test_full_order_of_options(area, hdss, extra, expected):
    assert statuses(run(areas={area: hdss}, **extra), area) == expected


def test_caution_keeps_its_rank_among_ok_options():
    result = run(metal_implants=["knee"])  # ION-06 caution, palmar HDSS 3
    assert statuses(result, "palmar")[:3] == [(ION, "caution"), (AC, "ok"), (BTX, "caution")]
    assert result["areas"]["palmar"]["top"] == ION


def test_review_options_come_after_ok_and_caution_in_line_order():
    result = run(breastfeeding=True)  # ION-04 review, BTX-05 review, OAC-08 review
    assert statuses(result, "palmar")[:5] == [
        (AC, "ok"),
        (ION, "review"),
        (BTX, "review"),
        (OGP, "review"),
        (OXY, "review"),
    ]


def test_review_option_is_never_top():
    result = run(allergies=[AC], breastfeeding=True)
    palmar = result["areas"]["palmar"]
    assert palmar["top"] is None
    assert [o["status"] for o in palmar["options"]][:4] == ["review"] * 4


def test_excluded_options_are_in_line_order_then_not_applicable_in_code_order():
    result = run(allergies=[OXY, AC, ION], areas={"plantar": 3})
    assert statuses(result, "plantar")[-7:] == [
        (ION, "excluded"),
        (AC, "excluded"),
        (OXY, "excluded"),
        (ETS, "not_applicable"),
        (TGP, "not_applicable"),
        (MWT, "not_applicable"),
        (LSS, "not_applicable"),
    ]


def test_not_applicable_treatments_absent_from_line_order_follow_code_order():
    result = run(areas={"craniofacial": 2})
    tail = [t for t, s in statuses(result, "craniofacial") if s == "not_applicable"]
    assert tail == [ION, TGP, MWT, LSS]


@pytest.mark.parametrize("area", ["palmar", "plantar", "axillary", "craniofacial"])
@pytest.mark.parametrize("hdss", [1, 2, 3, 4])
def test_treatments_absent_from_the_line_order_are_not_applicable(area, hdss):
    result = run(areas={area: hdss})
    line = line_order(area, hdss)
    for o in result["areas"][area]["options"]:
        if o["treatment"] not in line:
            assert o["status"] == "not_applicable"
    assert sorted(o["treatment"] for o in result["areas"][area]["options"]) == sorted(TREATMENTS)


def test_no_open_option_gives_top_null():
    result = run(allergies=ALL_BUT_ETS + [ETS])
    assert result["areas"]["palmar"]["top"] is None


def test_areas_are_only_the_affected_ones_in_fixed_order():
    result = run(areas={"craniofacial": 2, "plantar": 3, "palmar": 4})
    assert list(result["areas"]) == ["palmar", "plantar", "craniofacial"]


def test_rule_id_lists_are_sorted():
    result = run(
        pregnant=True,
        red_flags=["fever", "palpitations"],
        onset_age=26,
        areas={"palmar": 3, "axillary": 1},
    )
    assert result["refer_rules"] == sorted(result["refer_rules"])
    for entry in result["areas"].values():
        assert entry["rules"] == sorted(entry["rules"])
        for o in entry["options"]:
            assert o["rules"] == sorted(o["rules"])


# --- status semantics --------------------------------------------------------------------------


def test_option_lists_every_rule_that_holds_not_only_the_worst():
    o = option(run(pregnant=True), "palmar", BTX)
    assert (o["status"], o["rules"]) == ("review", ["BTX-05", "BTX-07"])


def test_excluded_option_keeps_its_caution_and_review_rules():
    o = option(run(pregnant=True, metal_implants=["knee", "dental_braces"]), "palmar", ION)
    assert (o["status"], o["rules"]) == ("excluded", ["ION-03", "ION-06", "ION-23"])


def test_not_applicable_option_lists_only_the_not_applicable_rules():
    o = option(run(conditions=["glaucoma_angle_closure"], pregnant=True), "palmar", TGP)
    assert (o["status"], o["rules"]) == ("not_applicable", ["TGP-01"])


def test_sympathectomy_excluded_with_its_review_rule():
    o = option(run(), "palmar", ETS)
    assert (o["status"], o["rules"]) == ("excluded", ["ETS-02", "ETS-03"])


# --- HDSS 1 --------------------------------------------------------------------------------


@pytest.mark.parametrize("area", ["palmar", "plantar", "axillary", "craniofacial"])
def test_hdss_1_area_uses_hdss_2_order_with_top_null(area):
    low = run(areas={area: 1})["areas"][area]
    two = run(areas={area: 2})["areas"][area]
    assert low["hdss"] == 1
    assert low["top"] is None
    assert low["rules"] == ["G-HDSS-1"]
    assert low["options"] == two["options"]
    assert two["rules"] == []
    assert two["top"] is not None


def test_hdss_1_area_does_not_affect_other_areas():
    result = run(areas={"palmar": 1, "plantar": 4})
    assert result["areas"]["plantar"]["top"] == ION
    assert result["areas"]["plantar"]["rules"] == []


def test_only_hdss_1_areas_fail_primary_focal_feature_but_other_features_suffice():
    result = run(areas={"palmar": 1})
    assert result["refer"] is False


# --- refer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"generalized": True},
        {"red_flags": ["weight_loss"]},
        {"duration_months": 2},
        {"onset_age": 29},
        {"sweats_during_sleep": True},
    ],
)
def test_refer_nulls_every_top_but_keeps_options(overrides):
    areas = {"palmar": 3, "plantar": 2, "axillary": 4, "craniofacial": 3}
    result = run(areas=areas, **overrides)
    plain = run(areas=areas)
    assert result["refer"] is True
    assert result["refer_rules"]
    for area in areas:
        assert result["areas"][area]["top"] is None
        assert result["areas"][area]["options"] == plain["areas"][area]["options"]
        assert plain["areas"][area]["top"] is not None


def test_no_refer_gives_empty_refer_rules():
    result = run()
    assert (result["refer"], result["refer_rules"]) == (False, [])


def test_generalized_without_focal_areas_refers_with_no_areas():
    result = run(generalized=True, areas={})
    assert result["refer"] is True
    assert result["areas"] == {}
    assert "G-RF-01" in result["refer_rules"]
    # No area has HDSS ≥ 2, but five other features hold: G-DX-01 does not fire.
    assert "G-DX-01" not in result["refer_rules"]


def test_primary_focal_feature_count_treats_hdss_1_only_as_missing_feature():
    # Features: bilateral no, HDSS≥2 no, weekly no, onset<25 no, family no, no sleep yes = 1.
    result = run(
        bilateral_symmetric=False,
        areas={"palmar": 1},
        weekly_episodes=False,
        onset_age=25,
        family_history=False,
    )
    assert "G-DX-01" in result["refer_rules"]
    assert "G-DX-02" in result["refer_rules"]


# --- ETS-02 ------------------------------------------------------------------------------


def _ets(result, area="palmar"):
    o = option(result, area, ETS)
    return o["status"], o["rules"]


def test_ets_02_fires_while_any_earlier_option_is_open():
    assert _ets(run(allergies=[ION, AC, BTX, OGP])) == ("excluded", ["ETS-02", "ETS-03"])


def test_ets_02_review_counts_as_open():
    result = run(allergies=[ION, AC, BTX, OGP], conditions=["glaucoma_open_angle"])
    assert option(result, "palmar", OXY)["status"] == "review"
    assert _ets(result) == ("excluded", ["ETS-02", "ETS-03"])


def test_ets_02_does_not_fire_when_every_earlier_option_is_permanently_excluded():
    result = run(allergies=[ION, AC, BTX, OGP, OXY])
    assert _ets(result) == ("review", ["ETS-03"])
    assert result["areas"]["palmar"]["top"] is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"pregnant": True},  # ION-03 only
        {"skin": {"palmar": "broken"}},  # G-SKIN-01 + ION-11 only
    ],
)
def test_ets_02_treats_temporary_exclusions_as_open(overrides):
    result = run(allergies=[AC, BTX, OGP, OXY], **overrides)
    assert option(result, "palmar", ION)["status"] == "excluded"
    assert _ets(result) == ("excluded", ["ETS-02", "ETS-03"])


def test_ets_02_temporary_skin_exclusion_of_aluminium_chloride_is_open():
    result = run(allergies=[ION, BTX, OGP, OXY], skin={"palmar": "broken"})
    assert option(result, "palmar", AC)["rules"] == ["G-SKIN-01"]
    assert _ets(result)[0] == "excluded"


def test_ets_02_temporary_exclusion_plus_permanent_one_is_closed():
    result = run(allergies=[AC, BTX, OGP, OXY], pregnant=True, conditions=["epilepsy"])
    assert option(result, "palmar", ION)["rules"] == ["ION-03", "ION-10"]
    assert _ets(result) == ("review", ["ETS-03"])


def test_ets_02_pregnancy_exclusion_of_miradry_is_open_in_the_axilla():
    allergies = [AC, ION, BTX, TGP, OGP, OXY, LSS]
    result = run(areas={"axillary": 3}, allergies=allergies, pregnant=True)
    assert option(result, "axillary", MWT)["rules"] == ["MWT-06"]
    assert _ets(result, "axillary")[0] == "excluded"
    closed = run(areas={"axillary": 3}, allergies=allergies + [MWT])
    assert _ets(closed, "axillary") == ("review", ["ETS-03"])


def test_ets_02_ignores_not_applicable_options():
    result = run(areas={"craniofacial": 3}, allergies=[AC, OGP, OXY, BTX])
    assert _ets(result, "craniofacial") == ("review", ["ETS-03"])


def test_ets_02_counts_local_surgery_in_the_axilla():
    result = run(areas={"axillary": 3}, allergies=[AC, ION, BTX, TGP, OGP, OXY, MWT])
    assert option(result, "axillary", LSS)["status"] == "review"
    assert _ets(result, "axillary")[0] == "excluded"


def test_ets_02_counts_failed_treatments_as_closed():
    tried = [{"treatment": t, "outcome": "failed"} for t in (AC, BTX, OGP, OXY)]
    tried.append({"treatment": ION, "outcome": "failed", "sessions": 10})
    assert _ets(run(tried=tried)) == ("review", ["ETS-03"])
    tried[-1] = {"treatment": ION, "outcome": "failed", "sessions": 3}  # ION-22b: caution
    assert _ets(run(tried=tried))[0] == "excluded"


# --- G-FAIL-01 vs iontophoresis -----------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "status", "rules"),
    [
        ([{"outcome": "failed", "sessions": 7}], "excluded", ["ION-22"]),
        ([{"outcome": "failed", "sessions": 6}], "caution", ["ION-22b"]),
        ([{"outcome": "failed"}], "caution", ["ION-22b"]),
        (
            [{"outcome": "failed", "sessions": 2}, {"outcome": "failed", "sessions": 9}],
            "excluded",
            ["ION-22"],
        ),
        ([{"outcome": "not_tolerated"}], "review", ["ION-24"]),
        (
            [{"outcome": "not_tolerated"}, {"outcome": "failed", "sessions": 8}],
            "excluded",
            ["ION-22", "ION-24"],
        ),
        ([{"outcome": "not_tolerated"}, {"outcome": "failed"}], "review", ["ION-22b", "ION-24"]),
        ([{"outcome": "helped", "sessions": 20}], "ok", []),
        ([{"outcome": "ongoing", "sessions": 3}], "ok", []),
    ],
)
def test_iontophoresis_tried_uses_its_own_rules_not_g_fail_01(entries, status, rules):
    tried = [{"treatment": ION, **e} for e in entries]
    o = option(run(tried=tried), "palmar", ION)
    assert (o["status"], o["rules"]) == (status, rules)


@pytest.mark.parametrize("treatment", [AC, BTX, OGP, OXY, ETS])
@pytest.mark.parametrize("outcome", ["failed", "not_tolerated"])
def test_g_fail_01_excludes_other_treatments(treatment, outcome):
    o = option(run(tried=[{"treatment": treatment, "outcome": outcome}]), "palmar", treatment)
    assert o["status"] == "excluded"
    assert "G-FAIL-01" in o["rules"]


# --- tried entries naming an area ---------------------------------------------------------


def test_tried_entry_with_area_applies_only_there():
    result = run(
        areas={"palmar": 3, "axillary": 3},
        tried=[{"treatment": AC, "outcome": "failed", "area": "axillary"}],
    )
    assert option(result, "axillary", AC)["rules"] == ["G-FAIL-01"]
    assert option(result, "palmar", AC)["status"] == "ok"


def test_tried_entry_without_area_applies_to_every_affected_area():
    result = run(areas={"palmar": 3, "axillary": 3}, tried=[{"treatment": AC, "outcome": "failed"}])
    assert option(result, "axillary", AC)["status"] == "excluded"
    assert option(result, "palmar", AC)["status"] == "excluded"


def test_iontophoresis_adequate_trial_in_one_area_only():
    result = run(
        areas={"palmar": 4, "plantar": 4},
        tried=[
            {"treatment": ION, "outcome": "failed", "sessions": 12, "area": "plantar"},
            {"treatment": ION, "outcome": "failed", "sessions": 2, "area": "palmar"},
        ],
    )
    assert option(result, "plantar", ION)["rules"] == ["ION-22"]
    assert option(result, "palmar", ION)["rules"] == ["ION-22b"]


def test_tried_and_skin_for_an_unaffected_area_are_ignored():
    base = run()
    other = run(
        tried=[{"treatment": AC, "outcome": "failed", "area": "axillary"}],
        skin={"plantar": "broken", "axillary": "lesion"},
    )
    assert other == base


# --- duplicates ---------------------------------------------------------------------------


def test_duplicates_in_lists_count_once():
    once = run(
        red_flags=["fever"],
        conditions=["epilepsy"],
        metal_implants=["knee"],
        allergies=[AC],
        medications=["aminoglycoside"],
        electronic_implants=["other"],
        tried=[{"treatment": BTX, "outcome": "failed"}],
    )
    twice = run(
        red_flags=["fever", "fever"],
        conditions=["epilepsy", "epilepsy"],
        metal_implants=["knee", "knee"],
        allergies=[AC, AC],
        medications=["aminoglycoside", "aminoglycoside"],
        electronic_implants=["other", "other"],
        tried=[{"treatment": BTX, "outcome": "failed"}, {"treatment": BTX, "outcome": "failed"}],
    )
    assert twice == once
    assert once["refer_rules"].count("G-RF-03") == 1
    assert option(once, "palmar", BTX)["rules"].count("G-FAIL-01") == 1


def test_order_of_list_entries_does_not_matter():
    a = run(conditions=["epilepsy", "hypertension"], metal_implants=["knee", "wrist"])
    b = run(conditions=["hypertension", "epilepsy"], metal_implants=["wrist", "knee"])
    assert a == b
