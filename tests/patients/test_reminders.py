"""Appointment reminders: rows written with the booking (R2), updated on reschedule and cancel
(R3), quiet hours and time zones (R9), minimum-necessary content (S13), a guardian receives a
dependant's reminders, and the "manage reminders" page behind its signed token (S14)."""

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from clinic.logging import ScrubTokensFilter
from clinic.notify import reminders as kinds
from clinic.notify import tokens
from clinic.notify.models import Message, Reminder
from clinic.notify.services import reminder_render, reminders_dispatch
from patients.models import Appointment, Patient
from patients.services import booking as booking_services
from patients.services.booking import (
    Visit,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    treatment_visits_apply,
)
from tests.conftest import local_time
from tests.factories import UserFactory
from tests.support.reminders import CANARIES, assert_reminder_free_of

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2026, 3, 4)
UTC = dt.UTC


def book(world, start, patient=None, **kwargs):
    patient = patient or world.patient
    return appointment_book(
        patient=patient,
        consultation_type=world.ctype,
        start=start,
        booked_by=patient.user or patient.guardian,
        specialist=world.specialist,
        **kwargs,
    )


def rows(appt, **filters):
    return list(
        Reminder.objects.filter(
            target_label="patients.appointment", target_id=str(appt.pk), **filters
        ).order_by("target_version", "due_at", "kind", "channel")
    )


def summary(appt, **filters):
    return [(r.kind, r.channel, r.target_version, r.status) for r in rows(appt, **filters)]


def manage_url(patient):
    return tokens.manage_reminders_url(person_label="patients.patient", person_id=patient.pk)


def manage_path(patient):
    return re.sub(r"^https?://[^/]+", "", manage_url(patient))


# --- Schedule creation --------------------------------------------------------------------------
def test_booking_writes_the_24h_and_2h_reminders(booking_world, frozen_now):
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    assert summary(appt) == [
        ("consultation-24h", "email", 1, "pending"),
        ("consultation-2h", "email", 1, "pending"),
    ]
    day_before, two_hours = rows(appt)
    assert day_before.due_at == appt.start - dt.timedelta(hours=24)
    assert two_hours.due_at == appt.start - dt.timedelta(hours=2)
    assert day_before.expires_at == appt.start
    assert (day_before.person_label, day_before.person_id) == (
        "patients.patient",
        str(booking_world.patient.pk),
    )


def test_email_and_sms_give_a_row_per_channel(booking_world, frozen_now):
    Patient.objects.filter(pk=booking_world.patient.pk).update(
        reminder_channel="both", phone="+14155550123"
    )
    booking_world.patient.refresh_from_db()
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    assert sorted((r.kind, r.channel) for r in rows(appt)) == [
        ("consultation-24h", "email"),
        ("consultation-24h", "sms"),
        ("consultation-2h", "email"),
        ("consultation-2h", "sms"),
    ]


def test_a_treatment_visit_gets_only_the_24h_visit_reminder(booking_world, frozen_now):
    start = local_time(WEDNESDAY, 14)
    (visit,) = treatment_visits_apply(
        patient=booking_world.patient,
        book=[Visit(booking_world.specialist.pk, start, start + dt.timedelta(minutes=30))],
    )
    assert summary(visit) == [("treatment-visit-24h", "email", 1, "pending")]
    assert rows(visit)[0].due_at == start - dt.timedelta(hours=24)


def test_a_reminder_whose_time_has_passed_is_skipped_not_sent(booking_world, frozen_now):
    appt = book(booking_world, local_time(dt.date(2026, 3, 2), 14))  # today, in 6 hours
    assert summary(appt) == [
        ("consultation-24h", "email", 1, "skipped"),
        ("consultation-2h", "email", 1, "pending"),
    ]


# --- Reschedule and cancel ----------------------------------------------------------------------
def test_a_reschedule_bumps_the_version_and_gets_new_reminders(booking_world, frozen_now):
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    # The 24 h reminder of the old time has already gone out.
    with time_machine.travel(local_time(dt.date(2026, 3, 3), 10, 1), tick=False):
        assert reminders_dispatch() == {"sent": 1}
    with time_machine.travel(local_time(dt.date(2026, 3, 3), 10, 5), tick=False):
        moved = appointment_reschedule(
            appointment=appt,
            start=local_time(dt.date(2026, 3, 6), 11),
            by=appt.booked_by,
            for_staff=True,  # inside the patients' 24 h cut-off: the clinic moves it
        )
    assert moved.version == 2
    assert summary(appt) == [
        ("consultation-24h", "email", 1, "sent"),
        ("consultation-2h", "email", 1, "cancelled"),
        ("consultation-24h", "email", 2, "pending"),
        ("consultation-2h", "email", 2, "pending"),
    ]
    assert rows(appt, target_version=2)[0].due_at == moved.start - dt.timedelta(hours=24)


