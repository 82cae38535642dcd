"""The intake questionnaire's steps: one topic per step, plain words, "I'm not sure" where a
patient may honestly not know.

Each form validates shape only and lists its fields. ``answers()`` gives the JSON stored on the
intake for that step; the same JSON fed back as ``data`` re-validates it (how the review page
knows which steps are complete). ``patients.questionnaire`` turns the answers into the RULES.md
profile.
"""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from treatments.rules import (
    AREAS,
    ELECTRONIC_IMPLANTS,
    MEDICATIONS,
    METAL_SITES,
    OUTCOMES,
    RED_FLAGS,
    SKIN_STATES,
    TREATMENTS,
)

from .. import labels

YES, NO, UNSURE = "yes", "no", "unsure"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]
YES_NO_UNSURE = [*YES_NO, (UNSURE, _("I'm not sure"))]
NOT_AFFECTED = 0
MAX_MONTHS = 1440


def _radio(label, choices, help_text="", required=True, coerce=None):
    field_class = forms.TypedChoiceField if coerce else forms.ChoiceField
    kwargs = {"coerce": coerce} if coerce else {}
    return field_class(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        help_text=help_text,
        required=required,
        error_messages={"required": _("Please choose one answer.")},
        **kwargs,
    )


def _checkboxes(label, choices, help_text=""):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        required=False,
    )


def _labelled(codes, names):
    return [(code, names[code]) for code in codes]


class StepForm(forms.Form):
    """A step of the questionnaire. ``areas`` are the areas the patient marked as affected
    (steps about the skin and treatments ask per area); ``age`` is their age today, if known."""

    name = ""
    title = ""
    intro = ""

    def __init__(self, *args, areas=(), age=None, **kwargs):
        self.areas = tuple(areas)
        self.age = age
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def answers(self) -> dict:
        """The cleaned answers as JSON (dates as ISO strings)."""
        out = {}
        for key, value in self.cleaned_data.items():
            out[key] = value.isoformat() if isinstance(value, datetime.date) else value
        return out


class AboutForm(StepForm):
    name = "about"
    title = _("About you")
    intro = _("We use the date of birth to suggest treatments that suit your age.")

    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={
            "required": _("Please enter the date of birth."),
            "invalid": _("Please enter a real date, for example 1990-04-12."),
        },
    )

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born < today.replace(year=today.year - 120):
            raise forms.ValidationError(_("Please check the year of birth."))
        return born


class AreasForm(StepForm):
    name = "areas"
    title = _("Where do you sweat?")
    intro = _(
        "For each place, choose the sentence that fits you best. If a place is not a "
        "problem for you, choose “Not a problem”."
    )

    generalized = _radio(
        _("Do you sweat heavily all over your body, not just in certain places?"),
        YES_NO_UNSURE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NOT_AFFECTED, _("Not a problem"))] + list(labels.HDSS_STATEMENTS.items())
        area_fields = {}
        for area in AREAS:
            area_fields[area] = _radio(labels.AREA_LABELS[area], choices, coerce=int, required=True)
        # The areas first, then the question about the whole body.
        self.fields = {**area_fields, "generalized": self.fields["generalized"]}

    def clean(self):
        data = super().clean()
        affected = [a for a in AREAS if data.get(a)]
        if not affected and data.get("generalized") == NO:
            raise forms.ValidationError(
                _(
                    "Please choose at least one place where you sweat too much, or tell us "
                    "that you sweat all over."
                )
            )
        return data


