"""The rule table (RULES.md §3): one row per rule id; adding a rule is adding a row.

Each row has an id, the treatment(s) it is about, a predicate, an effect, a patient-facing and a
clinician explanation, and its source. Predicates take:

- `(profile)` for rules with effect `refer` (global, before any treatment);
- `(profile, area)` for area-level rules (effect `no_treatment`: G-HDSS-1);
- `(profile, area, treatment)` for option rules, where `area` is an `AreaContext`.

Option rows apply only in the areas listed in `areas` (all of them by default), so a row like
"area is not axillary → not_applicable" is an area list plus an always-true predicate, which the
engine resolves once at import time. `temporary` marks exclusions that end (healed skin, a
pregnancy), which ETS-02 treats as still open. `late` rows (ETS-02) run after every other row of
the area, because they read the other options' statuses.

Change the table → bump `RULES_VERSION` (a test compares a fingerprint of the table).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .vocab import (
    AREAS,
    EFFECTS,
    LOCAL_TREATMENTS,
    ORAL_ANTICHOLINERGICS,
    TREATMENTS,
)

__all__ = ["RULES", "RULES_BY_ID", "RULES_VERSION", "TEMPORARY_RULE_IDS", "Rule", "rule"]

RULES_VERSION = "2026-11-24.1"


def gettext_noop(s: str) -> str:
    """Mark a string for translation (collected by Django's makemessages; translated later)."""
    return s


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rule table.

    `treatment` is a treatment code, a tuple of codes (a row about several treatments), or None
    for a global row: the refer rules and G-HDSS-1 (about the profile or the area), and
    G-FAIL-01 / G-ALLERGY-01 (about whichever treatment the profile names). `targets` is always
    the tuple of treatments the row can affect (empty for refer and area rows).
    """

    id: str
    treatment: str | tuple[str, ...] | None
    predicate: Callable
    effect: str
    patient_text: str
    clinician_text: str
    source: str
    areas: tuple[str, ...] = AREAS
    temporary: bool = False
    late: bool = False

    @property
    def scope(self) -> str:
        """`profile` (refer rules), `area` (area-level rules) or `option`."""
        if self.effect == "refer":
            return "profile"
        if self.effect == "no_treatment":
            return "area"
        return "option"

    @property
    def targets(self) -> tuple[str, ...]:
        """The treatments this row can affect (every treatment for a global option row)."""
        if self.scope != "option":
            return ()
        if self.treatment is None:
            return TREATMENTS
        if isinstance(self.treatment, str):
            return (self.treatment,)
        return self.treatment


# ---------------------------------------------------------------------------------------------
# Predicate builders. `p` is a Profile, `a` an AreaContext, `t` a treatment code.


def always(*_args) -> bool:
    """The predicate of rows that hold whenever their area/treatment applies."""
    return True


def _conditions(*codes: str) -> Callable:
    wanted = frozenset(codes)
    return lambda p, a, t: not wanted.isdisjoint(p.conditions)


def _medications(*codes: str) -> Callable:
    wanted = frozenset(codes)
    return lambda p, a, t: not wanted.isdisjoint(p.medications)


def _red_flags(*codes: str) -> Callable:
    wanted = frozenset(codes)
    return lambda p: not wanted.isdisjoint(p.red_flags)


def _pregnant_or_breastfeeding(p, a, t) -> bool:
    return p.pregnant or p.breastfeeding


def _primary_focal_not_met(p) -> bool:
    if p.duration_months < 6:
        return True
    features = (
        p.bilateral_symmetric
        + any(hdss >= 2 for hdss in p.areas.values())
        + p.weekly_episodes
        + (p.onset_age < 25)
        + p.family_history
        + (not p.sweats_during_sleep)
    )
    return features < 2


_REDUCED_SENSATION = {"palmar": "reduced_sensation_hands", "plantar": "reduced_sensation_feet"}


def _reduced_sensation(p, a, t) -> bool:
    return _REDUCED_SENSATION[a.area] in p.conditions


_CARDIAC = frozenset(
    {
        "arrhythmia",
        "heart_disease",
        "heart_failure",
        "coronary_disease",
        "hypertension",
        "hyperthyroidism",
    }
)
_CARDIAC_DEVICES = frozenset({"pacemaker", "icd"})


def _oac_cardiac(p, a, t) -> bool:
    return not _CARDIAC.isdisjoint(p.conditions) or not _CARDIAC_DEVICES.isdisjoint(
        p.electronic_implants
    )


_MWT_METAL = frozenset({"shoulder", "upper_arm", "chest"})


def _earlier_option_open(p, a, t) -> bool:
    """ETS-02: an option before `t` in the line order is neither not_applicable nor excluded,
    or is excluded only by temporary rules."""
    status = a.status
    for other in a.line:
        if other == t:
            break
        s = status[other]
        if s == "excluded":
            if a.excluded_by[other] <= TEMPORARY_RULE_IDS:
                return True
        elif s != "not_applicable":
            return True
    return False


_NOT_AXILLARY = ("palmar", "plantar", "craniofacial")
_ION = "iontophoresis"
_BTX = "botulinum_toxin"
_TGP = "topical_anticholinergic"
_MWT = "microwave_thermolysis"
_ETS = "sympathectomy"
_LSS = "local_surgery"
_OAC = ORAL_ANTICHOLINERGICS

_SRC_REFER = "RULES.md §3.1; Solish 2007; McConaghy & Fosselman 2018"
_SRC_ION = "RULES.md §3.2; Hidrex DP450 manual; R.A. Fischer contraindications; Saalmann FAQ"
_SRC_TGP = "RULES.md §3.4; Qbrexza and Sofdra labels"
_SRC_OAC = "RULES.md §3.5; glycopyrrolate tablets and oxybutynin labels"
_SRC_BTX = "RULES.md §3.6; onabotulinumtoxinA (BOTOX) label"
_SRC_MWT = "RULES.md §3.7; miraDry instructions for use"
_SRC_SURGERY = "RULES.md §3.8; International Hyperhidrosis Society (ETS, local surgery)"

RULES: tuple[Rule, ...] = (
    # --- 3.1 Global: refer before treating -----------------------------------------------------
    Rule(
        "G-RF-01",
        None,
        lambda p: p.generalized,
        "refer",
        gettext_noop(
            "Sweating all over the body can have other causes, so a doctor will check for "
            "these before a treatment is chosen."
        ),
        "Generalized hyperhidrosis: exclude secondary causes before treating.",
        _SRC_REFER,
    ),
    Rule(
        "G-RF-02",
        None,
        lambda p: p.sweats_during_sleep or "night_sweats" in p.red_flags,
        "refer",
        gettext_noop(
            "Sweating during sleep can have other causes, so a doctor will check for these "
            "before a treatment is chosen."
        ),
        "Sweating during sleep / night sweats: work up for secondary hyperhidrosis.",
        _SRC_REFER,
    ),
    Rule(
        "G-RF-03",
        None,
        _red_flags("weight_loss", "fever", "feels_unwell"),
        "refer",
        gettext_noop(
            "Weight loss, a fever or feeling unwell are worth a check with a doctor before "
            "treating the sweating."
        ),
        "Constitutional symptoms (weight loss, fever, malaise): work up before treating.",
        _SRC_REFER,
    ),
    Rule(
        "G-RF-04",
        None,
        _red_flags("palpitations", "chest_pain"),
        "refer",
        gettext_noop(
            "A racing heart or chest pain is worth a check with a doctor before treating the "
            "sweating."
        ),
        "Palpitations or chest pain: cardiac/endocrine work-up before treating.",
        _SRC_REFER,
    ),
    Rule(
        "G-RF-05",
        None,
        _red_flags("drug_onset"),
        "refer",
        gettext_noop(
            "Sweating that started with a medicine can be a side effect, so a doctor will look "
            "at your medicines first."
        ),
        "Onset with a drug: review medication as a cause of secondary hyperhidrosis.",
        _SRC_REFER,
    ),
    Rule(
        "G-DX-01",
        None,
        _primary_focal_not_met,
        "refer",
        gettext_noop(
            "Your sweating pattern is a little different from the most common kind, so a "
            "doctor will first confirm what is causing it."
        ),
        "Primary focal criteria not met: duration < 6 months or fewer than 2 supporting features.",
        "RULES.md §3.1; Hornberger et al. 2004 diagnostic criteria",
    ),
    Rule(
        "G-DX-02",
        None,
        lambda p: p.onset_age >= 25 or not p.bilateral_symmetric,
        "refer",
        gettext_noop(
            "Sweating that began in adult life, or mostly on one side, is worth a check with a "
            "doctor before a treatment is chosen."
        ),
        "Onset at age 25 or later, or asymmetric sweating: exclude secondary causes (POLICY, "
        "stricter than the published criteria).",
        "RULES.md §3.1 (POLICY); Hornberger et al. 2004",
    ),
    Rule(
        "G-HDSS-1",
        None,
        lambda p, a: a.hdss == 1,
        "no_treatment",
        gettext_noop(
            "The sweating in this area rarely bothers you, so treatment there is usually not "
            "needed."
        ),
        "HDSS 1: no treatment indicated for this area.",
        "RULES.md §3.1; Solish 2007 (HDSS)",
    ),
    Rule(
        "G-FAIL-01",
        None,
        lambda p, a, t: t != _ION and t in a.failed,
        "exclude",
        gettext_noop(
            "You told us this treatment did not help or did not suit you, so other options "
            "come first."
        ),
        "Tried before in this area: failed or not tolerated.",
        "RULES.md §3.1; Solish 2007",
    ),
    Rule(
        "G-SKIN-01",
        LOCAL_TREATMENTS,
        lambda p, a, t: a.skin == "broken",
        "exclude",
        gettext_noop(
            "Treatments used on the skin wait until the skin in this area has healed; they can "
            "be considered again then."
        ),
        "Broken skin (wound, infection, inflamed rash): defer local treatments until healed.",
        "RULES.md §3.1; device and drug labels",
        temporary=True,
    ),
    Rule(
        "G-ALLERGY-01",
        None,
        lambda p, a, t: t in p.allergies,
        "exclude",
        gettext_noop("You told us you are allergic to this treatment, so it is not used."),
        "Known hypersensitivity to this treatment.",
        "RULES.md §3.1; drug and device labels",
    ),
    # --- 3.2 Iontophoresis -----------------------------------------------------------------------
    Rule(
        "ION-01",
        _ION,
        lambda p, a, t: "pacemaker" in p.electronic_implants,
        "exclude",
        gettext_noop(
            "Iontophoresis passes a small electric current through the body, so it is not used "
            "with a pacemaker."
        ),
        "Pacemaker: contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-02",
        _ION,
        lambda p, a, t: "icd" in p.electronic_implants or "other" in p.electronic_implants,
        "exclude",
        gettext_noop(
            "Iontophoresis passes a small electric current through the body, so it is not used "
            "with an implanted electronic device."
        ),
        "ICD or other active implant (neurostimulator, pump): contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-03",
        _ION,
        lambda p, a, t: p.pregnant,
        "exclude",
        gettext_noop(
            "Iontophoresis is not used during pregnancy. It can be considered again after the "
            "baby is born."
        ),
        "Pregnancy: contraindicated (temporary).",
        _SRC_ION,
        temporary=True,
    ),
    Rule(
        "ION-04",
        _ION,
        lambda p, a, t: p.breastfeeding,
        "review",
        gettext_noop(
            "While you are breastfeeding, a specialist will check whether iontophoresis suits you."
        ),
        "Breastfeeding: specialist sign-off.",
        _SRC_ION,
    ),
    Rule(
        "ION-05",
        _ION,
        lambda p, a, t: a.metal_on_path,
        "exclude",
        gettext_noop(
            "A metal implant lies where the current would flow when treating this area, so "
            "iontophoresis is not used here."
        ),
        "Metal implant in this area's current path (POLICY).",
        "RULES.md §3.2 (POLICY); Sinclair et al. 2023; device manuals",
    ),
    Rule(
        "ION-06",
        _ION,
        lambda p, a, t: a.metal_elsewhere,
        "caution",
        gettext_noop(
            "You have a metal implant away from this area. Iontophoresis can still be used, "
            "with a few precautions."
        ),
        "Metal implant outside the current path: caution.",
        "RULES.md §3.2; Sinclair et al. 2023",
    ),
    Rule(
        "ION-07",
        _ION,
        lambda p, a, t: p.iud == "copper",
        "exclude",
        gettext_noop(
            "A copper coil contains metal, and the current used for the feet passes near it, so "
            "iontophoresis is not used for the feet."
        ),
        "Copper IUD: metal in the plantar current path.",
        _SRC_ION,
        areas=("plantar",),
    ),
    Rule(
        "ION-07b",
        _ION,
        lambda p, a, t: p.iud != "none" and not (p.iud == "copper" and a.area == "plantar"),
        "caution",
        gettext_noop("With a coil, iontophoresis can usually be used, with a few precautions."),
        "IUD outside the current path: caution.",
        _SRC_ION,
    ),
    Rule(
        "ION-08",
        _ION,
        _conditions("arrhythmia"),
        "exclude",
        gettext_noop("Iontophoresis is not used when the heart beats irregularly."),
        "Arrhythmia: contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-09",
        _ION,
        _conditions("heart_disease", "heart_failure", "coronary_disease"),
        "review",
        gettext_noop(
            "Because of your heart condition, a specialist will check whether iontophoresis "
            "suits you."
        ),
        "Heart disease, heart failure or coronary disease: specialist sign-off.",
        _SRC_ION,
    ),
    Rule(
        "ION-10",
        _ION,
        _conditions("epilepsy"),
        "exclude",
        gettext_noop("Iontophoresis is not used for people with epilepsy."),
        "Epilepsy: contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-11",
        _ION,
        lambda p, a, t: a.skin == "broken",
        "exclude",
        gettext_noop("Iontophoresis waits until the skin in this area has healed."),
        "Broken skin in the treatment area: defer until healed.",
        _SRC_ION,
        temporary=True,
    ),
    Rule(
        "ION-12",
        _ION,
        lambda p, a, t: a.skin == "small_fissures",
        "caution",
        gettext_noop(
            "Small cracks in the skin can sting during iontophoresis; a little petroleum jelly "
            "on them first helps."
        ),
        "Small fissures: seal with petroleum jelly before each session.",
        _SRC_ION,
    ),
    Rule(
        "ION-13",
        _ION,
        _reduced_sensation,
        "exclude",
        gettext_noop(
            "Iontophoresis relies on you feeling the skin get too warm, so it is not used where "
            "feeling is reduced."
        ),
        "Reduced sensation in the treatment area: burn risk.",
        _SRC_ION,
        areas=("palmar", "plantar"),
    ),
    Rule(
        "ION-14",
        _ION,
        lambda p, a, t: a.skin == "lesion",
        "exclude",
        gettext_noop(
            "A skin change in this area should be looked at first, so iontophoresis is not used "
            "there."
        ),
        "Suspicious lesion or tumour in the treatment area.",
        _SRC_ION,
    ),
    Rule(
        "ION-15",
        _ION,
        _conditions("thrombosis"),
        "exclude",
        gettext_noop(
            "Iontophoresis is not used for people who have had a blood clot (thrombosis)."
        ),
        "Thrombosis: contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-16",
        _ION,
        lambda p, a, t: p.age < 6,
        "exclude",
        gettext_noop("Iontophoresis is not used for young children."),
        "Age under 6: contraindicated.",
        _SRC_ION,
    ),
    Rule(
        "ION-17",
        _ION,
        lambda p, a, t: 6 <= p.age <= 17,
        "caution",
        gettext_noop(
            "Iontophoresis can be used for children and teenagers, with a gentler setting and "
            "an adult present."
        ),
        "Age 6-17: at most 15 mA, pulsed current, adult present.",
        _SRC_ION + "; NHS iontophoresis leaflets",
    ),
    Rule(
        "ION-19",
        _ION,
        always,
        "not_applicable",
        gettext_noop("Iontophoresis is not used for the face and scalp."),
        "Craniofacial area: not treated with iontophoresis.",
        _SRC_ION,
        areas=("craniofacial",),
    ),
    Rule(
        "ION-22",
        _ION,
        lambda p, a, t: a.ion_failed_adequate,
        "exclude",
        gettext_noop(
            "Iontophoresis was already given a full try and did not help enough, so other "
            "options come first."
        ),
        "Failed after an adequate trial (at least 7 sessions).",
        "RULES.md §3.2 and §5; International Hyperhidrosis Society",
    ),
    Rule(
        "ION-22b",
        _ION,
        lambda p, a, t: a.ion_failed and not a.ion_failed_adequate,
        "caution",
        gettext_noop(
            "Iontophoresis often needs several weeks to work. Finishing a full course, perhaps "
            "with a small change to the water, may still help."
        ),
        "Failed without an adequate trial (< 7 sessions or unknown): finish the trial; check "
        "water hardness.",
        "RULES.md §3.2 and §5; Dermadry treatment schedule; NHS iontophoresis leaflets",
    ),
    Rule(
        "ION-23",
        _ION,
        lambda p, a, t: "dental_braces" in p.metal_implants,
        "review",
        gettext_noop(
            "Braces contain metal, so a specialist will check whether iontophoresis suits you."
        ),
        "Dental braces: specialist sign-off.",
        _SRC_ION,
    ),
    Rule(
        "ION-24",
        _ION,
        lambda p, a, t: "electrical_sensitivity" in p.conditions or a.ion_not_tolerated,
        "review",
        gettext_noop(
            "Because electric current did not suit you before, a specialist will check whether "
            "iontophoresis is right for you."
        ),
        "Electrical sensitivity or iontophoresis not tolerated before: specialist sign-off.",
        _SRC_ION,
    ),
    # --- 3.3 Aluminium chloride ------------------------------------------------------------------
    Rule(
        "AC-02",
        "aluminium_chloride",
        lambda p, a, t: a.skin == "small_fissures",
        "caution",
        gettext_noop(
            "Small cracks in the skin can sting with aluminium chloride; a little petroleum "
            "jelly on them first helps."
        ),
        "Small fissures: irritation; protect them.",
        "RULES.md §3.3; Solish 2007",
    ),
    # --- 3.4 Topical anticholinergic -------------------------------------------------------------
    Rule(
        "TGP-01",
        _TGP,
        always,
        "not_applicable",
        gettext_noop("This medicated wipe or gel is made for the underarms only."),
        "Licensed for axillary hyperhidrosis only.",
        _SRC_TGP,
        areas=_NOT_AXILLARY,
    ),
    Rule(
        "TGP-02",
        _TGP,
        lambda p, a, t: p.age < 9,
        "exclude",
        gettext_noop("This underarm medicine is not used for children under 9."),
        "Age under 9: not licensed.",
        _SRC_TGP,
    ),
    Rule(
        "TGP-03",
        _TGP,
        _conditions(
            "glaucoma_angle_closure",
            "glaucoma_open_angle",
            "gi_obstruction",
            "cardiovascular_unstable",
            "severe_ulcerative_colitis",
            "myasthenia_gravis",
            "sjogren",
        ),
        "exclude",
        gettext_noop(
            "Because of one of your health conditions, this underarm medicine is not used."
        ),
        "Glaucoma, GI obstruction, unstable cardiovascular status, severe ulcerative colitis, "
        "myasthenia gravis or Sjogren's: contraindicated.",
        _SRC_TGP,
    ),
    Rule(
        "TGP-04",
        _TGP,
        _conditions("urinary_retention"),
        "caution",
        gettext_noop(
            "This underarm medicine can make it harder to pass urine, so your specialist will "
            "keep an eye on that."
        ),
        "Urinary retention: caution.",
        _SRC_TGP,
    ),
    Rule(
        "TGP-05",
        _TGP,
        _pregnant_or_breastfeeding,
        "review",
        gettext_noop(
            "During pregnancy or breastfeeding, a specialist will check whether this underarm "
            "medicine suits you."
        ),
        "Pregnancy or breastfeeding: specialist sign-off.",
        _SRC_TGP,
    ),
    Rule(
        "TGP-06",
        _TGP,
        _medications("anticholinergic", "cyp2d6_inhibitor"),
        "caution",
        gettext_noop(
            "One of your medicines can add to the effect of this underarm medicine, so your "
            "specialist will check the combination."
        ),
        "Other anticholinergic or CYP2D6 inhibitor: additive effects / higher exposure.",
        _SRC_TGP,
    ),
    # --- 3.5 Oral anticholinergics ---------------------------------------------------------------
    Rule(
        "OAC-01",
        "oral_glycopyrrolate",
        _conditions("glaucoma_angle_closure", "glaucoma_open_angle"),
        "exclude",
        gettext_noop("This tablet is not used for people with glaucoma."),
        "Glaucoma: glycopyrrolate contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-01b",
        "oral_oxybutynin",
        _conditions("glaucoma_angle_closure"),
        "exclude",
        gettext_noop("This tablet is not used with the kind of glaucoma you have."),
        "Angle-closure or uncontrolled glaucoma: oxybutynin contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-01c",
        "oral_oxybutynin",
        _conditions("glaucoma_open_angle"),
        "review",
        gettext_noop(
            "Because of your glaucoma, a specialist will check whether this tablet suits you."
        ),
        "Controlled open-angle glaucoma: oxybutynin with specialist sign-off.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-02",
        _OAC,
        _conditions("myasthenia_gravis"),
        "exclude",
        gettext_noop("Tablets against sweating are not used for people with myasthenia gravis."),
        "Myasthenia gravis: contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-03",
        _OAC,
        _conditions("urinary_retention"),
        "exclude",
        gettext_noop(
            "Tablets against sweating can make it harder to pass urine, so they are not used "
            "for you."
        ),
        "Urinary retention: contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-04",
        _OAC,
        _conditions("gi_obstruction", "severe_ulcerative_colitis"),
        "exclude",
        gettext_noop(
            "Tablets against sweating slow the bowel, so they are not used with your bowel "
            "condition."
        ),
        "GI obstruction or severe ulcerative colitis: contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-05",
        _OAC,
        _conditions("cardiovascular_unstable"),
        "exclude",
        gettext_noop("Tablets against sweating are not used while the heart needs close care."),
        "Unstable cardiovascular status: contraindicated.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-06",
        _OAC,
        _oac_cardiac,
        "caution",
        gettext_noop(
            "Tablets against sweating can speed up the heart, so your specialist will take your "
            "heart or thyroid into account."
        ),
        "Cardiac disease, hypertension, hyperthyroidism, pacemaker or ICD: tachycardia risk.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-07",
        _OAC,
        lambda p, a, t: p.age >= 65 or "dementia" in p.conditions or "parkinson" in p.conditions,
        "caution",
        gettext_noop(
            "These tablets can cause drowsiness or muddled thinking in some people, so your "
            "specialist will start gently."
        ),
        "Age 65 or over, dementia or Parkinson's: anticholinergic burden.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-08",
        _OAC,
        _pregnant_or_breastfeeding,
        "review",
        gettext_noop(
            "During pregnancy or breastfeeding, a specialist will check whether these tablets "
            "suit you."
        ),
        "Pregnancy or breastfeeding: specialist sign-off.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-09",
        _OAC,
        lambda p, a, t: p.age < 12,
        "review",
        gettext_noop(
            "For children under 12, a specialist will check whether these tablets are suitable."
        ),
        "Age under 12: specialist sign-off.",
        _SRC_OAC,
    ),
    Rule(
        "OAC-10",
        _OAC,
        always,
        "review",
        gettext_noop(
            "Tablets act on the whole body, so for this area they are usually added to another "
            "treatment rather than used first."
        ),
        "Oral anticholinergic for focal (non-craniofacial) sweating: add-on, specialist sign-off.",
        _SRC_OAC + "; McConaghy & Fosselman 2018",
        areas=("palmar", "plantar", "axillary"),
    ),
    # --- 3.6 Botulinum toxin A -------------------------------------------------------------------
    Rule(
        "BTX-01",
        _BTX,
        lambda p, a, t: a.skin == "broken",
        "exclude",
        gettext_noop("Injections wait until the skin in this area has healed."),
        "Infection or broken skin at the injection site: defer until healed.",
        _SRC_BTX,
        temporary=True,
    ),
    Rule(
        "BTX-03",
        _BTX,
        _conditions("myasthenia_gravis", "nmj_disorder"),
        "exclude",
        gettext_noop(
            "Because of a condition affecting the nerves and muscles, botulinum toxin "
            "injections are not used."
        ),
        "Myasthenia gravis or other neuromuscular junction disorder (label warning; POLICY: "
        "exclude).",
        _SRC_BTX + " (POLICY)",
    ),
    Rule(
        "BTX-04",
        _BTX,
        _medications("aminoglycoside", "nmj_blocker"),
        "caution",
        gettext_noop(
            "One of your medicines can strengthen botulinum toxin, so your specialist will plan "
            "the dose with care."
        ),
        "Aminoglycoside or neuromuscular blocker: potentiation.",
        _SRC_BTX,
    ),
    Rule(
        "BTX-05",
        _BTX,
        _pregnant_or_breastfeeding,
        "review",
        gettext_noop(
            "During pregnancy or breastfeeding, a specialist will check whether botulinum toxin "
            "injections suit you."
        ),
        "Pregnancy or breastfeeding: specialist sign-off.",
        _SRC_BTX,
    ),
    Rule(
        "BTX-06",
        _BTX,
        lambda p, a, t: p.age < 18,
        "review",
        gettext_noop(
            "For under-18s, a specialist will check whether botulinum toxin injections suit you."
        ),
        "Age under 18: specialist sign-off.",
        _SRC_BTX,
    ),
    Rule(
        "BTX-07",
        _BTX,
        always,
        "caution",
        gettext_noop(
            "Injections here can briefly weaken nearby muscles, such as a weaker grip or a "
            "heavier brow; your specialist will explain."
        ),
        "Palmar/plantar: hand or foot weakness; craniofacial: brow droop.",
        _SRC_BTX,
        areas=("palmar", "plantar", "craniofacial"),
    ),
    # --- 3.7 Microwave thermolysis ---------------------------------------------------------------
    Rule(
        "MWT-01",
        _MWT,
        always,
        "not_applicable",
        gettext_noop("The microwave treatment (miraDry) is made for the underarms only."),
        "miraDry: axillary only.",
        _SRC_MWT,
        areas=_NOT_AXILLARY,
    ),
    Rule(
        "MWT-02",
        _MWT,
        lambda p, a, t: bool(p.electronic_implants),
        "exclude",
        gettext_noop("miraDry is not used with an implanted electronic device."),
        "Electronic implant: contraindicated.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-03",
        _MWT,
        _conditions("supplemental_oxygen"),
        "exclude",
        gettext_noop("miraDry is not used for people who need extra oxygen."),
        "Supplemental oxygen: contraindicated.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-04",
        _MWT,
        _conditions("lidocaine_intolerance"),
        "exclude",
        gettext_noop(
            "miraDry needs a numbing injection that does not suit you, so it is not used."
        ),
        "Lidocaine intolerance: local anaesthesia needed.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-05",
        _MWT,
        lambda p, a, t: not _MWT_METAL.isdisjoint(p.metal_implants),
        "review",
        gettext_noop(
            "Because of a metal implant near the underarm, a specialist will check whether "
            "miraDry suits you."
        ),
        "Metal implant at shoulder, upper arm or chest: specialist sign-off.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-06",
        _MWT,
        lambda p, a, t: p.pregnant,
        "exclude",
        gettext_noop(
            "miraDry is not used during pregnancy. It can be considered again after the birth."
        ),
        "Pregnancy: contraindicated (temporary).",
        _SRC_MWT,
        temporary=True,
    ),
    Rule(
        "MWT-07",
        _MWT,
        _conditions("prior_axillary_surgery"),
        "review",
        gettext_noop(
            "After earlier underarm surgery, a specialist will check whether miraDry suits you."
        ),
        "Prior axillary surgery: specialist sign-off.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-08",
        _MWT,
        _conditions("immunocompromised"),
        "caution",
        gettext_noop("miraDry can be used, with extra care to prevent infection."),
        "Immunocompromised: infection risk.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-09",
        _MWT,
        _conditions("fitzpatrick_vi"),
        "review",
        gettext_noop("For your skin type, a specialist will check whether miraDry suits you."),
        "Fitzpatrick VI: limited data; specialist sign-off.",
        _SRC_MWT,
    ),
    Rule(
        "MWT-10",
        _MWT,
        lambda p, a, t: p.age < 18,
        "review",
        gettext_noop("For under-18s, a specialist will check whether miraDry suits you."),
        "Age under 18: specialist sign-off.",
        _SRC_MWT,
    ),
    # --- 3.8 Surgery -----------------------------------------------------------------------------
    Rule(
        "ETS-01",
        _ETS,
        always,
        "not_applicable",
        gettext_noop("Nerve surgery is not used for sweaty feet."),
        "Plantar: ETS not offered (POLICY; one guideline allows it as a last resort).",
        _SRC_SURGERY + " (POLICY)",
        areas=("plantar",),
    ),
    Rule(
        "ETS-02",
        _ETS,
        _earlier_option_open,
        "exclude",
        gettext_noop("Surgery is only considered once the gentler options have been tried."),
        "Less invasive options remain open: ETS is last line.",
        _SRC_SURGERY + "; Solish 2007",
        late=True,
    ),
    Rule(
        "ETS-03",
        _ETS,
        always,
        "review",
        gettext_noop(
            "Surgery is always decided with a surgeon, who will also explain that sweating can "
            "increase elsewhere on the body afterwards."
        ),
        "Surgeon decides; counsel on compensatory sweating.",
        _SRC_SURGERY,
    ),
    Rule(
        "LSS-01",
        _LSS,
        always,
        "not_applicable",
        gettext_noop("Surgery to remove sweat glands is done for the underarms only."),
        "Local surgery: axillary only.",
        _SRC_SURGERY,
        areas=_NOT_AXILLARY,
    ),
    Rule(
        "LSS-02",
        _LSS,
        always,
        "review",
        gettext_noop("Surgery is always decided with a surgeon after talking it through with you."),
        "Surgeon decides.",
        _SRC_SURGERY,
    ),
)


RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

# Exclusions that end on their own (healed skin, end of pregnancy): ETS-02 treats an option
# excluded only by these as still open.
TEMPORARY_RULE_IDS = frozenset(r.id for r in RULES if r.temporary)


def rule(rule_id: str) -> Rule:
    """Return the table row with this id (raises KeyError for an unknown id)."""
    return RULES_BY_ID[rule_id]


def _check_table() -> None:
    if len(RULES_BY_ID) != len(RULES):
        raise AssertionError("duplicate rule ids in the table")
    known = frozenset(TREATMENTS)
    for r in RULES:
        if r.effect not in EFFECTS:
            raise AssertionError(f"{r.id}: unknown effect {r.effect!r}")
        if not set(r.targets) <= known or not set(r.areas) <= set(AREAS):
            raise AssertionError(f"{r.id}: unknown treatment or area")


_check_table()
