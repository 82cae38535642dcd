"""Forms of the patients app: they validate shape and list their fields (S4); decisions are
the services'."""

import datetime
import zoneinfo

import phonenumbers
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from ..models import ConsultationType, Patient, Specialist, Weekday
from ..selectors.booking import clinic_tz, with_hours, with_policy
from ..services.profile import PROFILE_FIELDS

START_FORMAT = "%Y-%m-%dT%H:%MZ"


def format_start(start: datetime.datetime) -> str:
    """How a slot's start travels in links and forms: UTC, to the minute."""
    return start.astimezone(datetime.UTC).strftime(START_FORMAT)


def parse_start(value: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(datetime.UTC)


def parse_day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _e164(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        raise forms.ValidationError(
            _("Enter a phone number with its country code, e.g. +14155550123.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(_("This phone number does not look right."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", _("With country code, e.g. +14155550123."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"type": "tel", "autocomplete": "tel"})

    def clean(self, value):
        return _e164(super().clean(value))


def time_zone_choices():
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones()) if "/" in z]


class ProfileForm(forms.ModelForm):
    phone = PhoneField(label=_("Mobile phone"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = Patient
        fields = list(PROFILE_FIELDS)
        widgets = {
            "date_of_birth": DateInput(),
            "home_session_time": TimeInput(),
            "quiet_hours_start": TimeInput(),
            "quiet_hours_end": TimeInput(),
        }
        labels = {"legal_name": _("Full legal name")}
        help_texts = {
            "preferred_name": _("What should we call you?"),
            "quiet_hours_start": _(
                "No reminders between these times, by email or text message: they wait until "
                "these hours end."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].required = True
        self.fields["legal_name"].widget.attrs["autocomplete"] = "name"
        self.fields["date_of_birth"].widget.attrs["autocomplete"] = "bday"

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        if dob and dob > datetime.date.today():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if dob and dob.year < 1900:
            raise forms.ValidationError(_("Enter a date of birth after 1900."))
        return dob


class DependantForm(forms.Form):
    legal_name = forms.CharField(label=_("Child's full legal name"), max_length=200)
    preferred_name = forms.CharField(label=_("Name they go by"), max_length=100, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())


class SlotForm(forms.Form):
    """The chosen slot as it travels from the slot list to the confirm page."""

    # The type comes with the booking policy, the specialist with their working hours: what
    # the slot re-check needs, read with them.
    type = forms.ModelChoiceField(
        queryset=with_policy(ConsultationType.objects.filter(is_active=True)),
        error_messages={"invalid_choice": _("That type of consultation is not offered.")},
    )
    who = forms.CharField(max_length=12)
    start = forms.CharField(max_length=40)

    def clean_who(self):
        who = self.cleaned_data["who"].strip().lower()
        if who == "any":
            return None
        if not who.isdigit():
            raise forms.ValidationError(_("Choose a specialist from the list."))
        specialist = with_hours(Specialist.objects.filter(pk=int(who), is_active=True)).first()
        if specialist is None:
            raise forms.ValidationError(_("Choose a specialist from the list."))
        return specialist

    def clean_start(self):
        start = parse_start(self.cleaned_data["start"])
        if start is None:
            raise forms.ValidationError(_("Choose a time from the list."))
        return start


class BookForm(SlotForm):
    """The confirm POST: the slot plus who the appointment is for (own profile or a
    dependant; the queryset is limited to those by the view)."""

    patient = forms.ModelChoiceField(
        queryset=Patient.objects.none(),
        label=_("Who is the appointment for?"),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("Choose who the appointment is for.")},
    )

    def __init__(self, *args, patients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = (
            patients if patients is not None else Patient.objects.none()
        )


class RescheduleForm(forms.Form):
    start = forms.CharField(max_length=40)

    def clean_start(self):
        start = parse_start(self.cleaned_data["start"])
        if start is None:
            raise forms.ValidationError(_("Choose a time from the list."))
        return start


class StaffRescheduleForm(RescheduleForm):
    who = forms.CharField(max_length=12, required=False)

    def clean_who(self):
        who = (self.cleaned_data.get("who") or "").strip()
        if not who:
            return None
        if not who.isdigit():
            raise forms.ValidationError(_("Choose a specialist from the list."))
        specialist = Specialist.objects.filter(pk=int(who), is_active=True).first()
        if specialist is None:
            raise forms.ValidationError(_("Choose a specialist from the list."))
        return specialist


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("completed", _("Completed")), ("no_show", _("No-show"))],
    )


class StaffPatientForm(forms.Form):
    legal_name = forms.CharField(label=_("Full legal name"), max_length=200)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=100, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput(), required=False)
    phone = PhoneField(label=_("Phone"))
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Patient._meta.get_field("preferred_language").choices
    )

    def clean_date_of_birth(self):
        dob = self.cleaned_data.get("date_of_birth")
        if dob and dob > datetime.date.today():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return dob


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Patient's email address"))


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or phone"), max_length=100, required=False)


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    start = forms.TimeField(label=_("From"), widget=TimeInput())
    end = forms.TimeField(label=_("Until"), widget=TimeInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError(_("Each range must end after it starts."))
        return data


WorkingHoursFormSet = forms.formset_factory(
    WorkingHoursForm, extra=2, can_delete=True, max_num=50, validate_max=True
)


class TimeOffForm(forms.Form):
    start_date = forms.DateField(label=_("From (date)"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("From (time)"), required=False, widget=TimeInput(), help_text=_("Empty: 00:00")
    )
    end_date = forms.DateField(label=_("Until (date)"), widget=DateInput())
    end_time = forms.TimeField(
        label=_("Until (time)"),
        required=False,
        widget=TimeInput(),
        help_text=_("Empty: the whole day"),
    )
    reason = forms.CharField(label=_("Note (staff only)"), max_length=120, required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        tz = clinic_tz()
        start = datetime.datetime.combine(
            data["start_date"], data.get("start_time") or datetime.time.min, tzinfo=tz
        )
        if data.get("end_time"):
            end = datetime.datetime.combine(data["end_date"], data["end_time"], tzinfo=tz)
        else:
            end = datetime.datetime.combine(
                data["end_date"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
        if end <= start:
            raise forms.ValidationError(_("The time off must end after it starts."))
        data["start"] = start.astimezone(datetime.UTC)
        data["end"] = end.astimezone(datetime.UTC)
        return data


class ClaimForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            raise forms.ValidationError(_("The two passwords differ."))
        if p1:
            validate_password(p1)
        return data
