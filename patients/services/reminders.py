"""A patient's reminder preferences, changed from the "manage reminders" link (no login).

Preferences are read again whenever a reminder goes out (channel, quiet hours, opt-outs), so
a change counts at once; a newly chosen channel also needs rows of its own, so the pending
reminders of the patient are scheduled again (idempotent: existing rows stay)."""

import datetime
import zoneinfo

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext as _

from clinic.notify import reminders as kinds
from clinic.notify.models import Reminder
from clinic.notify.services import reminders_schedule

from ..models import Patient, ReminderChannel
from .profile import ProfileError


@transaction.atomic
def patient_reminder_preferences_update(
    *,
    patient: Patient,
    reminder_channel: str,
    home_session_time: datetime.time,
    quiet_hours_start: datetime.time,
    quiet_hours_end: datetime.time,
    time_zone: str,
    opted_out: list[str],
) -> Patient:
    """Save ``patient``'s reminder preferences; ``opted_out`` lists the topics turned off.
    Refused (``ProfileError``, nothing saved) for an unknown channel, topic or time zone, or
    a channel the patient cannot be reached on (SMS without a mobile number on file)."""
    if reminder_channel not in ReminderChannel.values:
        raise ProfileError(_("Choose how to receive your reminders."))
    if reminder_channel in (ReminderChannel.SMS, ReminderChannel.BOTH) and not patient.phone:
        raise ProfileError(
            _("We have no mobile number for text messages: choose email, or call us to add one.")
        )
    known = {key for key, _label in kinds.topics()}
    unknown = set(opted_out) - known
    if unknown:
        raise ProfileError(_("Choose reminders from the list."))
    if time_zone not in zoneinfo.available_timezones():
        raise ProfileError(_("Choose a time zone from the list."))
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.reminder_channel = reminder_channel
    patient.home_session_time = home_session_time
    patient.quiet_hours_start = quiet_hours_start
    patient.quiet_hours_end = quiet_hours_end
    patient.time_zone = time_zone
    patient.reminder_opt_outs = sorted(set(opted_out))
    patient.save(
        update_fields=[
            "reminder_channel",
            "home_session_time",
            "quiet_hours_start",
            "quiet_hours_end",
            "time_zone",
            "reminder_opt_outs",
            "updated_at",
        ]
    )
    patient_reminders_refresh(patient=patient)
    return patient


def patient_reminders_refresh(*, patient: Patient) -> int:
    """Schedule again every target that has pending reminders for ``patient`` (a newly chosen
    channel gets its rows). Returns the number of targets."""
    targets = set(
        Reminder.objects.filter(
            person_label=patient._meta.label_lower,
            person_id=str(patient.pk),
            status=Reminder.Status.PENDING,
        ).values_list("target_label", "target_id", "target_version")
    )
    for label, target_id, version in sorted(targets):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        target = model._default_manager.filter(pk=target_id).first()
        if target is not None:
            reminders_schedule(target=target, version=version)
    return len(targets)