def test_cancelling_cancels_the_pending_reminders(booking_world, frozen_now):
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    appointment_cancel(appointment=appt, by=appt.booked_by)
    assert {r.status for r in rows(appt)} == {"cancelled"}
    assert reminders_dispatch(now=appt.start - dt.timedelta(hours=1)) == {}


def test_booking_and_its_reminders_roll_back_together(booking_world, frozen_now, monkeypatch):
    """R2: a failure after the insert leaves no appointment, no reminder, no message."""

    def broken(**kwargs):
        raise RuntimeError("the confirmation could not be written")

    monkeypatch.setattr(booking_services, "appointment_notify", broken)
    with pytest.raises(RuntimeError):
        book(booking_world, local_time(WEDNESDAY, 10))
    assert not Appointment.objects.exists()
    assert not Reminder.objects.exists()
    assert not Message.objects.exists()


# --- Quiet hours, time zones, DST (R9) --------------------------------------------------------
def test_quiet_hours_move_a_reminder_to_their_end(booking_world, frozen_now):
    # 2 h before 09:30 is 07:30, inside the default quiet hours 21:00-08:00: sent at 08:00.
    appt = book(booking_world, local_time(WEDNESDAY, 9, 30))
    two_hours = rows(appt, kind="consultation-2h")[0]
    assert two_hours.scheduled_for == local_time(WEDNESDAY, 7, 30)
    assert two_hours.due_at == local_time(WEDNESDAY, 8)
    assert two_hours.status == "pending"


def test_quiet_hours_that_outlast_the_appointment_skip_the_reminder(booking_world, frozen_now):
    Patient.objects.filter(pk=booking_world.patient.pk).update(quiet_hours_end=dt.time(10))
    booking_world.patient.refresh_from_db()
    appt = book(booking_world, local_time(WEDNESDAY, 9, 30))
    assert rows(appt, kind="consultation-2h")[0].status == "skipped"
    assert rows(appt, kind="consultation-24h")[0].status == "pending"


def test_quiet_hours_hold_emails_and_text_messages_alike_and_the_pages_say_so(
    client, patient_client, booking_world, frozen_now
):
    Patient.objects.filter(pk=booking_world.patient.pk).update(
        reminder_channel="both", phone="+14155550123"
    )
    booking_world.patient.refresh_from_db()
    appt = book(booking_world, local_time(WEDNESDAY, 11, 30))  # 2 h before: 09:30
    # The patient then makes 09:00-10:00 quiet: at dispatch both channels wait until 10:00.
    Patient.objects.filter(pk=booking_world.patient.pk).update(
        quiet_hours_start=dt.time(9), quiet_hours_end=dt.time(10)
    )
    due = local_time(WEDNESDAY, 9, 30) + dt.timedelta(seconds=30)
    with time_machine.travel(due, tick=False):
        reminders_dispatch()
    held = rows(appt, kind="consultation-2h")
    assert [(r.channel, r.status, r.due_at) for r in held] == [
        ("email", "pending", local_time(WEDNESDAY, 10)),
        ("sms", "pending", local_time(WEDNESDAY, 10)),
    ]
    # So the help text of both preference pages names both channels.
    for html in (
        client.get(manage_path(booking_world.patient)).content.decode(),
        patient_client.get(reverse("patients:profile")).content.decode(),
    ):
        assert "No reminders between these times, by email or text message" in html
        assert "No text messages between these times" not in html


