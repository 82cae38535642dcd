"""Forms for session logs, HDSS check-ins and flags. They check shape (types, ranges, known
choices) and list their fields; the tracking services decide the rest (not in the future,
areas of the plan, "none" alone, bounds)."""

import datetime

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from patients.labels import AREA_LABELS, HDSS_STATEMENTS

from .models import SessionLog, SideEffect, SkipReason
from .services.tracking import MAX_MINUTES, LogEntry

NOTES_MAX = 2000


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DoneForm(forms.Form):
    """A session done, with its details (also an extra session, with ``ask_day``)."""

    day = forms.DateField(label=_("Day"), widget=_date_widget())
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    current_ma = forms.DecimalField(
        label=_("Current reached (mA)"),
        min_value=0,
        max_value=40,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
        help_text=_("The highest current shown on the device during the session."),
    )
    areas = forms.MultipleChoiceField(
        label=_("Where you treated"), widget=forms.CheckboxSelectMultiple
    )
    side_effects = forms.MultipleChoiceField(
        label=_("Side effects"),
        choices=SideEffect.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    side_effect_other = forms.CharField(
        label=_("Other side effect"), required=False, max_length=200
    )
    notes = forms.CharField(
        label=_("Notes (optional)"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, areas: list[str], ask_day: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = [(a, AREA_LABELS[a]) for a in areas]
        if not ask_day:
            del self.fields["day"]
        self.helper = _helper()

    def entry(self) -> LogEntry:
        data = self.cleaned_data
        return LogEntry(
            status=SessionLog.Status.DONE,
            day=data.get("day"),
            minutes=data["minutes"],
            current_ma=data["current_ma"],
            areas=tuple(data["areas"]),
            side_effects=tuple(data["side_effects"]),
            side_effect_other=data.get("side_effect_other", ""),
            notes=data.get("notes", ""),
        )


class SkipForm(forms.Form):
    skip_reason = forms.ChoiceField(
        label=_("Why was it skipped?"), choices=SkipReason.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Anything to add (optional)"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def entry(self, day: datetime.date | None = None) -> LogEntry:
        return LogEntry(
            status=SessionLog.Status.SKIPPED,
            day=day,
            skip_reason=self.cleaned_data["skip_reason"],
            notes=self.cleaned_data.get("notes", ""),
        )


DRYNESS_CHOICES = [("", _("Not rated"))] + [(str(n), str(n)) for n in range(11)]


class CheckInForm(forms.Form):
    """One HDSS question per treated area (fields ``<area>-hdss``) and an optional dryness
    rating (``<area>-dryness``, 0 = as sweaty as ever … 10 = completely dry)."""

    def __init__(self, *args, areas: list[str], ask_day: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(areas)
        if ask_day:
            self.fields["day"] = forms.DateField(label=_("Visit day"), widget=_date_widget())
        for area in self.areas:
            self.fields[f"{area}-hdss"] = forms.TypedChoiceField(
                label=AREA_LABELS[area],
                choices=list(HDSS_STATEMENTS.items()),
                coerce=int,
                widget=forms.RadioSelect,
            )
            self.fields[f"{area}-dryness"] = forms.TypedChoiceField(
                label=_("How dry is it now? 0 = as sweaty as ever, 10 = completely dry"),
                choices=DRYNESS_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )
        self.helper = _helper()

    def scores(self) -> dict:
        return {a: self.cleaned_data[f"{a}-hdss"] for a in self.areas}

    def dryness(self) -> dict:
        return {
            a: self.cleaned_data[f"{a}-dryness"]
            for a in self.areas
            if self.cleaned_data.get(f"{a}-dryness") is not None
        }

    def area_fields(self):
        return [(a, self[f"{a}-hdss"], self[f"{a}-dryness"]) for a in self.areas]


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note (what you did or decided)"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DashboardForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("My patients")), ("all", _("All patients"))],
    )
