"""Demo reminders that go out soon after ``demo_data`` runs, so a running worker and beat show
them flowing: Liam (who turned quiet hours off and wants email and text messages) was fitted
in by phone for a follow-up in about 2 h 10 min, so his "2 h before" reminder is due in about
ten minutes. The other demo bookings and plans have their reminders too (made by the real
services), due over the coming days.

The demo patients live in Los Angeles with the default quiet hours (21:00-08:00), which is
daytime in Europe and Asia: a reminder due "soon" for any of them would be held until the
morning there. So the one meant to be seen at once goes to Liam, whose quiet hours are turned
off on every run, whatever the hour. Running the demo again while his follow-up is still
ahead changes nothing; once it has passed (the next day, say), a new one is fitted in so the
demo shows reminders flowing again."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.accounts.models import User
from clinic.demo import DEMO_DOMAIN
from clinic.notify.services import reminders_schedule

from .models import (
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    ConsultationType,
    Patient,
    ReminderChannel,
    Specialist,
)

LEAD = datetime.timedelta(hours=2, minutes=10)


def build(log):
    liam = Patient.objects.filter(user__email=f"liam@{DEMO_DOMAIN}").first()
    ctype = ConsultationType.objects.filter(name="Follow-up").first()
    staff = User.objects.filter(email=f"frontdesk@{DEMO_DOMAIN}").first()
    if liam is None or ctype is None:
        return []
    Patient.objects.filter(pk=liam.pk).update(
        reminder_channel=ReminderChannel.BOTH,
        quiet_hours_start=datetime.time(0),
        quiet_hours_end=datetime.time(0),  # start == end: no quiet hours
        reminder_opt_outs=[],
    )
    liam.refresh_from_db()
    now = timezone.now().replace(second=0, microsecond=0)
    ahead = liam.appointments.filter(status=AppointmentStatus.BOOKED, start__gt=now)
    if ahead.exists():
        return []  # this run's (or a recent run's) follow-up is still to come
    start = now + LEAD + datetime.timedelta(minutes=(5 - now.minute % 5) % 5)
    for specialist in Specialist.objects.filter(is_active=True):
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    kind=AppointmentKind.CONSULTATION,
                    patient=liam,
                    specialist=specialist,
                    consultation_type=ctype,
                    start=start,
                    end=start + ctype.duration,
                    blocked_until=start + ctype.duration + ctype.buffer,
                    booked_by=staff,
                )
                AppointmentChange.objects.create(
                    appointment=appointment,
                    action=AppointmentChange.Action.BOOKED,
                    version=1,
                    by=staff,
                    new_start=start,
                    new_specialist=specialist,
                )
                reminders_schedule(target=appointment, version=1)
        except IntegrityError:
            continue  # that specialist is busy then: try the next
        log(f"follow-up for liam in {LEAD}: its 2 h reminder (email and SMS) is due soon")
        return []
    return []
