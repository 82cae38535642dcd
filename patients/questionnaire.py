"""The questionnaire's steps, and the one function that turns saved answers into the RULES.md
profile (engine input).

"Not sure" answers never reach the profile as such: the profile gets the safe value (the one
that makes the engine more careful) and a flag beside it tells staff that the patient was
unsure, so they can ask and correct the screen:

    generalized            not sure → true (work-up first)        generalized_unsure
    bilateral_symmetric    not sure → false (work-up first)       bilateral_symmetric_unsure
    weekly_episodes        not sure → false                       weekly_episodes_unsure
    family_history         not sure → false                       family_history_unsure
    sweats_during_sleep    not sure → true (work-up first)        sweats_during_sleep_unsure
    pregnant               not sure → true                        pregnant_unsure
    electronic_implants    not sure → ["other"]                   electronic_implants_unsure
    metal_implants         not sure → the sites they ticked       metal_implants_unsure
    iud                    not sure which → "copper"              iud_type_unsure
    glaucoma               not sure which → angle-closure         glaucoma_type_unsure
    skin (per area)        not sure → "broken"                    skin_<area>_unsure
    medications            not sure → (nothing added)             medications_unsure
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from treatments.rules import AREAS

from . import labels
from .forms.intake import (
    CONDITION_GROUPS,
    NO,
    STEP_FORMS,
    UNSURE,
    YES,
    StepForm,
    tried_entries,
)
from .labels import sessions_text, weeks_text

STEPS: dict[str, type[StepForm]] = {form.name: form for form in STEP_FORMS}
STEP_NAMES: tuple[str, ...] = tuple(STEPS)


def affected_areas(answers: dict) -> tuple[str, ...]:
    """The focal areas the patient marked as affected (any HDSS), in the engine's order."""
    chosen = answers.get("areas") or {}
    return tuple(a for a in AREAS if _as_int(chosen.get(a)) > 0)


def _as_int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def step_form(step: str, answers: dict, *, age: int | None, data=None) -> StepForm:
    """The form of ``step``: bound to ``data`` (a POST), else filled with the saved answers."""
    form_class = STEPS[step]
    kwargs = {"areas": affected_areas(answers), "age": age}
    if data is not None:
        return form_class(data=data, **kwargs)
    saved = answers.get(step)
    return form_class(initial=saved or None, **kwargs)


def step_is_complete(step: str, answers: dict, *, age: int | None) -> bool:
    """True when the step was saved and its saved answers are still valid (a step can become
    incomplete again, e.g. the skin step after a new area was added)."""
    saved = answers.get(step)
    if saved is None:
        return False
    form = STEPS[step](data=saved, areas=affected_areas(answers), age=age)
    return form.is_valid()


def incomplete_steps(answers: dict, *, age: int | None) -> list[str]:
    return [s for s in STEP_NAMES if not step_is_complete(s, answers, age=age)]


def next_step(step: str) -> str | None:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[index + 1] if index + 1 < len(STEP_NAMES) else None


def previous_step(step: str) -> str | None:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[index - 1] if index > 0 else None


def _choice_names(form_field) -> dict[str, str]:
    return {str(key): str(name) for key, name in getattr(form_field, "choices", [])}