class HistoryForm(StepForm):
    name = "history"
    title = _("When it started and how it goes")

    onset_age = forms.IntegerField(
        label=_("About how old were you when the heavy sweating started?"),
        min_value=0,
        max_value=120,
        help_text=_("In years. A rough guess is fine."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    onset_age_estimated = forms.BooleanField(
        label=_("This is a guess, I don't remember exactly"), required=False
    )
    duration_amount = forms.IntegerField(
        label=_("How long has it been going on?"),
        min_value=0,
        max_value=MAX_MONTHS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    duration_unit = forms.ChoiceField(
        label=_("Months or years"),
        choices=[("years", _("years")), ("months", _("months"))],
        initial="years",
    )
    bilateral_symmetric = _radio(
        _("Does it affect both sides of your body about equally (for example both hands)?"),
        YES_NO_UNSURE,
    )
    weekly_episodes = _radio(_("Does it happen at least once a week?"), YES_NO_UNSURE)
    family_history = _radio(
        _("Does anyone in your family sweat a lot in the same way?"), YES_NO_UNSURE
    )
    sweats_during_sleep = _radio(
        _("Do you sweat heavily while you are asleep?"),
        YES_NO_UNSURE,
        help_text=_("For example, waking up with damp sheets or night clothes."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "onset_age",
            "onset_age_estimated",
            Row(
                Column("duration_amount", css_class="col-6"),
                Column("duration_unit", css_class="col-6"),
            ),
            "bilateral_symmetric",
            "weekly_episodes",
            "family_history",
            "sweats_during_sleep",
        )

    def clean_onset_age(self):
        onset = self.cleaned_data["onset_age"]
        if self.age is not None and onset > self.age:
            raise forms.ValidationError(
                _("That is older than your age today (%(age)s). Please check the number.")
                % {"age": self.age}
            )
        return onset

    def clean(self):
        data = super().clean()
        amount, unit = data.get("duration_amount"), data.get("duration_unit")
        if amount is not None and unit == "years" and amount * 12 > MAX_MONTHS:
            self.add_error("duration_amount", _("Please check the number of years."))
        return data


class WarningSignsForm(StepForm):
    name = "warning_signs"
    title = _("Other symptoms")
    intro = _(
        "Some symptoms mean a doctor should check you before any treatment. Tick any that "
        "apply to you now. If none apply, leave them all unticked."
    )

    red_flags = _checkboxes(
        _("Do you have any of these?"), _labelled(RED_FLAGS, labels.RED_FLAG_LABELS)
    )


class PregnancyForm(StepForm):
    name = "pregnancy"
    title = _("Pregnancy and breastfeeding")
    intro = _("Some treatments are not used during pregnancy. If this does not apply, choose No.")

    pregnant = _radio(_("Are you pregnant, or could you be?"), YES_NO_UNSURE)
    breastfeeding = _radio(_("Are you breastfeeding?"), YES_NO)


class ImplantsForm(StepForm):
    name = "implants"
    title = _("Implants and metal in the body")
    intro = _(
        "Iontophoresis sends a small electric current through the skin, so we need to know "
        "about devices and metal inside your body."
    )

    electronic = _checkboxes(
        _("Do you have an electronic device inside your body?"),
        [
            *_labelled(ELECTRONIC_IMPLANTS, labels.ELECTRONIC_IMPLANT_LABELS),
            (UNSURE, _("I might have one, but I'm not sure")),
        ],
        help_text=_("If you have none, leave these unticked."),
    )
    metal = _radio(
        _("Do you have any metal inside your body?"),
        YES_NO_UNSURE,
        help_text=_(
            "For example plates, screws, pins, a joint replacement, surgical clips, or fixed "
            "braces on your teeth."
        ),
    )
    metal_sites = _checkboxes(
        _("If you answered Yes or “I'm not sure”: where is the metal?"),
        _labelled(METAL_SITES, labels.METAL_SITE_LABELS),
        help_text=_("Tick every place. If you are not sure, tick where it might be."),
    )

    def clean(self):
        data = super().clean()
        metal, sites = data.get("metal"), data.get("metal_sites") or []
        if metal in (YES, UNSURE) and not sites:
            self.add_error(
                "metal_sites",
                _("Please tick where the metal is (or might be)."),
            )
        if metal == NO and sites:
            self.add_error(
                "metal_sites",
                _("You answered No, but ticked places. Untick them or change your answer."),
            )
        if UNSURE in (data.get("electronic") or []) and len(data["electronic"]) > 1:
            self.add_error(
                "electronic",
                _("Tick the device you have, or “I'm not sure”, but not both."),
            )
        return data


class IudForm(StepForm):
    name = "iud"
    title = _("Contraceptive coil (IUD)")
    intro = _("If this does not apply to you, choose No.")

    iud = _radio(
        _("Do you have an IUD (coil) fitted?"),
        [
            ("none", _("No")),
            ("copper", _("Yes, a copper IUD (non-hormonal)")),
            ("hormonal", _("Yes, a hormonal IUD (for example Mirena or Kyleena)")),
            (UNSURE, _("Yes, but I'm not sure which kind")),
        ],
    )


CONDITION_GROUPS = {
    "heart": (
        _("Heart and circulation"),
        (
            "arrhythmia",
            "heart_disease",
            "heart_failure",
            "coronary_disease",
            "hypertension",
            "cardiovascular_unstable",
            "thrombosis",
        ),
    ),
    "nerves": (
        _("Brain, nerves and muscles"),
        (
            "epilepsy",
            "reduced_sensation_hands",
            "reduced_sensation_feet",
            "electrical_sensitivity",
            "myasthenia_gravis",
            "nmj_disorder",
            "dementia",
            "parkinson",
        ),
    ),
    "bladder_bowel": (
        _("Bladder and bowel"),
        ("urinary_retention", "gi_obstruction", "severe_ulcerative_colitis"),
    ),
    "other": (
        _("Other"),
        (
            "hyperthyroidism",
            "sjogren",
            "immunocompromised",
            "supplemental_oxygen",
            "lidocaine_intolerance",
            "prior_axillary_surgery",
            "fitzpatrick_vi",
        ),
    ),
}
GLAUCOMA_CODES = ("glaucoma_angle_closure", "glaucoma_open_angle")


class ConditionsForm(StepForm):
    name = "conditions"
    title = _("Your health")
    intro = _("Tick anything you have now or have been told you have. Leave the rest unticked.")

    glaucoma = _radio(
        _("Do you have glaucoma (raised pressure in the eye)?"),
        [
            (NO, _("No")),
            ("glaucoma_angle_closure", labels.CONDITION_LABELS["glaucoma_angle_closure"]),
            ("glaucoma_open_angle", labels.CONDITION_LABELS["glaucoma_open_angle"]),
            (UNSURE, _("Yes, but I'm not sure which kind")),
        ],
    )
    other_text = forms.CharField(
        label=_("Anything else about your health you would like us to know?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = {
            key: _checkboxes(title, _labelled(codes, labels.CONDITION_LABELS))
            for key, (title, codes) in CONDITION_GROUPS.items()
        }
        self.fields = {
            **{k: v for k, v in groups.items() if k != "other"},
            "glaucoma": self.fields["glaucoma"],
            "other": groups["other"],
            "other_text": self.fields["other_text"],
        }


class SkinForm(StepForm):
    name = "skin"
    title = _("The skin where you sweat")
    intro = _("How is the skin in each place you told us about?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [*_labelled(SKIN_STATES, labels.SKIN_LABELS), (UNSURE, _("I'm not sure"))]
        for area in self.areas:
            self.fields[area] = _radio(labels.AREA_LABELS[area], choices)
        if not self.areas:
            self.helper.layout = Layout(
                HTML(
                    format_html(
                        '<p class="text-body-secondary">{}</p>',
                        _("You told us you sweat all over, so there is nothing to ask here."),
                    )
                )
            )


ALLERGY_TREATMENTS = (
    "aluminium_chloride",
    "botulinum_toxin",
    "topical_anticholinergic",
    "oral_glycopyrrolate",
    "oral_oxybutynin",
)


class AllergiesForm(StepForm):
    name = "allergies"
    title = _("Allergies")

    allergies = _checkboxes(
        _("Have you ever had an allergic reaction to any of these?"),
        _labelled(ALLERGY_TREATMENTS, labels.TREATMENT_LABELS),
        help_text=_("If not, leave them unticked."),
    )
    other_text = forms.CharField(
        label=_("Other allergies (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MedicationsForm(StepForm):
    name = "medications"
    title = _("Medicines")
    intro = _("Some medicines do not mix well with some sweating treatments.")

    medications = _checkboxes(
        _("Do you take any of these?"),
        [
            *_labelled(MEDICATIONS, labels.MEDICATION_LABELS),
            (UNSURE, _("I take medicines, but I'm not sure whether they are on this list")),
        ],
        help_text=_("If not, leave them unticked."),
    )
    list_text = forms.CharField(
        label=_("Which medicines do you take? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


TRIED_ALL_AREAS = "all"


class TriedForm(StepForm):
    name = "tried"
    title = _("Treatments you have tried")
    intro = _(
        "For each treatment you have tried, tell us how it went. Leave the others as "
        "“I haven't tried it”. The numbers are optional."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        outcome_choices = [("", _("I haven't tried it")), *labels.OUTCOME_LABELS.items()]
        area_choices = [(TRIED_ALL_AREAS, _("All the places I treated"))] + [
            (a, labels.AREA_LABELS[a]) for a in self.areas
        ]
        blocks = []
        for t in TREATMENTS:
            self.fields[f"{t}_outcome"] = forms.ChoiceField(
                label=_("How did it go?"), choices=outcome_choices, required=False
            )
            self.fields[f"{t}_sessions"] = forms.IntegerField(
                label=_("Sessions"),
                min_value=0,
                max_value=1000,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.fields[f"{t}_weeks"] = forms.IntegerField(
                label=_("Weeks"),
                min_value=0,
                max_value=1000,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            numbers = Row(
                Column(f"{t}_sessions", css_class="col-6"),
                Column(f"{t}_weeks", css_class="col-6"),
            )
            parts = [f"{t}_outcome", numbers]
            # "Where" only matters when more than one place is affected.
            if len(self.areas) > 1:
                self.fields[f"{t}_area"] = forms.ChoiceField(
                    label=_("Where did you use it?"),
                    choices=area_choices,
                    required=False,
                    initial=TRIED_ALL_AREAS,
                )
                parts.append(f"{t}_area")
            blocks.append(
                Fieldset(
                    labels.TREATMENT_LABELS[t],
                    *parts,
                    css_class="tried-treatment border rounded p-3 mb-3",
                )
            )
        self.helper.layout = Layout(Div(*blocks))

    def clean(self):
        data = super().clean()
        for t in TREATMENTS:
            if data.get(f"{t}_outcome"):
                continue
            if data.get(f"{t}_sessions") is not None or data.get(f"{t}_weeks") is not None:
                self.add_error(
                    f"{t}_outcome",
                    _("Please tell us how it went, or leave the numbers empty."),
                )
        return data


def tried_entries(answers: dict) -> list[dict]:
    """The tried treatments (RULES.md `tried`) from the step's answers. An entry names an area
    only when the patient chose one (the question is asked when several are affected); one
    that is no longer affected is kept, and the engine ignores it."""
    entries = []
    for t in TREATMENTS:
        outcome = answers.get(f"{t}_outcome") or ""
        if outcome not in OUTCOMES:
            continue
        entry = {"treatment": t, "outcome": outcome}
        for key in ("sessions", "weeks"):
            value = answers.get(f"{t}_{key}")
            if value is not None:
                entry[key] = value
        area = answers.get(f"{t}_area") or TRIED_ALL_AREAS
        if area not in AREAS:
            area = TRIED_ALL_AREAS
        if area != TRIED_ALL_AREAS:
            entry["area"] = area
        entries.append(entry)
    return entries


STEP_FORMS = (
    AboutForm,
    AreasForm,
    HistoryForm,
    WarningSignsForm,
    PregnancyForm,
    ImplantsForm,
    IudForm,
    ConditionsForm,
    SkinForm,
    AllergiesForm,
    MedicationsForm,
    TriedForm,
)


class ConsentForm(forms.Form):
    """Accept the consent text: the name typed as a signature, and a tick."""

    signed_name = forms.CharField(
        label=_("Type your full name as your signature"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please type your full name to sign.")},
    )
    agree = forms.BooleanField(
        label=_("I have read the text above and I agree"),
        error_messages={"required": _("Please tick the box to say you agree.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_signed_name(self):
        name = " ".join(self.cleaned_data["signed_name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please type your full name to sign."))
        return name
