"""Readable names for the rules engine's codes (RULES.md §1), for patients and for staff.

The codes themselves come from the engine's vocabularies; a test checks that every code has a
label here, so a new code in the engine cannot reach a page unlabelled.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

AREA_LABELS = {
    "palmar": _("Hands (palms)"),
    "plantar": _("Feet (soles)"),
    "axillary": _("Underarms"),
    "craniofacial": _("Face, scalp or head"),
}

# The same areas inside a sentence ("For your hands", "Para las manos"): Spanish needs the article.
AREA_IN_SENTENCE = {
    "palmar": pgettext_lazy("in a sentence, after 'your'", "hands"),
    "plantar": pgettext_lazy("in a sentence, after 'your'", "feet"),
    "axillary": pgettext_lazy("in a sentence, after 'your'", "underarms"),
    "craniofacial": pgettext_lazy("in a sentence, after 'your'", "face and scalp"),
}

HDSS_STATEMENTS = {
    1: _("My sweating is never noticeable and never interferes with my daily activities."),
    2: _("My sweating is tolerable but sometimes interferes with my daily activities."),
    3: _("My sweating is barely tolerable and frequently interferes with my daily activities."),
    4: _("My sweating is intolerable and always interferes with my daily activities."),
}

# What a patient recognises; staff pages show the code beside it.
TREATMENT_LABELS = {
    "aluminium_chloride": _("Strong antiperspirant (aluminium chloride, e.g. Driclor, Drysol)"),
    "iontophoresis": _("Tap-water iontophoresis"),
    "botulinum_toxin": _("Botulinum toxin injections (e.g. Botox)"),
    "topical_anticholinergic": _("Sweat-reducing wipes or gel (glycopyrronium, sofpironium)"),
    "oral_glycopyrrolate": _("Glycopyrrolate tablets"),
    "oral_oxybutynin": _("Oxybutynin tablets"),
    "microwave_thermolysis": _("Microwave treatment of the underarms (miraDry)"),
    "local_surgery": _("Surgery to remove underarm sweat glands"),
    "sympathectomy": _("Nerve surgery (sympathectomy, ETS)"),
}

# Short names for staff tables.
TREATMENT_SHORT = {
    "aluminium_chloride": _("Aluminium chloride"),
    "iontophoresis": _("Iontophoresis"),
    "botulinum_toxin": _("Botulinum toxin"),
    "topical_anticholinergic": _("Topical anticholinergic"),
    "oral_glycopyrrolate": _("Oral glycopyrrolate"),
    "oral_oxybutynin": _("Oral oxybutynin"),
    "microwave_thermolysis": _("Microwave thermolysis"),
    "local_surgery": _("Local surgery"),
    "sympathectomy": _("Sympathectomy (ETS)"),
}

RED_FLAG_LABELS = {
    "night_sweats": _("Drenching sweats at night that soak my sheets or night clothes"),
    "weight_loss": _("Losing weight without trying"),
    "fever": _("Fever, or feeling hot and shivery"),
    "feels_unwell": _("Feeling generally unwell or very tired lately"),
    "palpitations": _("A racing, pounding or irregular heartbeat"),
    "chest_pain": _("Pain or tightness in my chest"),
    "drug_onset": _("The sweating started after I began a new medicine"),
}

ELECTRONIC_IMPLANT_LABELS = {
    "pacemaker": _("A pacemaker"),
    "icd": _("An implanted defibrillator (ICD)"),
    "other": _(
        "Another electronic device inside my body (for example a nerve stimulator, "
        "an implanted medicine pump or a cochlear implant)"
    ),
}

METAL_SITE_LABELS = {
    "hand": _("Hand or fingers"),
    "wrist": _("Wrist"),
    "forearm": _("Forearm"),
    "elbow": _("Elbow"),
    "upper_arm": _("Upper arm"),
    "shoulder": _("Shoulder or collarbone"),
    "chest": _("Chest or ribs (for example wires after heart surgery)"),
    "spine": _("Spine or back"),
    "pelvis": _("Pelvis"),
    "hip": _("Hip"),
    "thigh": _("Thigh"),
    "knee": _("Knee"),
    "lower_leg": _("Lower leg or shin"),
    "ankle": _("Ankle"),
    "foot": _("Foot or toes"),
    "head": _("Head or skull (not the teeth)"),
    "dental_braces": _("Fixed braces on my teeth"),
}

IUD_LABELS = {
    "none": _("No IUD"),
    "copper": _("Copper IUD (non-hormonal coil)"),
    "hormonal": _("Hormonal IUD (for example Mirena or Kyleena)"),
}

CONDITION_LABELS = {
    "epilepsy": _("Epilepsy or seizures"),
    "arrhythmia": _("An irregular heartbeat (arrhythmia, for example atrial fibrillation)"),
    "heart_disease": _("Heart disease"),
    "heart_failure": _("Heart failure"),
    "coronary_disease": _("Angina, a heart attack, or narrowed heart arteries"),
    "hypertension": _("High blood pressure"),
    "hyperthyroidism": _("An overactive thyroid"),
    "cardiovascular_unstable": _(
        "A heart or blood-pressure problem that is not under control right now"
    ),
    "reduced_sensation_hands": _("Numbness or reduced feeling in my hands"),
    "reduced_sensation_feet": _("Numbness or reduced feeling in my feet"),
    "thrombosis": _("A blood clot in a vein (thrombosis)"),
    "electrical_sensitivity": _(
        "I react badly to electric current (for example from a TENS machine)"
    ),
    "glaucoma_angle_closure": _("Glaucoma: narrow-angle, or not well controlled"),
    "glaucoma_open_angle": _("Glaucoma: open-angle and well controlled"),
    "myasthenia_gravis": _("Myasthenia gravis"),
    "nmj_disorder": _(
        "Another nerve and muscle disease (for example Lambert-Eaton syndrome or ALS)"
    ),
    "urinary_retention": _(
        "Trouble emptying my bladder (including an enlarged prostate that blocks the flow)"
    ),
    "gi_obstruction": _("A blockage in my stomach or bowel, or a stomach that empties slowly"),
    "severe_ulcerative_colitis": _("Severe ulcerative colitis"),
    "sjogren": _("Sjögren's syndrome (very dry eyes and mouth)"),
    "dementia": _("Dementia or serious memory problems"),
    "parkinson": _("Parkinson's disease"),
    "immunocompromised": _("A weak immune system (from an illness or from medicines)"),
    "supplemental_oxygen": _("I use oxygen at home"),
    "lidocaine_intolerance": _("I cannot have local anaesthetic (lidocaine)"),
    "prior_axillary_surgery": _("I have had an operation in my underarms"),
    "fitzpatrick_vi": _("My skin is naturally very dark brown or black (skin type VI)"),
}

SKIN_LABELS = {
    "intact": _("Healthy skin"),
    "small_fissures": _("Small cracks, or dry and chapped patches"),
    "broken": _("An open wound, an infection or an inflamed rash"),
    "lesion": _("A mole, growth or spot that worries me"),
}

MEDICATION_LABELS = {
    "aminoglycoside": _(
        "An antibiotic given by injection or drip, such as gentamicin, tobramycin or amikacin"
    ),
    "nmj_blocker": _("A muscle-relaxing medicine given in hospital (for example for surgery)"),
    "anticholinergic": _(
        "A medicine that dries the mouth, for example for an overactive bladder (oxybutynin, "
        "tolterodine) or travel sickness (scopolamine patches)"
    ),
    "cyp2d6_inhibitor": _(
        "Fluoxetine, paroxetine, bupropion, duloxetine, quinidine or terbinafine"
    ),
}

OUTCOME_LABELS = {
    "failed": _("It didn't help"),
    "not_tolerated": _("I had to stop because of side effects"),
    "helped": _("It helped"),
    "ongoing": _("I'm using it now"),
}

STATUS_LABELS = {
    "ok": _("ok"),
    "caution": _("caution"),
    "review": _("review"),
    "excluded": _("excluded"),
    "not_applicable": _("not applicable"),
}

# Bootstrap colour of each option status on staff pages.
STATUS_CLASSES = {
    "ok": "success",
    "caution": "warning",
    "review": "info",
    "excluded": "danger",
    "not_applicable": "secondary",
}

# The "not sure" answers, as staff read them. Each names the profile field it is about, so a
# staff correction of that field settles it.
FLAG_LABELS = {
    "generalized_unsure": (
        "generalized",
        pgettext_lazy("flag", "Not sure whether the sweating is all over the body"),
    ),
    "onset_age_estimated": ("onset_age", pgettext_lazy("flag", "Age at onset is a guess")),
    "bilateral_symmetric_unsure": (
        "bilateral_symmetric",
        pgettext_lazy("flag", "Not sure whether both sides are affected equally"),
    ),
    "weekly_episodes_unsure": (
        "weekly_episodes",
        pgettext_lazy("flag", "Not sure whether it happens every week"),
    ),
    "family_history_unsure": (
        "family_history",
        pgettext_lazy("flag", "Not sure about family history"),
    ),
    "sweats_during_sleep_unsure": (
        "sweats_during_sleep",
        pgettext_lazy("flag", "Not sure whether they sweat during sleep"),
    ),
    "pregnant_unsure": ("pregnant", pgettext_lazy("flag", "Not sure whether pregnant")),
    "electronic_implants_unsure": (
        "electronic_implants",
        pgettext_lazy("flag", "Not sure whether they have an electronic implant"),
    ),
    "metal_implants_unsure": (
        "metal_implants",
        pgettext_lazy("flag", "Not sure whether they have metal implants (sites are a guess)"),
    ),
    "iud_type_unsure": ("iud", pgettext_lazy("flag", "Has an IUD, not sure which type")),
    "glaucoma_type_unsure": (
        "conditions",
        pgettext_lazy("flag", "Has glaucoma, not sure which kind"),
    ),
    "medications_unsure": (
        "medications",
        pgettext_lazy("flag", "Takes medicines, not sure whether any of the listed kinds"),
    ),
}


def _skin_flag_area(code: str) -> str | None:
    if code.startswith("skin_") and code.endswith("_unsure"):
        area = code[len("skin_") : -len("_unsure")]
        return area if area in AREA_LABELS else None
    return None


def flag_label(code: str) -> str:
    area = _skin_flag_area(code)
    if area is not None:
        return str(
            pgettext_lazy("flag", "Not sure about the state of the skin: %(area)s")
            % {"area": AREA_LABELS[area]}
        )
    entry = FLAG_LABELS.get(code)
    return str(entry[1]) if entry else code


def flag_field(code: str) -> str | None:
    if _skin_flag_area(code) is not None:
        return "skin"
    entry = FLAG_LABELS.get(code)
    return entry[0] if entry else None


# Counts in a treatment tried ("12 sessions, 4 weeks"): plural-aware, 1 is "1 session".
def sessions_text(n: int) -> str:
    return ngettext("%(n)s session", "%(n)s sessions", n) % {"n": n}


def weeks_text(n: int) -> str:
    return ngettext("%(n)s week", "%(n)s weeks", n) % {"n": n}
