"""In-clinic sessions are treatment-visit appointments: booked, moved and cancelled with the
plan in one transaction, kept clear of consultations by the shared no-overlap rule."""

import datetime
import re

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.models import (
    Appointment,
    AppointmentChange,
    AppointmentKind,
    AppointmentStatus,
    BookingPolicy,
    TimeOff,
)
from patients.services import booking as booking_services
from patients.services.booking import (
    SlotTaken,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from tests.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    SpecialistFactory,
    working_week,
)
from tests.treatments.conftest import LA, MONDAY, at, ion
from treatments.models import Plan, PlannedSession, PlanVersion
from treatments.services import (
    PlanError,
    plan_assign,
    plan_change,
    plan_move_to_maintenance,
    plans_extend_horizon,
)
from treatments.services.sessions import VISIT_EXTRA_MINUTES

pytestmark = pytest.mark.django_db
NOW = at(MONDAY, 8)  # Monday 2 March 2026, 08:00 in Los Angeles (the clinic's zone)
TEN = datetime.time(10)
UTC = datetime.UTC


@pytest.fixture
def dana(specialist_user):
    """The specialist who assigns, with a profile: 09:00-12:00 and 13:00-17:00 every day."""
    BookingPolicy().save()
    specialist = SpecialistFactory(user=specialist_user, display_name="Dr. Dana Test")
    working_week(specialist)
    return specialist


@pytest.fixture
def ctype(db):
    return ConsultationTypeFactory(name="Follow-up", duration_minutes=30, buffer_after_minutes=10)


def clinic(**overrides):
    return ion(**{"setting": "clinic", "clinic_time": TEN, **overrides})


def assign(patient, user, items, now=NOW):
    return plan_assign(patient_id=patient.pk, items=items, user=user, now=now)


def change(plan, user, items, now, reason="Adjusting the plan."):
    return plan_change(plan_id=plan.pk, items=items, reason=reason, user=user, now=now)


def visits(**filters):
    return list(
        Appointment.objects.filter(kind=AppointmentKind.TREATMENT_VISIT, **filters).order_by(
            "start"
        )
    )


def sessions(plan, **filters):
    return list(
        plan.sessions.filter(kind="session", **filters)
        .select_related("appointment")
        .order_by("day", "pk")
    )


def nothing_written():
    return not Plan.objects.exists() and not visits() and not PlannedSession.objects.exists()


# --- Booking the visits ---------------------------------------------------------------------
def test_in_clinic_sessions_are_treatment_visits_at_the_chosen_time(
    screened, specialist_user, dana
):
    plan = assign(screened, specialist_user, [clinic()])
    planned = sessions(plan, status="planned")
    assert len(planned) >= 12
    for s in planned:
        appt = s.appointment
        assert appt.kind == AppointmentKind.TREATMENT_VISIT
        assert appt.status == AppointmentStatus.BOOKED
        assert (appt.patient_id, appt.specialist_id) == (screened.pk, dana.pk)
        assert appt.start == s.starts_at
        assert appt.start.astimezone(LA).time() == TEN  # 10:00 on the clinic's wall clock
        assert appt.end - appt.start == datetime.timedelta(minutes=20 + VISIT_EXTRA_MINUTES)
        assert appt.blocked_until == appt.end
        assert appt.consultation_type_id is None and appt.booked_by == specialist_user
    # Across the DST change of Sunday 8 March the wall-clock time stays, the UTC hour moves.
    assert planned[0].appointment.start == datetime.datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert planned[3].appointment.start == datetime.datetime(2026, 3, 9, 17, tzinfo=UTC)
    booked = AppointmentChange.objects.filter(action="booked", appointment__in=visits())
    assert booked.count() == len(planned)


def test_the_assigning_specialist_runs_them_unless_another_is_chosen(
    screened, specialist_user, dana
):
    colleague = SpecialistFactory(display_name="Dr. Lee Colleague")
    working_week(colleague)
    plan = assign(screened, specialist_user, [clinic(clinician_id=colleague.pk)])
    assert {v.specialist_id for v in visits()} == {colleague.pk}
    assert plan.current_version.items.get().clinician_id == colleague.pk


