"""The "manage reminders" form (opened from the link in every reminder, without login). It
lists its fields (S4); the service decides what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ReminderChannel
from .booking import TimeInput, time_zone_choices


class ReminderPreferencesForm(forms.Form):
    reminder_channel = forms.ChoiceField(
        label=_("Send my reminders by"),
        choices=ReminderChannel.choices,
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label=_("Remind me of"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick what you do not want to be reminded of."),
    )
    home_session_time = forms.TimeField(
        label=_("Time for home-session reminders"),
        widget=TimeInput(),
        help_text=_("On the days of your sessions at home, at this time."),
    )
    quiet_hours_start = forms.TimeField(label=_("Quiet from"), widget=TimeInput())
    quiet_hours_end = forms.TimeField(
        label=_("until"),
        widget=TimeInput(),
        help_text=_(
            "No reminders between these times, by email or text message: they wait until "
            "these hours end."
        ),
    )
    time_zone = forms.ChoiceField(label=_("My time zone"), choices=time_zone_choices)

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = list(topics)
