"""Complete, valid intake answers (the shape each step's form saves), to vary one at a time."""

import copy
import datetime

from treatments.rules import TREATMENTS

BASE_ANSWERS = {
    "about": {"date_of_birth": "1990-05-17"},
    "areas": {"palmar": 3, "plantar": 0, "axillary": 0, "craniofacial": 0, "generalized": "no"},
    "history": {
        "onset_age": 14,
        "onset_age_estimated": False,
        "duration_amount": 10,
        "duration_unit": "years",
        "bilateral_symmetric": "yes",
        "weekly_episodes": "yes",
        "family_history": "yes",
        "sweats_during_sleep": "no",
    },
    "warning_signs": {"red_flags": []},
    "pregnancy": {"pregnant": "no", "breastfeeding": "no"},
    "implants": {"electronic": [], "metal": "no", "metal_sites": []},
    "iud": {"iud": "none"},
    "conditions": {
        "heart": [],
        "nerves": [],
        "bladder_bowel": [],
        "glaucoma": "no",
        "other": [],
        "other_text": "",
    },
    "skin": {"palmar": "intact"},
    "allergies": {"allergies": [], "other_text": ""},
    "medications": {"medications": [], "list_text": ""},
    "tried": {
        key: value
        for t in TREATMENTS
        for key, value in (
            (f"{t}_outcome", ""),
            (f"{t}_sessions", None),
            (f"{t}_weeks", None),
            (f"{t}_area", "all"),
        )
    },
}
BASE_BIRTH_DATE = datetime.date(1990, 5, 17)


def answers(**steps) -> dict:
    """BASE_ANSWERS with some steps' answers updated: answers(iud={"iud": "copper"})."""
    out = copy.deepcopy(BASE_ANSWERS)
    for step, changes in steps.items():
        out[step] = {**out[step], **changes}
    return out


def as_post(step: str, step_answers: dict) -> dict:
    """A step's answers as a browser would POST them (lists stay lists, None is empty)."""
    data = {}
    for key, value in step_answers.items():
        if value is None or value is False:
            continue
        data[key] = "on" if value is True else value
    return data


def submitted_screen(patient, user, *, signed_name="Ann Example", today=None, **steps):
    """Fill a whole questionnaire for ``patient`` (as ``user``) and submit it: the screen."""
    from patients.models import Intake
    from patients.services.intake import intake_start, intake_submit

    intake = intake_start(patient=patient, user=user)
    Intake.objects.filter(pk=intake.pk).update(answers=answers(**steps))
    return intake_submit(intake_id=intake.pk, user=user, signed_name=signed_name, today=today)