def test_home_sessions_book_no_appointment(screened, specialist_user, dana):
    plan = assign(screened, specialist_user, [ion()])
    assert sessions(plan) and not visits()
    assert all(s.appointment_id is None for s in sessions(plan))


# --- Bad input: clear message, nothing written ------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"clinic_time": None}, "choose the time of day"),
        ({"clinician_id": 987654}, "clinician of the in-clinic sessions from the list"),
    ],
)
def test_missing_or_unknown_values_are_refused(screened, specialist_user, dana, overrides, message):
    with pytest.raises(PlanError, match=message):
        assign(screened, specialist_user, [clinic(**overrides)])
    assert nothing_written()


def test_without_a_profile_the_specialist_must_choose_a_clinician(screened, specialist_user):
    with pytest.raises(PlanError, match="choose who runs the sessions"):
        assign(screened, specialist_user, [clinic()])
    assert nothing_written()


def test_an_inactive_clinician_is_refused(screened, specialist_user, dana):
    retired = SpecialistFactory(is_active=False)
    working_week(retired)
    with pytest.raises(PlanError, match="not taking appointments"):
        assign(screened, specialist_user, [clinic(clinician_id=retired.pk)])
    assert nothing_written()


def test_visits_outside_working_hours_are_refused_with_the_hours(screened, specialist_user, dana):
    with pytest.raises(PlanError) as caught:
        assign(screened, specialist_user, [clinic(clinic_time=datetime.time(8))])
    message = caught.value.message
    assert "Dr. Dana Test works 09:00–12:00, 13:00–17:00 on Monday" in message
    assert "a visit at 08:00 does not fit" in message
    assert nothing_written()


def test_a_visit_that_runs_past_the_end_of_hours_is_refused(screened, specialist_user, dana):
    # 11:45 + 30 min ends at 12:15, into the lunch break.
    with pytest.raises(PlanError, match="a visit at 11:45 does not fit"):
        assign(screened, specialist_user, [clinic(clinic_time=datetime.time(11, 45))])
    assert nothing_written()


def test_days_the_clinician_does_not_work_are_named(screened, specialist_user):
    weekdays_only = SpecialistFactory(display_name="Dr. Mon Thu")
    working_week(weekdays_only, weekdays=range(4))  # Monday to Thursday
    with pytest.raises(PlanError, match="Dr. Mon Thu does not work on Friday"):
        assign(screened, specialist_user, [clinic(clinician_id=weekdays_only.pk)])
    assert nothing_written()


def test_a_visit_during_time_off_is_refused(screened, specialist_user, dana):
    TimeOff.objects.create(
        specialist=dana,
        start=at(MONDAY + datetime.timedelta(days=2), 0),
        end=at(MONDAY + datetime.timedelta(days=3), 0),
    )
    with pytest.raises(PlanError, match=r"Wed 4 Mar 2026, 10:00: Dr. Dana Test is away"):
        assign(screened, specialist_user, [clinic()])
    assert nothing_written()


def test_a_clash_with_a_consultation_of_the_clinician_is_refused(
    screened, specialist_user, dana, ctype, other_patient
):
    wednesday = MONDAY + datetime.timedelta(days=2)
    appointment_book(
        patient=other_patient,
        consultation_type=ctype,
        start=at(wednesday, 10, 15),
        booked_by=specialist_user,
        specialist=dana,
        for_staff=True,
        notify=False,
        now=NOW,
    )
    with pytest.raises(PlanError) as caught:
        assign(screened, specialist_user, [clinic()])
    assert caught.value.messages == [
        "Wed 4 Mar 2026, 10:00: Dr. Dana Test already has an appointment then (10:15–10:45)."
    ]
    assert nothing_written()
    assert Appointment.objects.count() == 1