def test_24h_before_is_exact_across_the_dst_change(booking_world):
    """Sunday 8 March 2026 at 10:00 PDT; clocks sprang forward that night, so the reminder
    24 hours earlier is at 09:00 PST on Saturday (17:00 UTC both days)."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 16, tzinfo=UTC), tick=False):
        appt = book(booking_world, local_time(dt.date(2026, 3, 8), 10))
    day_before = rows(appt, kind="consultation-24h")[0]
    assert appt.start == dt.datetime(2026, 3, 8, 17, tzinfo=UTC)
    assert day_before.due_at == dt.datetime(2026, 3, 7, 17, tzinfo=UTC)
    assert appt.start - day_before.due_at == dt.timedelta(hours=24)
    assert local_time(dt.date(2026, 3, 7), 9) == day_before.due_at


def test_the_message_shows_the_time_on_the_patients_own_clock(booking_world, frozen_now):
    Patient.objects.filter(pk=booking_world.patient.pk).update(time_zone="Europe/Berlin")
    booking_world.patient.refresh_from_db()
    appt = book(booking_world, local_time(WEDNESDAY, 10))  # 10:00 in LA = 19:00 in Berlin
    rendered = reminder_render(kind="consultation-24h", target=appt)
    assert "Wednesday 4 March 2026, 19:00 (CET)" in rendered.text
    # Quiet hours are the patient's too: 2 h before is 17:00 Berlin, outside 21:00-08:00.
    assert rows(appt, kind="consultation-2h")[0].due_at == appt.start - dt.timedelta(hours=2)


# --- Content (S13) ----------------------------------------------------------------------------
@pytest.fixture
def canary_appointment(booking_world, frozen_now):
    world = booking_world
    world.ctype.name = CANARIES[1]
    world.ctype.description = CANARIES[0]
    world.ctype.save()
    world.specialist.bio = CANARIES[2]
    world.specialist.save()
    Patient.objects.filter(pk=world.patient.pk).update(
        legal_name=f"Ann {CANARIES[4]}", date_of_birth=dt.date(1987, 2, 3)
    )
    world.patient.refresh_from_db()
    appt = book(world, local_time(WEDNESDAY, 10))
    Appointment.objects.filter(pk=appt.pk).update(cancel_reason=CANARIES[3])
    appt.refresh_from_db()
    return appt


@pytest.mark.parametrize("kind", ["consultation-24h", "consultation-2h"])
def test_S13_consultation_reminders_carry_the_minimum(canary_appointment, kind):
    checked = assert_reminder_free_of(kind=kind, target=canary_appointment)
    assert set(checked) >= {"email subject", "sms text"}
    rendered = reminder_render(kind=kind, target=canary_appointment)
    for expected in ("Hello Ann,", "Wednesday 4 March 2026, 10:00", "Call us at", "/reminders/"):
        assert expected in rendered.text, expected
    assert "1987" not in rendered.text and "Dana" not in rendered.text  # no birth date, no doctor
    assert rendered.subject.endswith(
        "Your appointment tomorrow" if kind.endswith("24h") else "Your appointment is soon"
    )
    assert rendered.html and "<a href=" in rendered.html
    sms = reminder_render(kind=kind, target=canary_appointment, channel="sms")
    assert len(sms.text) < 320 and "/reminders/manage/" in sms.text


def test_S13_a_visit_reminder_carries_the_minimum(booking_world, frozen_now):
    booking_world.specialist.display_name = CANARIES[1]
    booking_world.specialist.save()
    start = local_time(WEDNESDAY, 14)
    (visit,) = treatment_visits_apply(
        patient=booking_world.patient,
        book=[Visit(booking_world.specialist.pk, start, start + dt.timedelta(minutes=30))],
    )
    assert_reminder_free_of(kind="treatment-visit-24h", target=visit)
    rendered = reminder_render(kind="treatment-visit-24h", target=visit)
    assert rendered.subject.endswith("Your visit tomorrow")
    assert "your visit at the clinic" in rendered.text and "14:00" in rendered.text


# --- A guardian receives a dependant's reminders ---------------------------------------------
def test_a_guardian_receives_the_childs_reminders(booking_world, frozen_now):
    grace = UserFactory(email="grace@example.com", first_name="Grace", last_name="Kim")
    lily = Patient.objects.create(
        guardian=grace, legal_name="Lily Kim", date_of_birth=dt.date(2015, 9, 3)
    )
    appt = book(booking_world, local_time(WEDNESDAY, 10), patient=lily)
    day_before = rows(appt, kind="consultation-24h")[0]
    assert day_before.person_id == str(lily.pk)
    with time_machine.travel(day_before.due_at + dt.timedelta(seconds=30), tick=False):
        reminders_dispatch()
    day_before.refresh_from_db()
    assert day_before.recipient == "grace@example.com"
    rendered = reminder_render(kind="consultation-24h", target=appt)
    assert rendered.text.startswith("Hello Grace,")
    assert "Lily's appointment" in rendered.text and "Kim" not in rendered.text


# --- The "manage reminders" page --------------------------------------------------------------
def form_data(**overrides):
    data = {
        "reminder_channel": "email",
        "topics": [key for key, _label in kinds.topics()],  # every reminder on
        "home_session_time": "19:30",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "time_zone": "America/Los_Angeles",
    }
    data.update(overrides)
    return data


def test_the_link_opens_the_patients_preferences_without_login(client, booking_world):
    response = client.get(manage_path(booking_world.patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your reminders" in html and 'name="reminder_channel"' in html
    assert "Appointment reminders" in html and "Home session reminders" in html
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_posting_saves_the_preferences(client, booking_world):
    response = client.post(manage_path(booking_world.patient), form_data(topics=["consultations"]))
    assert response.status_code == 200 and "Saved." in response.content.decode()
    patient = Patient.objects.get(pk=booking_world.patient.pk)
    assert patient.home_session_time == dt.time(19, 30)
    assert (patient.quiet_hours_start, patient.quiet_hours_end) == (dt.time(22), dt.time(7))
    every_topic = {key for key, _label in kinds.topics()}
    assert set(patient.reminder_opt_outs) == every_topic - {"consultations"}
    assert {"clinic_visits", "home_sessions"} <= set(patient.reminder_opt_outs)


def test_choosing_sms_adds_sms_rows_to_the_pending_reminders(client, booking_world, frozen_now):
    Patient.objects.filter(pk=booking_world.patient.pk).update(phone="+14155550123")
    booking_world.patient.refresh_from_db()
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    client.post(manage_path(booking_world.patient), form_data(reminder_channel="both"))
    assert sorted((r.kind, r.channel) for r in rows(appt)) == [
        ("consultation-24h", "email"),
        ("consultation-24h", "sms"),
        ("consultation-2h", "email"),
        ("consultation-2h", "sms"),
    ]


def test_an_opt_out_is_honoured_when_the_reminder_is_due(client, booking_world, frozen_now):
    appt = book(booking_world, local_time(WEDNESDAY, 10))
    client.post(manage_path(booking_world.patient), form_data(topics=["home_sessions"]))
    reminders_dispatch(now=local_time(dt.date(2026, 3, 3), 10, 1))
    assert rows(appt, kind="consultation-24h")[0].status == "skipped"
    assert not Message.objects.filter(purpose="reminder").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reminder_channel": "sms"}, "We have no mobile number"),
        ({"reminder_channel": "pigeon"}, "Select a valid choice"),
        ({"topics": ["nonsense"]}, "Select a valid choice"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"quiet_hours_start": "25:00"}, "Enter a valid time"),
    ],
)
def test_bad_preferences_are_refused_and_nothing_changes(client, booking_world, data, message):
    before = Patient.objects.get(pk=booking_world.patient.pk)
    response = client.post(manage_path(booking_world.patient), form_data(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    after = Patient.objects.get(pk=booking_world.patient.pk)
    assert (after.reminder_channel, after.quiet_hours_start, after.reminder_opt_outs) == (
        before.reminder_channel,
        before.quiet_hours_start,
        before.reminder_opt_outs,
    )


def test_an_expired_link_gets_a_clear_page(client, booking_world):
    path = manage_path(booking_world.patient)
    with time_machine.travel(dt.datetime.now(tz=UTC) + dt.timedelta(days=31)):
        response = client.get(path)
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
        response = client.post(path, form_data(reminder_channel="email", time_zone="Asia/Tokyo"))
    assert response.status_code == 400
    assert Patient.objects.get(pk=booking_world.patient.pk).time_zone != "Asia/Tokyo"


def test_a_tampered_link_gets_a_clear_page(client, booking_world):
    path = manage_path(booking_world.patient)
    token = path.split("/")[-2]
    response = client.get(
        path.replace(token, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))
    )
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


@pytest.mark.parametrize(
    "token_for",
    [
        # Another purpose's signed token (the account-claim link) does not open the page.
        lambda p: signing.dumps({"p": p.pk, "n": "x"}, salt="patients.claim"),
        # The right salt but made for another purpose.
        lambda p: signing.dumps(["claim", "patients.patient", str(p.pk)], salt=tokens.SALT),
        # A valid token for something that is not a patient.
        lambda p: tokens.manage_token_make(person_label="accounts.user", person_id=p.user_id),
        # A valid token for a patient who does not exist.
        lambda p: tokens.manage_token_make(person_label="patients.patient", person_id=99999),
    ],
)
def test_a_token_for_anything_else_is_refused(client, booking_world, token_for):
    token = token_for(booking_world.patient)
    response = client.post(f"/reminders/manage/{token}/", form_data(time_zone="Asia/Tokyo"))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not Patient.objects.filter(time_zone="Asia/Tokyo").exists()


def test_another_patients_preferences_cannot_be_reached(client, booking_world, other_patient):
    """The page changes only the patient the token names: there is no id in the URL, and
    editing the id inside the token breaks its signature."""
    path = manage_path(booking_world.patient)
    client.post(path, form_data(time_zone="Asia/Tokyo"))
    assert Patient.objects.get(pk=other_patient.pk).time_zone != "Asia/Tokyo"
    payload = path.split("/")[-2].split(":")[0]
    forged = signing.b64_encode(f'["mr","patients.patient","{other_patient.pk}"]'.encode()).decode()
    response = client.post(path.replace(payload, forged), form_data(time_zone="Asia/Tokyo"))
    assert response.status_code == 400
    assert Patient.objects.get(pk=other_patient.pk).time_zone != "Asia/Tokyo"


def test_S14_the_manage_token_is_never_logged(client, booking_world, caplog):
    caplog.handler.addFilter(ScrubTokensFilter())
    path = manage_path(booking_world.patient)
    token = path.split("/")[-2]
    with caplog.at_level(logging.INFO):
        client.post(path, form_data(reminder_channel="sms"))  # refused: logged as a 400
        client.get(path.replace(token, "x" + token))
    assert caplog.records and token not in caplog.text


# --- Staff see a patient's reminder history ---------------------------------------------------
def test_staff_see_the_reminder_history_on_the_patient_page(
    staff_client, booking_world, frozen_now
):
    book(booking_world, local_time(WEDNESDAY, 10))
    html = staff_client.get(f"/staff/calendar/patients/{booking_world.patient.pk}/").content
    html = html.decode()
    assert "Reminders" in html and "Appointment, 24 h before" in html
    assert "Appointment, 2 h before" in html and "Scheduled" in html


# --- Demo data --------------------------------------------------------------------------------
def test_the_demo_has_reminders_due_soon():
    from django.core.management import call_command
    from django.utils import timezone

    call_command("demo_data")
    call_command("demo_data")  # idempotent
    now = timezone.now()
    liam = Patient.objects.get(user__email="liam@demo.clinic.example")
    soon = Reminder.objects.filter(
        person_id=str(liam.pk),
        status="pending",
        due_at__gt=now,
        due_at__lte=now + dt.timedelta(minutes=20),
    )
    assert sorted(soon.values_list("kind", "channel")) == [
        ("consultation-2h", "email"),
        ("consultation-2h", "sms"),
    ]
    # The other demo bookings and plans have theirs too.
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert {"consultation-24h", "treatment-visit-24h", "home-session"} <= kinds


def _liams_due_soon(now):
    liam = Patient.objects.get(user__email="liam@demo.clinic.example")
    return Reminder.objects.filter(
        person_id=str(liam.pk), due_at__gt=now, due_at__lte=now + dt.timedelta(minutes=20)
    )


# 01:00, 07:00 and 15:00 in Los Angeles (the demo patients' zone): night, the end of the
# default quiet hours, and day.
@pytest.mark.parametrize("utc_hour", [9, 15, 23])
def test_the_demos_reminders_due_soon_are_sent_whatever_the_hour(utc_hour):
    from django.core.management import call_command

    start = dt.datetime(2026, 11, 24, utc_hour, 7, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        call_command("demo_data")
    soon = list(_liams_due_soon(start))
    assert len(soon) == 2
    with time_machine.travel(max(r.due_at for r in soon) + dt.timedelta(seconds=30), tick=False):
        reminders_dispatch()
    assert sorted(_liams_due_soon(start).values_list("channel", "status")) == [
        ("email", "sent"),
        ("sms", "sent"),
    ]


def test_running_the_demo_again_the_next_day_brings_new_reminders_due_soon():
    from django.core.management import call_command

    first = dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    with time_machine.travel(first, tick=False):
        call_command("demo_data")
    next_day = first + dt.timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        call_command("demo_data")
        call_command("demo_data")  # still idempotent within the day
    assert sorted(_liams_due_soon(next_day).values_list("kind", "channel")) == [
        ("consultation-2h", "email"),
        ("consultation-2h", "sms"),
    ]


def test_choosing_sms_on_the_profile_page_adds_sms_rows_too(booking_world, frozen_now):
    from patients.services.profile import patient_profile_update

    appt = book(booking_world, local_time(WEDNESDAY, 10))
    patient_profile_update(
        patient=booking_world.patient, reminder_channel="both", phone="+14155550123"
    )
    assert sorted((r.kind, r.channel) for r in rows(appt)) == [
        ("consultation-24h", "email"),
        ("consultation-24h", "sms"),
        ("consultation-2h", "email"),
        ("consultation-2h", "sms"),
    ]