def _answer_text(form_field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    names = _choice_names(form_field)
    if isinstance(value, list):
        return "; ".join(names.get(str(v), str(v)) for v in value) or _("None")
    return names.get(str(value), str(value))


def answer_rows(step: str, answers: dict, *, age: int | None) -> list[dict]:
    """The saved answers of one step as (question, answer) rows in plain words, for the
    patient's review page."""
    saved = answers.get(step)
    if saved is None:
        return []
    if step == "tried":
        return [
            {
                "name": e["treatment"],
                "label": labels.TREATMENT_LABELS[e["treatment"]],
                "text": _tried_answer_text(e),
            }
            for e in tried_entries(saved)
        ] or [{"name": "none", "label": _("Treatments tried"), "text": _("None")}]
    form = STEPS[step](areas=affected_areas(answers), age=age)
    rows = []
    for name, form_field in form.fields.items():
        value = saved.get(name)
        if name in ("duration_unit", "onset_age_estimated"):
            continue
        text = _answer_text(form_field, value)
        if name == "duration_amount" and value is not None:
            unit = saved.get("duration_unit")
            text = (
                ngettext("%(n)s year", "%(n)s years", value)
                if unit == "years"
                else ngettext("%(n)s month", "%(n)s months", value)
            ) % {"n": value}
        if name == "onset_age" and saved.get("onset_age_estimated"):
            text = _("%(age)s (a guess)") % {"age": value}
        rows.append({"name": name, "label": form_field.label, "text": text})
    return rows


def _tried_answer_text(entry: dict) -> str:
    parts = [str(labels.OUTCOME_LABELS[entry["outcome"]])]
    if "sessions" in entry:
        parts.append(sessions_text(entry["sessions"]))
    if "weeks" in entry:
        parts.append(weeks_text(entry["weeks"]))
    if "area" in entry:
        parts.append(str(labels.AREA_LABELS[entry["area"]]))
    return ", ".join(parts)


@dataclass
class ProfileBuild:
    profile: dict
    flags: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def build_profile(answers: dict, *, age: int, recorded: list[dict] = ()) -> ProfileBuild:
    """Turn an intake's saved answers into a RULES.md §1 profile, the "not sure" flags and the
    free-text notes. Every profile key is written out, so staff see exactly what the engine
    saw. ``recorded`` are ``tried`` entries the clinic recorded itself (e.g. iontophoresis that
    failed after an adequate trial, with its session count): they follow the patient's own
    answers, once each. The caller validates the result with the engine's
    ``validate_profile``."""
    flags: list[str] = []
    notes: dict[str, str] = {}

    def tri(value, *, unsure_means: bool, flag: str) -> bool:
        if value == UNSURE:
            flags.append(flag)
            return unsure_means
        return value == YES

    areas_answers = answers.get("areas") or {}
    history = answers.get("history") or {}
    warning = answers.get("warning_signs") or {}
    pregnancy = answers.get("pregnancy") or {}
    implants = answers.get("implants") or {}
    iud_answers = answers.get("iud") or {}
    conditions_answers = answers.get("conditions") or {}
    skin_answers = answers.get("skin") or {}
    allergies_answers = answers.get("allergies") or {}
    medications_answers = answers.get("medications") or {}
    tried_answers = answers.get("tried") or {}

    areas = {a: _as_int(areas_answers.get(a)) for a in affected_areas(answers)}
    generalized = tri(
        areas_answers.get("generalized"), unsure_means=True, flag="generalized_unsure"
    )

    onset_age = history.get("onset_age")
    if history.get("onset_age_estimated"):
        flags.append("onset_age_estimated")
    amount = history.get("duration_amount")
    duration_months = None
    if amount is not None:
        duration_months = amount * 12 if history.get("duration_unit") == "years" else amount
    bilateral = tri(
        history.get("bilateral_symmetric"), unsure_means=False, flag="bilateral_symmetric_unsure"
    )
    weekly = tri(history.get("weekly_episodes"), unsure_means=False, flag="weekly_episodes_unsure")
    family = tri(history.get("family_history"), unsure_means=False, flag="family_history_unsure")
    sleep = tri(
        history.get("sweats_during_sleep"), unsure_means=True, flag="sweats_during_sleep_unsure"
    )

    pregnant = tri(pregnancy.get("pregnant"), unsure_means=True, flag="pregnant_unsure")
    breastfeeding = pregnancy.get("breastfeeding") == YES

    electronic = list(implants.get("electronic") or [])
    if UNSURE in electronic:
        flags.append("electronic_implants_unsure")
        electronic = ["other"]
    metal = implants.get("metal")
    metal_sites = list(implants.get("metal_sites") or []) if metal in (YES, UNSURE) else []
    if metal == UNSURE:
        flags.append("metal_implants_unsure")

    iud = iud_answers.get("iud") or "none"
    if iud == UNSURE:
        flags.append("iud_type_unsure")
        iud = "copper"

    conditions: list[str] = []
    for group in CONDITION_GROUPS:
        conditions.extend(conditions_answers.get(group) or [])
    glaucoma = conditions_answers.get("glaucoma")
    if glaucoma == UNSURE:
        flags.append("glaucoma_type_unsure")
        conditions.append("glaucoma_angle_closure")
    elif glaucoma and glaucoma != NO:
        conditions.append(glaucoma)
    if conditions_answers.get("other_text"):
        notes["conditions"] = conditions_answers["other_text"]

    skin = {}
    for area in areas:
        state = skin_answers.get(area) or "intact"
        if state == UNSURE:
            flags.append(f"skin_{area}_unsure")
            state = "broken"
        skin[area] = state

    allergies = list(allergies_answers.get("allergies") or [])
    if allergies_answers.get("other_text"):
        notes["allergies"] = allergies_answers["other_text"]

    medications = list(medications_answers.get("medications") or [])
    if UNSURE in medications:
        flags.append("medications_unsure")
        medications.remove(UNSURE)
    if medications_answers.get("list_text"):
        notes["medications"] = medications_answers["list_text"]

    profile = {
        "age": age,
        "pregnant": pregnant,
        "breastfeeding": breastfeeding,
        "areas": areas,
        "generalized": generalized,
        "onset_age": onset_age,
        "duration_months": duration_months,
        "bilateral_symmetric": bilateral,
        "weekly_episodes": weekly,
        "family_history": family,
        "sweats_during_sleep": sleep,
        "red_flags": list(warning.get("red_flags") or []),
        "electronic_implants": electronic,
        "metal_implants": metal_sites,
        "iud": iud,
        "conditions": _ordered_unique(conditions),
        "skin": skin,
        "allergies": allergies,
        "medications": medications,
        "tried": _with_recorded(tried_entries(tried_answers), recorded),
    }
    # A key the patient has not answered yet is left out, so the engine names it.
    profile = {k: v for k, v in profile.items() if v is not None}
    return ProfileBuild(profile=profile, flags=flags, notes=notes)


def _with_recorded(entries: list[dict], recorded) -> list[dict]:
    return entries + [r for r in recorded if r not in entries]


def _ordered_unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