def test_a_clash_with_the_patients_own_appointment_is_refused(
    screened, specialist_user, dana, ctype
):
    other_doctor = SpecialistFactory()
    working_week(other_doctor)
    friday = MONDAY + datetime.timedelta(days=4)
    appointment_book(
        patient=screened,
        consultation_type=ctype,
        start=at(friday, 9, 45),
        booked_by=specialist_user,
        specialist=other_doctor,
        for_staff=True,
        notify=False,
        now=NOW,
    )
    with pytest.raises(PlanError, match=r"Fri 6 Mar 2026, 10:00: the patient already has"):
        assign(screened, specialist_user, [clinic()])
    assert nothing_written()


def test_two_clinic_items_at_the_same_time_are_refused(screened, specialist_user, dana):
    items = [clinic(areas=("palmar",)), clinic(areas=("plantar",))]
    with pytest.raises(PlanError, match="two of the new visits overlap"):
        assign(screened, specialist_user, items)
    assert nothing_written()


def test_a_long_list_of_problems_is_capped(screened, specialist_user, dana, ctype):
    patients = PatientFactory.create_batch(10)
    day = MONDAY
    for p in patients:  # one consultation on each of the first ten session days
        day += datetime.timedelta(days=2 if day.weekday() in (0, 2) else 3)
        appointment_book(
            patient=p,
            consultation_type=ctype,
            start=at(day, 10),
            booked_by=specialist_user,
            specialist=dana,
            for_staff=True,
            notify=False,
            now=NOW,
        )
    with pytest.raises(PlanError) as caught:
        assign(screened, specialist_user, [clinic()])
    messages = caught.value.messages
    assert len(messages) == booking_services.MAX_PROBLEMS_LISTED + 1
    assert messages[-1] == "… and 2 more times with a problem like these."


