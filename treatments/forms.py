"""Forms of the plan pages. They check shape (types, known choices); the services decide
(reasons, bounds, limits) and their messages are shown back on the form."""

import datetime

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from patients.labels import AREA_LABELS, TREATMENT_SHORT

from . import defaults
from .models import Setting, Water
from .schedule import WEEKDAY_NAMES

NONE = "none"
TEXT_MAX = 5000


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ChoiceForm(forms.Form):
    """Step 1: per area of the screen, a treatment (or none for now) and a clinical reason.
    Fields are named ``<area>-treatment`` and ``<area>-reason``."""

    together = forms.BooleanField(
        label=_("Treat hands and feet together with one device (iontophoresis)"),
        required=False,
    )
    workup_reason = forms.CharField(
        label=_("Why treatment can start after the work-up"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, result: dict, workup: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(result["areas"])
        for area in self.areas:
            options = result["areas"][area]["options"]
            choices = [(o["treatment"], TREATMENT_SHORT[o["treatment"]]) for o in options]
            self.fields[f"{area}-treatment"] = forms.ChoiceField(
                label=AREA_LABELS[area],
                choices=[*choices, (NONE, _("No treatment for this area now"))],
                widget=forms.RadioSelect,
            )
            self.fields[f"{area}-reason"] = forms.CharField(
                label=_("Clinical reason"),
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if not {"palmar", "plantar"} <= set(self.areas):
            del self.fields["together"]
        if not workup:
            del self.fields["workup_reason"]

    def choices(self) -> list[dict]:
        """[{"treatment", "areas", "reason"}] from the cleaned data, hands and feet merged
        into one item when ``together`` is ticked and both chose iontophoresis."""
        data = self.cleaned_data
        rows = []
        together = data.get("together") and all(
            data.get(f"{a}-treatment") == "iontophoresis" for a in ("palmar", "plantar")
        )
        for area in self.areas:
            treatment = data.get(f"{area}-treatment")
            if not treatment or treatment == NONE:
                continue
            reason = data.get(f"{area}-reason", "").strip()
            if together and area in ("palmar", "plantar"):
                merged = next((r for r in rows if r["areas"] == ["palmar", "plantar"]), None)
                if merged is not None:
                    merged["reason"] = "\n".join(x for x in (merged["reason"], reason) if x)
                    continue
                rows.append(
                    {"treatment": treatment, "areas": ["palmar", "plantar"], "reason": reason}
                )
                continue
            rows.append({"treatment": treatment, "areas": [area], "reason": reason})
        return rows

    def clean(self):
        data = super().clean()
        if data.get("together") and not all(
            data.get(f"{a}-treatment") == "iontophoresis" for a in ("palmar", "plantar")
        ):
            self.add_error(
                "together",
                _("To treat hands and feet together, choose iontophoresis for both."),
            )
        return data


class IontophoresisForm(forms.Form):
    setting = forms.ChoiceField(label=_("Where"), choices=Setting.choices, widget=forms.RadioSelect)
    session_minutes = forms.IntegerField(
        label=_("Session length (minutes)"), min_value=0, max_value=999
    )
    current_ma = forms.DecimalField(
        label=_("Target current (mA)"), max_digits=4, decimal_places=1, min_value=0
    )
    pulsed = forms.BooleanField(label=_("Pulsed current"), required=False)
    sessions_per_week = forms.IntegerField(
        label=_("Initial phase: sessions a week"), min_value=0, max_value=99
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these days"),
        choices=[(i, _(name)) for i, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    initial_weeks = forms.IntegerField(
        label=_("Initial phase: number of weeks"), min_value=0, max_value=99
    )
    maintenance_interval_weeks = forms.TypedChoiceField(
        label=_("Then maintenance"),
        choices=[(1, _("every week")), (2, _("every 2 weeks")), (3, _("every 3 weeks"))],
        coerce=int,
    )
    start_date = forms.DateField(label=_("Start date"), widget=_date_widget())
    water = forms.ChoiceField(label=_("Water advice"), choices=Water.choices)
    review_date = forms.DateField(label=_("Review consultation"), widget=_date_widget())
    clinic_time = forms.TimeField(
        label=_("In the clinic: time of day"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        help_text=_("Clinic time. Only for sessions in the clinic."),
    )
    clinician = forms.TypedChoiceField(
        label=_("In the clinic: who runs the sessions"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Only for sessions in the clinic."),
    )

    def __init__(self, *args, clinicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].choices = [("", _("Choose…")), *clinicians]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        third = "col-sm-6 col-lg-4"
        self.helper.layout = Layout(
            InlineRadios("setting"),
            Row(
                Column("clinic_time", css_class=third),
                Column("clinician", css_class="col-sm-6 col-lg-8"),
            ),
            Row(
                Column("session_minutes", css_class=third),
                Column("current_ma", css_class=third),
                Column("pulsed", css_class=f"{third} d-flex align-items-center"),
            ),
            Row(
                Column("sessions_per_week", css_class=third),
                Column("initial_weeks", css_class=third),
                Column("maintenance_interval_weeks", css_class=third),
            ),
            InlineCheckboxes("weekdays"),
            Row(
                Column("start_date", css_class=third),
                Column("review_date", css_class=third),
                Column("water", css_class=third),
            ),
        )


class OtherTreatmentForm(forms.Form):
    instructions = forms.CharField(
        label=_("Instructions"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    start_date = forms.DateField(label=_("Start date"), widget=_date_widget())
    procedure_date = forms.DateField(
        label=_("Procedure date (in the clinic)"), required=False, widget=_date_widget()
    )
    review_date = forms.DateField(label=_("Review date"), widget=_date_widget())

    def __init__(self, *args, needs: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructions"].label = defaults.INSTRUCTIONS_LABEL[needs]
        self.fields["review_date"].label = defaults.REVIEW_LABEL[needs]
        dates = ["start_date", "review_date"]
        if needs == defaults.PROCEDURE:
            self.fields["procedure_date"].required = True
            dates.insert(1, "procedure_date")
        else:
            del self.fields["procedure_date"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "instructions", Row(*(Column(d, css_class="col-sm-6 col-lg-4") for d in dates))
        )


class ChangeReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the plan changes"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class MaintenanceForm(ChangeReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Why move to maintenance now")


class NoteForm(forms.Form):
    visit_date = forms.DateField(label=_("Visit date"), widget=_date_widget())
    text = forms.CharField(
        label=_("Visit summary"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 8})
    )
    reason = forms.CharField(label=_("Why the edit (optional)"), max_length=300, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["reason"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name, email or phone"), required=False, max_length=100)
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All patients")),
            ("mine", _("My patients")),
            ("ready", _("Ready for a plan")),
            ("active", _("With an active plan")),
        ],
    )


def initial_for(item_values: dict) -> dict:
    """Form initial data from item values (dates as dates, weekdays as ints)."""
    values = dict(item_values)
    if "weekdays" in values:
        values["weekdays"] = [int(d) for d in values["weekdays"]]
    for key in ("start_date", "review_date", "procedure_date"):
        if isinstance(values.get(key), str):
            values[key] = datetime.date.fromisoformat(values[key])
    return values
