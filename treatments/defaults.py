"""What each treatment needs in a plan, and the defaults the specialist starts from
(RULES.md §5 for iontophoresis; the clinic's usual review intervals for the others)."""

import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from patients.labels import AREA_IN_SENTENCE, TREATMENT_SHORT

from .schedule import DEFAULT_WEEKDAYS

# How a treatment is planned: what the item must carry besides the treatment and areas.
IONTOPHORESIS = "iontophoresis"  # setting, minutes, current, phases, weekdays, start, water
TOPICAL = "topical"  # application instructions, review after 4 weeks
PROCEDURE = "procedure"  # in-clinic procedure date and a follow-up
PRESCRIPTION = "prescription"  # prescription note and a review date
REFERRAL = "referral"  # referral letter and a follow-up

NEEDS = {
    "iontophoresis": IONTOPHORESIS,
    "aluminium_chloride": TOPICAL,
    "botulinum_toxin": PROCEDURE,
    "topical_anticholinergic": PRESCRIPTION,
    "oral_glycopyrrolate": PRESCRIPTION,
    "oral_oxybutynin": PRESCRIPTION,
    "microwave_thermolysis": REFERRAL,
    "local_surgery": REFERRAL,
    "sympathectomy": REFERRAL,
}

INSTRUCTIONS_LABEL = {
    TOPICAL: _("Application instructions"),
    PROCEDURE: _("Procedure notes"),
    PRESCRIPTION: _("Prescription note"),
    REFERRAL: _("Referral letter"),
}

REVIEW_LABEL = {
    IONTOPHORESIS: _("Review consultation"),
    TOPICAL: _("Review after 4 weeks"),
    PROCEDURE: _("Follow-up visit"),
    PRESCRIPTION: _("Review date"),
    REFERRAL: _("Follow-up after the referral"),
}

# Weeks from the start (or the procedure) to the review.
REVIEW_AFTER_WEEKS = {TOPICAL: 4, PROCEDURE: 4, PRESCRIPTION: 4, REFERRAL: 8}
PROCEDURE_AFTER_DAYS = 14

SESSION_MINUTES = {"palmar": 20, "axillary": 20, "plantar": 30, "craniofacial": 20}
DEFAULT_CURRENT_MA = {True: 10, False: 12}  # under 18: 10 mA pulsed; adults start at 12 mA
INITIAL_WEEKS = 4
SESSIONS_PER_WEEK = len(DEFAULT_WEEKDAYS)
MAINTENANCE_INTERVAL_WEEKS = 1

INSTRUCTIONS = {
    # The patient reads these on "My treatment": written in the patient's language.
    "aluminium_chloride": _(
        "Apply a thin layer at bedtime to completely dry skin ({areas}), every night until the "
        "sweating settles (usually 1–2 weeks), then once or twice a week as needed. Wash it off "
        "in the morning. Do not apply to broken, freshly shaved or irritated skin. If it stings "
        "or itches, skip a night and use a mild moisturiser."
    ),
    "botulinum_toxin": (
        "Botulinum toxin injections to {areas} in the clinic. Starch-iodine test before "
        "injecting; topical anaesthetic cream 60 minutes before. The effect starts in 2–7 days "
        "and usually lasts 4–6 months."
    ),
    "topical_anticholinergic": (
        "Rx: glycopyrronium cloth 2.4%, apply once daily to both underarms ({areas}); wash "
        "hands after use; do not touch the eyes. Stop and call if vision blurs or urination is "
        "difficult."
    ),
    "oral_glycopyrrolate": (
        "Rx: glycopyrrolate 1 mg once daily for 1 week, then twice daily if needed (max 2 mg "
        "twice daily), for {areas}. Expect a dry mouth; avoid overheating in hot weather."
    ),
    "oral_oxybutynin": (
        "Rx: oxybutynin 2.5 mg once daily for 1 week, then twice daily; increase to 5 mg twice "
        "daily if needed, for {areas}. Expect a dry mouth; avoid overheating in hot weather."
    ),
    "microwave_thermolysis": (
        "Dear colleague,\n\nPlease see {name} for microwave thermolysis (miraDry) of the "
        "{areas}. Primary focal hyperhidrosis, HDSS {hdss}. Treatments tried and the reason for "
        "referral are in the enclosed summary.\n\nKind regards"
    ),
    "local_surgery": (
        "Dear colleague,\n\nPlease see {name} to consider local sweat-gland surgery of the "
        "{areas}. Primary focal hyperhidrosis, HDSS {hdss}. Treatments tried and the reason for "
        "referral are in the enclosed summary.\n\nKind regards"
    ),
    "sympathectomy": (
        "Dear colleague,\n\nPlease see {name} to consider endoscopic thoracic sympathectomy "
        "for {areas}. Primary focal hyperhidrosis, HDSS {hdss}; other options have been "
        "exhausted or excluded. Please counsel about compensatory sweating.\n\nKind regards"
    ),
}


def areas_text(areas) -> str:
    return str(_(" and ")).join(str(AREA_IN_SENTENCE.get(a, a)) for a in areas)


def treatment_label(treatment: str) -> str:
    return str(TREATMENT_SHORT.get(treatment, treatment))


def default_minutes(areas) -> int:
    return max(SESSION_MINUTES.get(a, 20) for a in areas)


def default_instructions(
    treatment: str, *, areas, patient_name: str, hdss: int, language: str | None = None
) -> str:
    """The text the specialist starts from. What the patient reads (a topical's application
    instructions) is in the patient's ``language``; notes for clinicians stay in English."""
    template = INSTRUCTIONS.get(treatment, "")
    language = language if NEEDS.get(treatment) == TOPICAL and language else "en"
    with translation.override(language):
        return str(template).format(areas=areas_text(areas), name=patient_name, hdss=hdss)


def default_item(
    treatment: str,
    *,
    areas,
    start: datetime.date,
    minor: bool,
    patient_name: str,
    hdss: int,
    language: str | None = None,
) -> dict:
    """The values a new item starts from (the form's initial data)."""
    needs = NEEDS[treatment]
    if needs == IONTOPHORESIS:
        return {
            "setting": "home",
            "session_minutes": default_minutes(areas),
            "current_ma": DEFAULT_CURRENT_MA[minor],
            "pulsed": minor,
            "sessions_per_week": SESSIONS_PER_WEEK,
            "initial_weeks": INITIAL_WEEKS,
            "weekdays": [str(d) for d in DEFAULT_WEEKDAYS],
            "maintenance_interval_weeks": MAINTENANCE_INTERVAL_WEEKS,
            "start_date": start,
            "water": "tap",
            "review_date": start + datetime.timedelta(weeks=INITIAL_WEEKS),
        }
    values = {
        "instructions": default_instructions(
            treatment, areas=areas, patient_name=patient_name, hdss=hdss, language=language
        ),
        "start_date": start,
    }
    if needs == PROCEDURE:
        procedure = start + datetime.timedelta(days=PROCEDURE_AFTER_DAYS)
        values["procedure_date"] = procedure
        values["review_date"] = procedure + datetime.timedelta(weeks=REVIEW_AFTER_WEEKS[needs])
    else:
        values["review_date"] = start + datetime.timedelta(weeks=REVIEW_AFTER_WEEKS[needs])
    return values