# --- The shared PostgreSQL constraint ---------------------------------------------------------
@pytest.mark.postgres
def test_in_clinic_visits_never_overlap_consultations(
    screened, specialist_user, dana, ctype, other_patient
):
    """The database itself keeps them apart: the same exclusion constraints as bookings."""
    assign(screened, specialist_user, [clinic()])
    first = visits()[0]
    with (
        pytest.raises(IntegrityError, match="appointment_specialist_no_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.create(
            kind=AppointmentKind.CONSULTATION,
            patient=other_patient,
            specialist=dana,
            consultation_type=ctype,
            start=first.start + datetime.timedelta(minutes=15),
            end=first.start + datetime.timedelta(minutes=45),
            blocked_until=first.start + datetime.timedelta(minutes=55),
        )
    with (
        pytest.raises(IntegrityError, match="appointment_patient_no_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.create(
            kind=AppointmentKind.CONSULTATION,
            patient=screened,
            specialist=SpecialistFactory(),
            consultation_type=ctype,
            start=first.start,
            end=first.end,
            blocked_until=first.end,
        )
    # And through the booking service the visit's time is simply not free.
    with pytest.raises(SlotTaken):
        appointment_book(
            patient=other_patient,
            consultation_type=ctype,
            start=first.start,
            booked_by=specialist_user,
            specialist=dana,
            for_staff=True,
            notify=False,
            now=NOW,
        )


@pytest.mark.postgres
def test_a_consultation_booked_at_the_same_instant_fails_the_plan_cleanly(
    screened, specialist_user, dana, ctype, other_patient, monkeypatch
):
    """The check ran before a concurrent booking committed: the constraint refuses the insert
    and the whole plan rolls back with a message (never a 500, nothing half-written)."""
    appointment_book(
        patient=other_patient,
        consultation_type=ctype,
        start=at(MONDAY + datetime.timedelta(days=7), 10),
        booked_by=specialist_user,
        specialist=dana,
        for_staff=True,
        notify=False,
        now=NOW,
    )
    monkeypatch.setattr(booking_services, "treatment_visit_problems", lambda **kw: [])
    with pytest.raises(PlanError, match="booked at one of these times a moment ago"):
        assign(screened, specialist_user, [clinic()])
    assert nothing_written()
    assert not PlanVersion.objects.exists()


# --- Regeneration after a plan change -----------------------------------------------------------
LATER = at(MONDAY + datetime.timedelta(days=2), 12)  # Wednesday noon: two visits are past


def test_a_new_time_moves_the_future_visits_and_keeps_the_past(screened, specialist_user, dana):
    plan = assign(screened, specialist_user, [clinic()])
    before = {v.pk: v for v in visits()}
    change(plan, specialist_user, [clinic(clinic_time=datetime.time(14))], now=LATER)
    after = visits()
    assert {v.pk for v in after} == set(before)  # the same appointments, moved
    past = [v for v in after if v.start <= LATER]
    assert len(past) == 2
    assert all(v.version == 1 and v.start.astimezone(LA).time() == TEN for v in past)
    future = [v for v in after if v.start > LATER]
    assert future and all(
        v.version == 2
        and v.start.astimezone(LA).time() == datetime.time(14)
        and v.status == AppointmentStatus.BOOKED
        for v in future
    )
    moved = AppointmentChange.objects.filter(action="rescheduled")
    assert moved.count() == len(future)
    assert all(c.by == specialist_user for c in moved)
    for s in sessions(plan, status="planned"):
        assert s.appointment.start == s.starts_at


def test_new_weekdays_cancel_dropped_visits_and_book_new_ones(screened, specialist_user, dana):
    plan = assign(screened, specialist_user, [clinic()])
    change(plan, specialist_user, [clinic(weekdays=(1, 3), sessions_per_week=2)], now=LATER)
    for s in sessions(plan):
        if s.status == "cancelled":
            assert s.appointment.status == AppointmentStatus.CANCELLED
            assert s.appointment.cancel_reason == "Treatment plan changed"
        else:
            assert s.appointment.status == AppointmentStatus.BOOKED
            assert s.appointment.start == s.starts_at
    booked_days = {
        v.start.astimezone(LA).weekday() for v in visits(status="booked", start__gt=LATER)
    }
    assert booked_days == {1, 3}
    # Every booked visit belongs to a planned session: no orphan holds the clinician's time.
    assert all(
        v.planned_session.status == "planned" for v in visits(status=AppointmentStatus.BOOKED)
    )


def test_moving_sessions_home_cancels_their_visits_and_back_books_again(
    screened, specialist_user, dana
):
    plan = assign(screened, specialist_user, [clinic()])
    change(plan, specialist_user, [ion()], now=LATER)
    future = [s for s in sessions(plan, status="planned") if s.starts_at > LATER]
    assert future and all(s.setting == "home" and s.appointment_id is None for s in future)
    assert not visits(status=AppointmentStatus.BOOKED, start__gt=LATER)
    change(plan, specialist_user, [clinic()], now=LATER)
    future = [s for s in sessions(plan, status="planned") if s.starts_at > LATER]
    assert all(s.appointment.status == AppointmentStatus.BOOKED for s in future)


def test_a_new_clinician_takes_over_the_future_visits(screened, specialist_user, dana):
    colleague = SpecialistFactory(display_name="Dr. Lee Colleague")
    working_week(colleague)
    plan = assign(screened, specialist_user, [clinic()])
    version = change(plan, specialist_user, [clinic(clinician_id=colleague.pk)], now=LATER)
    assert "clinician Dr. Dana Test → Dr. Lee Colleague" in version.summary
    future = visits(start__gt=LATER)
    assert future and all(v.specialist_id == colleague.pk and v.version == 2 for v in future)
    assert all(v.specialist_id == dana.pk for v in visits(start__lte=LATER))


def test_move_to_maintenance_cancels_the_remaining_initial_visits(screened, specialist_user, dana):
    plan = assign(screened, specialist_user, [clinic()])
    plan_move_to_maintenance(
        plan_id=plan.pk, reason="HDSS down to 1.", user=specialist_user, now=LATER
    )
    booked = visits(status=AppointmentStatus.BOOKED, start__gt=LATER)
    assert [s.phase for s in sessions(plan, status="planned") if s.starts_at > LATER] == [
        "maintenance"
    ] * len(booked)
    assert visits(status=AppointmentStatus.CANCELLED)


def test_a_change_that_clashes_is_refused_and_nothing_moves(
    screened, specialist_user, dana, ctype, other_patient
):
    plan = assign(screened, specialist_user, [clinic()])
    appointment_book(
        patient=other_patient,
        consultation_type=ctype,
        start=at(MONDAY + datetime.timedelta(days=4), 14),
        booked_by=specialist_user,
        specialist=dana,
        for_staff=True,
        notify=False,
        now=LATER,
    )
    with pytest.raises(PlanError, match="Fri 6 Mar 2026, 14:00: Dr. Dana Test already has"):
        change(plan, specialist_user, [clinic(clinic_time=datetime.time(14))], now=LATER)
    assert PlanVersion.objects.filter(plan=plan).count() == 1
    assert all(v.version == 1 and v.start.astimezone(LA).time() == TEN for v in visits())
    assert not AppointmentChange.objects.filter(action="rescheduled").exists()


# --- What staff did to a visit stays -----------------------------------------------------------
def test_a_visit_staff_cancelled_is_not_booked_again(screened, specialist_user, dana, staff_user):
    plan = assign(screened, specialist_user, [clinic()])
    target = sessions(plan)[5]
    appointment_cancel(
        appointment=target.appointment, by=staff_user, for_staff=True, notify=False, now=NOW
    )
    later = NOW + datetime.timedelta(days=1)
    plans_extend_horizon(now=later)
    target.refresh_from_db()
    assert target.status == "planned" and target.visit_cancelled
    same_day = [v for v in visits() if v.start.astimezone(LA).date() == target.day]
    assert len(same_day) == 1 and same_day[0].status == AppointmentStatus.CANCELLED
    # A plan change that drops the day cancels the session too.
    change(plan, specialist_user, [clinic(weekdays=(1, 3), sessions_per_week=2)], now=later)
    target.refresh_from_db()
    assert target.status == "cancelled"


def test_a_visit_staff_moved_stays_where_staff_put_it(screened, specialist_user, dana, staff_user):
    plan = assign(screened, specialist_user, [clinic()])
    target = sessions(plan)[5]
    new_start = at(target.day, 15)
    appointment_reschedule(
        appointment=target.appointment,
        start=new_start,
        by=staff_user,
        for_staff=True,
        notify=False,
        now=NOW,
    )
    plans_extend_horizon(now=NOW + datetime.timedelta(days=1))
    target.refresh_from_db()
    assert target.appointment.start == new_start and target.appointment.version == 2
    assert target.actual_start == new_start


# --- The pages ----------------------------------------------------------------------------------
def chart_url(patient):
    return f"/specialist/patients/{patient.pk}/"


def next_monday() -> datetime.date:
    today = datetime.date.today()
    return today + datetime.timedelta(days=7 - today.weekday())


def details(**overrides):
    start = next_monday()
    data = {
        "item0-setting": "clinic",
        "item0-clinic_time": "10:00",
        "item0-session_minutes": "20",
        "item0-current_ma": "12",
        "item0-sessions_per_week": "3",
        "item0-weekdays": ["0", "2", "4"],
        "item0-initial_weeks": "4",
        "item0-maintenance_interval_weeks": "1",
        "item0-start_date": start.isoformat(),
        "item0-water": "tap",
        "item0-review_date": (start + datetime.timedelta(weeks=4)).isoformat(),
    }
    data.update(overrides)
    return data


def choose_hands(client, patient):
    response = client.post(
        chart_url(patient) + "plan/",
        {"palmar-treatment": "iontophoresis", "plantar-treatment": "none"},
    )
    assert response.status_code == 302


def test_the_details_page_asks_for_the_time_and_clinician(specialist_client, screened, dana):
    choose_hands(specialist_client, screened)
    html = specialist_client.get(chart_url(screened) + "plan/details/").content.decode()
    assert 'name="item0-clinic_time"' in html and 'type="time"' in html
    assert f'<option value="{dana.pk}" selected>Dr. Dana Test</option>' in html
    assert "Clinicians&#x27; working hours" in html or "Clinicians' working hours" in html
    assert "Monday 09:00–12:00, 13:00–17:00" in html


def test_assigning_in_clinic_on_the_page_books_the_visits(
    specialist_client, screened, dana, staff_client
):
    choose_hands(specialist_client, screened)
    response = specialist_client.post(
        chart_url(screened) + "plan/details/", details(**{"item0-clinician": str(dana.pk)})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get(patient=screened)
    planned = sessions(plan, status="planned")
    assert planned and all(s.appointment.status == "booked" for s in planned)
    first = planned[0].appointment
    # The chart and the session calendar show the visit with its clinician.
    chart = specialist_client.get(chart_url(screened)).content.decode()
    assert "visit with Dr. Dana Test" in chart and "at 10:00 (clinic time)" in chart
    assert f"/staff/calendar/appointments/{first.pk}/" in chart
    calendar = specialist_client.get(chart_url(screened) + "plan/calendar/").content.decode()
    assert calendar.count("visit with Dr. Dana Test") == len(planned)
    # The staff calendar lists it like any appointment, marked as a treatment visit.
    day = first.start.astimezone(LA).date().isoformat()
    staff_day = staff_client.get(f"/staff/calendar/?date={day}").content.decode()
    assert "In-clinic treatment visit" in staff_day and screened.legal_name in staff_day
    detail = staff_client.get(f"/staff/calendar/appointments/{first.pk}/").content.decode()
    assert "An in-clinic session of the patient's treatment plan" in detail
    assert f"/specialist/patients/{screened.pk}/plan/calendar/" in detail


def test_a_clash_on_the_page_is_explained_and_nothing_is_saved(
    specialist_client, screened, dana, ctype, other_patient, specialist_user
):
    monday = next_monday()
    appointment_book(
        patient=other_patient,
        consultation_type=ctype,
        start=at(monday, 10),
        booked_by=specialist_user,
        specialist=dana,
        for_staff=True,
        notify=False,
    )
    choose_hands(specialist_client, screened)
    response = specialist_client.post(chart_url(screened) + "plan/details/", details())
    assert response.status_code == 200
    html = response.content.decode()
    assert "The plan was not saved" in html
    assert "Dr. Dana Test already has an appointment then (10:00–10:30)" in html
    assert nothing_written()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"item0-clinic_time": "25:99"}, "Enter a valid time"),
        ({"item0-clinic_time": "<b>10</b>"}, "Enter a valid time"),
        ({"item0-clinician": "abc"}, "Select a valid choice"),
        ({"item0-clinician": "987654"}, "Select a valid choice"),
        ({"item0-clinic_time": ""}, "choose the time of day of the sessions in the clinic"),
        ({"item0-clinic_time": "07:00"}, "a visit at 07:00 does not fit"),
    ],
)
def test_bad_clinic_values_on_the_page_never_500(
    specialist_client, screened, dana, overrides, message
):
    choose_hands(specialist_client, screened)
    response = specialist_client.post(chart_url(screened) + "plan/details/", details(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert nothing_written()


def test_patients_cannot_move_or_cancel_a_treatment_visit_online(
    patient_client, screened, specialist_user, dana
):
    plan = plan_assign(
        patient_id=screened.pk,
        items=[
            clinic(
                start_date=next_monday(), review_date=next_monday() + datetime.timedelta(weeks=4)
            )
        ],
        user=specialist_user,
    )
    appt = sessions(plan, status="planned")[-1].appointment
    page = patient_client.get(f"/me/appointments/{appt.pk}/").content.decode()
    assert "This visit is part of your treatment plan" in page
    assert f"/me/appointments/{appt.pk}/reschedule/" not in page
    response = patient_client.post(f"/me/appointments/{appt.pk}/cancel/", {"reason": "busy"})
    assert response.status_code == 200
    assert "the clinic arranges any change with you" in response.content.decode()
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.BOOKED


def test_my_treatment_shows_the_visit_times(patient_client, screened, specialist_user, dana):
    plan_assign(
        patient_id=screened.pk,
        items=[
            clinic(
                start_date=next_monday(), review_date=next_monday() + datetime.timedelta(weeks=4)
            )
        ],
        user=specialist_user,
    )
    html = patient_client.get("/treatment/").content.decode()
    assert "Session at the clinic" in html and "· 10:00" in html
    assert "we will arrange the time with you" not in html.split("Check-up")[0]


def test_a_visit_already_attended_today_is_not_coming_up(
    patient_client, screened, specialist_user, dana
):
    import re

    import time_machine

    plan = assign(screened, specialist_user, [clinic()])
    today = sessions(plan, status="planned")[0]
    assert today.day == MONDAY
    with time_machine.travel(at(MONDAY, 11), tick=False):
        Appointment.objects.filter(pk=today.appointment_id).update(
            status=AppointmentStatus.COMPLETED
        )
        html = patient_client.get("/treatment/").content.decode()
    days = re.findall(r'class="upcoming-when"><strong>([^<]+)</strong>', html)
    assert days and days[0] == "Wed 4 Mar"


def test_the_demo_has_an_in_clinic_plan_with_booked_visits():
    from django.core.management import call_command

    call_command("demo_data")
    call_command("demo_data")  # idempotent
    plan = Plan.objects.get(patient__user__email="chloe@demo.clinic.example")
    planned = sessions(plan, status="planned")
    assert planned and all(s.appointment.status == "booked" for s in planned)
    assert {s.appointment.specialist.display_name for s in planned} == {"Dr. Helen Ng"}


def test_the_nightly_extension_adds_a_clashing_session_without_its_visit(
    screened, specialist_user, dana, ctype, other_patient, specialist_client
):
    """A patient booked the clinician's time online before the calendar reached that day: the
    extension still adds the session (the rest of the plan goes on) and the chart says the
    visit is not booked, instead of the plan silently stopping."""
    plan = assign(screened, specialist_user, [clinic(maintenance_interval_weeks=1)])
    last = sessions(plan, status="planned")[-1]
    week_after = last.day + datetime.timedelta(weeks=1)
    appointment_book(
        patient=other_patient,
        consultation_type=ctype,
        start=at(week_after, 10),
        booked_by=specialist_user,
        specialist=dana,
        for_staff=True,
        notify=False,
        now=NOW,
    )
    assert plans_extend_horizon(now=NOW + datetime.timedelta(weeks=2)) == 1
    added = plan.sessions.get(day=week_after, status="planned")
    assert added.appointment_id is None and added.visit_missing
    later = [s for s in sessions(plan, status="planned") if s.day > last.day and s != added]
    assert later and all(s.appointment.status == "booked" for s in later)
    # Running again changes nothing (no new revision, no second try that fails the plan).
    assert plans_extend_horizon(now=NOW + datetime.timedelta(weeks=2, days=1)) == 1
    added.refresh_from_db()
    assert added.revision == 1 and added.appointment_id is None


def test_the_patients_home_names_the_next_visit_with_its_clinic_time(
    screened, specialist_user, dana, client
):
    assign(screened, specialist_user, [clinic()])
    client.force_login(screened.user)
    with time_machine.travel(NOW, tick=False):  # Monday 2 March, 08:00: the visit is at 10:00
        html = client.get(reverse("patients:home")).content.decode()
    steps = re.search(r"Your next steps</h2>(.*?)</div>", html, re.S).group(1)
    assert "Your next session at the clinic: Monday 2 March at 10:00." in steps


def test_one_visit_outside_the_hours_is_named_in_the_singular(screened, specialist_user):
    clinician = SpecialistFactory(display_name="Dr. Solo")  # no working hours at all
    start = datetime.datetime(2026, 3, 3, 18, tzinfo=UTC)  # Tuesday 3 March, 10:00 LA
    problems = booking_services.treatment_visit_problems(
        patient=screened,
        visits=[
            booking_services.Visit(
                specialist_id=clinician.pk, start=start, end=start + datetime.timedelta(minutes=30)
            )
        ],
    )
    assert any("(1 visit, " in p for p in problems), problems
    assert not any("1 visits" in p for p in problems)
