"""Staff forms for screens: the queue's filters, the review, and a correction of one answer.

A correction form has one ``value`` shaped like the profile field it corrects (a yes/no, a
number, a list of codes, the areas with their HDSS...) and a required reason. The new value is
checked by the engine's own validation when the service applies it."""

import json

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from treatments.rules import (
    AREAS,
    CONDITIONS,
    ELECTRONIC_IMPLANTS,
    HDSS_SCORES,
    IUD_TYPES,
    MEDICATIONS,
    METAL_SITES,
    RED_FLAGS,
    SKIN_STATES,
    TREATMENTS,
)

from .. import labels
from ..models import Screen


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Screen.Status.choices],
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any outcome")), *Screen.Outcome.choices],
    )
    area = forms.ChoiceField(
        label=_("Area"),
        required=False,
        choices=[("", _("Any area")), *labels.AREA_LABELS.items()],
    )
    refer = forms.ChoiceField(
        label=_("Refer first"),
        required=False,
        choices=[("", _("Either")), ("yes", _("Refer first")), ("no", _("No referral"))],
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=Screen.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an outcome.")},
    )
    note = forms.CharField(
        label=_("Note for the clinic team"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message_to_patient = forms.CharField(
        label=_("Message to the patient (for “more information requested”)"),
        help_text=_(
            "Shown to the patient after they log in. The email only says there is a message."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == Screen.Outcome.INFO_REQUESTED
            and not (data.get("message_to_patient") or "").strip()
        ):
            self.add_error(
                "message_to_patient",
                _("Write what you would like the patient to check or add."),
            )
        return data


_BOOL_FIELDS = (
    "pregnant",
    "breastfeeding",
    "generalized",
    "bilateral_symmetric",
    "weekly_episodes",
    "family_history",
    "sweats_during_sleep",
)
_INT_FIELDS = {"age": (0, 120), "onset_age": (0, 120), "duration_months": (0, 1440)}
_LIST_FIELDS = {
    "red_flags": (RED_FLAGS, labels.RED_FLAG_LABELS),
    "electronic_implants": (ELECTRONIC_IMPLANTS, labels.ELECTRONIC_IMPLANT_LABELS),
    "metal_implants": (METAL_SITES, labels.METAL_SITE_LABELS),
    "conditions": (CONDITIONS, labels.CONDITION_LABELS),
    "allergies": (TREATMENTS, labels.TREATMENT_SHORT),
    "medications": (MEDICATIONS, labels.MEDICATION_LABELS),
}
CORRECTABLE_FIELDS = (
    *_BOOL_FIELDS,
    *_INT_FIELDS,
    *_LIST_FIELDS,
    "iud",
    "areas",
    "skin",
    "tried",
)


class CorrectionForm(forms.Form):
    """Correct one profile field. Build with ``field`` and the screen's ``profile``."""

    reason = forms.CharField(
        label=_("Why is it corrected?"),
        help_text=_("For example: “Confirmed by phone: the IUD is hormonal.”"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Please say why the answer is corrected.")},
    )

    def __init__(self, *args, field: str, profile: dict, **kwargs):
        self.field = field
        self.profile = profile
        current = profile.get(field)
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        value_fields = self._value_fields(field, current)
        self.fields = {**value_fields, "reason": self.fields["reason"]}

    def _value_fields(self, field: str, current) -> dict:
        if field in _BOOL_FIELDS:
            return {
                "value": forms.TypedChoiceField(
                    label=_("New answer"),
                    choices=[("true", _("Yes")), ("false", _("No"))],
                    coerce=lambda v: v == "true",
                    widget=forms.RadioSelect,
                    initial="true" if current else "false",
                )
            }
        if field in _INT_FIELDS:
            low, high = _INT_FIELDS[field]
            return {
                "value": forms.IntegerField(
                    label=_("New answer"), min_value=low, max_value=high, initial=current
                )
            }
        if field in _LIST_FIELDS:
            vocab, names = _LIST_FIELDS[field]
            return {
                "value": forms.MultipleChoiceField(
                    label=_("New answer"),
                    choices=[(c, f"{names[c]} [{c}]") for c in vocab],
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                    initial=list(current or []),
                )
            }
        if field == "iud":
            return {
                "value": forms.ChoiceField(
                    label=_("New answer"),
                    choices=[(c, labels.IUD_LABELS[c]) for c in IUD_TYPES],
                    widget=forms.RadioSelect,
                    initial=current,
                )
            }
        if field == "areas":
            choices = [(0, _("Not affected")), *((h, f"HDSS {h}") for h in HDSS_SCORES)]
            return {
                f"area_{a}": forms.TypedChoiceField(
                    label=labels.AREA_LABELS[a],
                    choices=choices,
                    coerce=int,
                    initial=(current or {}).get(a, 0),
                )
                for a in AREAS
            }
        if field == "skin":
            areas = list(self.profile.get("areas") or {})
            return {
                f"skin_{a}": forms.ChoiceField(
                    label=labels.AREA_LABELS[a],
                    choices=[(s, labels.SKIN_LABELS[s]) for s in SKIN_STATES],
                    initial=(current or {}).get(a, "intact"),
                )
                for a in areas
            }
        if field == "tried":
            return {
                "value": forms.CharField(
                    label=_("New answer (JSON list, as in RULES.md)"),
                    widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
                    initial=json.dumps(current or [], indent=1),
                    required=False,
                )
            }
        raise ValueError(f"not a correctable field: {field}")

    def clean(self):
        data = super().clean()
        if self.field == "tried" and "value" in data:
            try:
                data["value"] = json.loads(data["value"] or "[]")
            except json.JSONDecodeError:
                self.add_error("value", _("This is not valid JSON."))
        return data

    def value(self):
        """The corrected profile value."""
        data = self.cleaned_data
        if self.field == "areas":
            return {a: data[f"area_{a}"] for a in AREAS if data[f"area_{a}"]}
        if self.field == "skin":
            return {key[len("skin_") :]: v for key, v in data.items() if key.startswith("skin_")}
        return data["value"]
