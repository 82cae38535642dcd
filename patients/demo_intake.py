"""Demo questionnaires and screens of different kinds, made through the real services (so the
engine runs and every screen is what the app would have made):

- Maria: palmar HDSS 3 with a pacemaker (iontophoresis excluded), waiting for review;
- James: night sweats and weight loss (refer first), waiting for review;
- Aisha: underarms and hands, not sure which IUD she has (a flag), waiting for review;
- Kenji: hands and feet, knee replacement, reviewed and cleared;
- Chloe: not sure about her IUD, corrected by the nurse after a call (two screens);
- Liam: underarms, staff asked for more information (questionnaire reopened);
- Lily (Grace's daughter, 11): filled in by her mother, waiting for review;
- Sofia: half-way through, not sent yet.
"""

import datetime

from clinic.accounts.models import User
from clinic.demo import DEMO_DOMAIN
from treatments.rules import AREAS, TREATMENTS

from .models import Intake, Patient, Screen
from .services.intake import intake_save_step, intake_start, intake_submit
from .services.screens import screen_correct, screen_review


def _answers(
    *,
    dob: datetime.date,
    areas: dict,
    generalized="no",
    onset=14,
    years=10,
    both="yes",
    weekly="yes",
    family="yes",
    sleep="no",
    red_flags=(),
    pregnant="no",
    breastfeeding="no",
    electronic=(),
    metal="no",
    metal_sites=(),
    iud="none",
    heart=(),
    nerves=(),
    glaucoma="no",
    other=(),
    other_text="",
    skin=None,
    allergies=(),
    medications=(),
    medications_text="",
    tried=None,
) -> dict:
    tried_answers = {}
    for treatment in TREATMENTS:
        outcome, sessions, weeks = (tried or {}).get(treatment, ("", None, None))
        tried_answers.update(
            {
                f"{treatment}_outcome": outcome,
                f"{treatment}_sessions": sessions,
                f"{treatment}_weeks": weeks,
                f"{treatment}_area": "all",
            }
        )
    return {
        "about": {"date_of_birth": dob.isoformat()},
        "areas": {**{a: areas.get(a, 0) for a in AREAS}, "generalized": generalized},
        "history": {
            "onset_age": onset,
            "onset_age_estimated": False,
            "duration_amount": years,
            "duration_unit": "years",
            "bilateral_symmetric": both,
            "weekly_episodes": weekly,
            "family_history": family,
            "sweats_during_sleep": sleep,
        },
        "warning_signs": {"red_flags": list(red_flags)},
        "pregnancy": {"pregnant": pregnant, "breastfeeding": breastfeeding},
        "implants": {
            "electronic": list(electronic),
            "metal": metal,
            "metal_sites": list(metal_sites),
        },
        "iud": {"iud": iud},
        "conditions": {
            "heart": list(heart),
            "nerves": list(nerves),
            "bladder_bowel": [],
            "glaucoma": glaucoma,
            "other": list(other),
            "other_text": other_text,
        },
        "skin": skin if skin is not None else {a: "intact" for a in areas},
        "allergies": {"allergies": list(allergies), "other_text": ""},
        "medications": {"medications": list(medications), "list_text": medications_text},
        "tried": tried_answers,
    }


def _fill(patient: Patient, user: User, answers: dict, *, steps=None) -> Intake:
    intake = intake_start(patient=patient, user=user)
    for step, step_answers in answers.items():
        if steps is not None and step not in steps:
            continue
        intake_save_step(intake_id=intake.pk, step=step, answers=step_answers, user=user)
    return intake


def _user(local: str) -> User | None:
    return User.objects.filter(email=f"{local}@{DEMO_DOMAIN}").first()


def _patient(local: str) -> Patient | None:
    return Patient.objects.filter(user__email=f"{local}@{DEMO_DOMAIN}").first()


def build(log):
    nurse = _user("nurse")
    if nurse is None:
        return []
    cases = [
        ("maria", {"areas": {"palmar": 3}, "electronic": ["pacemaker"]}, "submit"),
        (
            "james",
            {
                "areas": {"palmar": 2, "axillary": 3},
                "onset": 38,
                "years": 1,
                "sleep": "yes",
                "red_flags": ["night_sweats", "weight_loss"],
                "family": "no",
            },
            "submit",
        ),
        (
            "aisha",
            {
                "areas": {"axillary": 3, "palmar": 2},
                "iud": "unsure",
                "tried": {"aluminium_chloride": ("failed", None, 8)},
            },
            "submit",
        ),
        (
            "kenji",
            {"areas": {"palmar": 4, "plantar": 3}, "metal": "yes", "metal_sites": ["knee"]},
            "cleared",
        ),
        ("chloe", {"areas": {"plantar": 3}, "iud": "unsure"}, "correct"),
        (
            "liam",
            {
                "areas": {"axillary": 3},
                "tried": {"botulinum_toxin": ("not_tolerated", 1, None)},
                "medications": ["unsure"],
                "medications_text": "Something for my bladder, I forget the name",
            },
            "info",
        ),
        ("sofia", {"areas": {"palmar": 3, "plantar": 2}}, "draft"),
    ]
    for local, options, outcome in cases:
        patient = _patient(local)
        if patient is None or patient.date_of_birth is None or patient.intakes.exists():
            continue
        answers = _answers(dob=patient.date_of_birth, **options)
        if outcome == "draft":
            _fill(patient, patient.user, answers, steps=("about", "areas", "history"))
            log(f"half-filled questionnaire for {local}")
            continue
        intake = _fill(patient, patient.user, answers)
        screen = intake_submit(
            intake_id=intake.pk, user=patient.user, signed_name=patient.legal_name
        )
        if outcome == "cleared":
            screen_review(
                screen_id=screen.pk,
                outcome=Screen.Outcome.CLEARED,
                note="Knee replacement is on the feet's current path: iontophoresis for the "
                "hands only; feet to discuss with Dr Ng.",
                message_to_patient="",
                user=nurse,
            )
        elif outcome == "correct":
            screen_correct(
                screen_id=screen.pk,
                field="iud",
                value="hormonal",
                reason="Called the patient: her IUD is a Mirena (hormonal).",
                user=nurse,
            )
        elif outcome == "info":
            screen_review(
                screen_id=screen.pk,
                outcome=Screen.Outcome.INFO_REQUESTED,
                note="Needs the name of the bladder medicine (anticholinergic?).",
                message_to_patient="Could you tell us the name of the medicine you take for "
                "your bladder? You can find it on the box or the pharmacy label.",
                user=nurse,
            )
        log(f"questionnaire and screen for {local} ({outcome})")

    grace = _user("grace")
    if grace is not None:
        lily, created = Patient.objects.get_or_create(
            guardian=grace,
            legal_name="Lily Kim",
            defaults={"preferred_name": "Lily", "date_of_birth": datetime.date(2014, 9, 3)},
        )
        if not lily.intakes.exists():
            answers = _answers(
                dob=lily.date_of_birth, areas={"palmar": 3, "plantar": 2}, onset=8, years=3
            )
            intake = _fill(lily, grace, answers)
            intake_submit(intake_id=intake.pk, user=grace, signed_name="Grace Kim")
            log("questionnaire for Lily Kim, filled by her mother Grace")
    return []
