"""Vocabularies of the intake profile and of the result (RULES.md §1, §2 and §4).

Every vocabulary is a tuple in the order RULES.md gives it, so a form can build its choices from
it and the engine can rely on a stable order.
"""

AREAS = ("palmar", "plantar", "axillary", "craniofacial")

HDSS_SCORES = (1, 2, 3, 4)

TREATMENTS = (
    "aluminium_chloride",
    "iontophoresis",
    "botulinum_toxin",
    "topical_anticholinergic",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "microwave_thermolysis",
    "local_surgery",
    "sympathectomy",
)

RED_FLAGS = (
    "night_sweats",
    "weight_loss",
    "fever",
    "feels_unwell",
    "palpitations",
    "chest_pain",
    "drug_onset",
)

ELECTRONIC_IMPLANTS = ("pacemaker", "icd", "other")

METAL_SITES = (
    "hand",
    "wrist",
    "forearm",
    "elbow",
    "upper_arm",
    "shoulder",
    "chest",
    "spine",
    "pelvis",
    "hip",
    "thigh",
    "knee",
    "lower_leg",
    "ankle",
    "foot",
    "head",
    "dental_braces",
)

IUD_TYPES = ("none", "copper", "hormonal")

CONDITIONS = (
    "epilepsy",
    "arrhythmia",
    "heart_disease",
    "heart_failure",
    "coronary_disease",
    "hypertension",
    "hyperthyroidism",
    "cardiovascular_unstable",
    "reduced_sensation_hands",
    "reduced_sensation_feet",
    "thrombosis",
    "electrical_sensitivity",
    "glaucoma_angle_closure",
    "glaucoma_open_angle",
    "myasthenia_gravis",
    "nmj_disorder",
    "urinary_retention",
    "gi_obstruction",
    "severe_ulcerative_colitis",
    "sjogren",
    "dementia",
    "parkinson",
    "immunocompromised",
    "supplemental_oxygen",
    "lidocaine_intolerance",
    "prior_axillary_surgery",
    "fitzpatrick_vi",
)

SKIN_STATES = ("intact", "small_fissures", "broken", "lesion")

MEDICATIONS = ("aminoglycoside", "nmj_blocker", "anticholinergic", "cyp2d6_inhibitor")

OUTCOMES = ("failed", "not_tolerated", "helped", "ongoing")

# Effects of rules (RULES.md §3). `no_treatment` is the area-level effect of G-HDSS-1.
EFFECTS = ("refer", "exclude", "review", "caution", "not_applicable", "no_treatment")

# Statuses of an option, best first (RULES.md §2).
STATUSES = ("ok", "caution", "review", "excluded", "not_applicable")

# Treatments applied to the skin of the area (G-SKIN-01).
LOCAL_TREATMENTS = (
    "aluminium_chloride",
    "iontophoresis",
    "botulinum_toxin",
    "topical_anticholinergic",
    "microwave_thermolysis",
)

ORAL_ANTICHOLINERGICS = ("oral_glycopyrrolate", "oral_oxybutynin")

# Metal sites on each area's iontophoresis current path (RULES.md §3.2, POLICY).
CURRENT_PATH = {
    "palmar": frozenset({"hand", "wrist", "forearm", "elbow", "upper_arm", "shoulder", "chest"}),
    "plantar": frozenset({"foot", "ankle", "lower_leg", "knee", "thigh", "hip", "pelvis"}),
    "axillary": frozenset({"upper_arm", "shoulder", "chest"}),
    "craniofacial": frozenset(),
}

_HANDS_FEET_LOW = (
    "aluminium_chloride",
    "iontophoresis",
    "botulinum_toxin",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "sympathectomy",
)
_HANDS_FEET_HIGH = (
    "iontophoresis",
    "aluminium_chloride",
    "botulinum_toxin",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "sympathectomy",
)
_AXILLARY_LOW = (
    "aluminium_chloride",
    "topical_anticholinergic",
    "botulinum_toxin",
    "microwave_thermolysis",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "iontophoresis",
    "local_surgery",
    "sympathectomy",
)
_AXILLARY_HIGH = (
    "aluminium_chloride",
    "botulinum_toxin",
    "microwave_thermolysis",
    "topical_anticholinergic",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "iontophoresis",
    "local_surgery",
    "sympathectomy",
)
_CRANIOFACIAL = (
    "aluminium_chloride",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
    "botulinum_toxin",
    "sympathectomy",
)

# Line order per (area, HDSS) (RULES.md §4). HDSS 1 uses the HDSS 2 order.
LINE_ORDERS = {
    (area, hdss): order
    for area, low, high in (
        ("palmar", _HANDS_FEET_LOW, _HANDS_FEET_HIGH),
        ("plantar", _HANDS_FEET_LOW, _HANDS_FEET_HIGH),
        ("axillary", _AXILLARY_LOW, _AXILLARY_HIGH),
        ("craniofacial", _CRANIOFACIAL, _CRANIOFACIAL),
    )
    for hdss, order in ((1, low), (2, low), (3, high), (4, high))
}


def line_order(area: str, hdss: int) -> tuple[str, ...]:
    """Return the line order of treatments for an area at an HDSS score (RULES.md §4)."""
    return LINE_ORDERS[(area, hdss)]
