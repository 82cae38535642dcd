"""R1 on PostgreSQL: many people confirm at the same instant, each in their own thread with
their own database connection, through the real confirm view. Exactly one gets the time;
everyone else sees the friendly "just taken" page (or "you already have an appointment");
nobody gets an error page."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.test import Client

from patients.forms.booking import format_start
from patients.models import Appointment, ConsultationType
from tests.conftest import local_time
from tests.factories import PatientFactory, SpecialistFactory, working_week

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the race is settled by PostgreSQL constraints"
    ),
]
THREADS = 50
TUESDAY = dt.date(2026, 3, 3)


def outcome(response) -> str:
    if response.status_code == 302 and "booked=1" in response["Location"]:
        return "booked"
    if response.status_code == 409 and "just taken" in response.content.decode():
        return "friendly: just taken"
    if response.status_code == 302 and response["Location"].endswith("/me/appointments/"):
        return "friendly: already has an appointment"
    return f"unexpected {response.status_code}"


def race(posts: list[tuple[Client, dict]]) -> Counter:
    """POST every (client, data) at the same moment, one thread and connection each."""
    barrier = threading.Barrier(len(posts))
    results: list[str] = []
    lock = threading.Lock()

    def run(client, data):
        try:
            barrier.wait(timeout=30)
            result = outcome(client.post("/book/confirm/", data))
        except Exception as exc:  # an error page or a crash is a failure, counted as such
            result = f"exception {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=p) for p in posts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(results)


def logged_in(patient) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(patient.user)
    return client


def post_data(ctype, specialist, start, patient):
    return {
        "type": ctype.pk,
        "who": specialist.pk,
        "start": format_start(start),
        "patient": patient.pk,
    }


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_fifty_people_confirm_the_same_slot_at_once(booking_world, frozen_now, round_):
    start = local_time(TUESDAY, 9)
    patients = [PatientFactory() for _ in range(THREADS)]
    posts = [
        (logged_in(p), post_data(booking_world.ctype, booking_world.specialist, start, p))
        for p in patients
    ]
    counts = race(posts)
    print(f"\n[R1 same slot, round {round_}] {dict(counts)}")
    assert counts == Counter({"booked": 1, "friendly: just taken": THREADS - 1})
    assert Appointment.objects.filter(start=start).count() == 1


def test_two_overlapping_types_on_one_specialist(booking_world, frozen_now):
    long_type = ConsultationType.objects.create(
        name="Long", duration_minutes=45, buffer_after_minutes=0
    )
    posts = []
    for n in range(THREADS):
        patient = PatientFactory()
        if n % 2:
            data = post_data(long_type, booking_world.specialist, local_time(TUESDAY, 9), patient)
        else:
            data = post_data(
                booking_world.ctype, booking_world.specialist, local_time(TUESDAY, 9, 30), patient
            )
        posts.append((logged_in(patient), data))
    counts = race(posts)
    print(f"\n[R1 overlapping types] {dict(counts)}")
    assert counts["booked"] == 1
    assert counts["friendly: just taken"] == THREADS - 1
    assert Appointment.objects.count() == 1


def test_one_patient_booking_two_specialists_at_the_same_time(booking_world, frozen_now):
    second = SpecialistFactory()
    working_week(second)
    start = local_time(TUESDAY, 9)
    patient = booking_world.patient
    posts = [
        (
            logged_in(patient),
            post_data(
                booking_world.ctype, booking_world.specialist if n % 2 else second, start, patient
            ),
        )
        for n in range(THREADS)
    ]
    counts = race(posts)
    print(f"\n[R1 one patient, two specialists] {dict(counts)}")
    assert counts["booked"] == 1
    assert sum(v for k, v in counts.items() if k.startswith("friendly")) == THREADS - 1
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_database_alone_settles_the_race_without_the_python_recheck(
    booking_world, frozen_now, monkeypatch
):
    """Switch the in-Python re-checks off: the exclusion constraint still lets one through."""
    import patients.services.booking as services
    from patients.selectors.booking import Slot

    start = local_time(TUESDAY, 9)
    free = Slot(start=start, end=start + dt.timedelta(minutes=30), specialist_ids=(0,))

    def always_free(avail, when, patient_id=None):
        # The re-check of the booking (slot and the patient's own appointments): all clear.
        return Slot(free.start, free.end, (booking_world.specialist.pk,)), True, False

    monkeypatch.setattr(services, "slot_check", always_free)
    monkeypatch.setattr(services, "slot_lookup", lambda avail, when: always_free(avail, when)[:2])
    monkeypatch.setattr(services, "_patient_busy", lambda **kwargs: False)
    patients = [PatientFactory() for _ in range(THREADS)]
    posts = [
        (logged_in(p), post_data(booking_world.ctype, booking_world.specialist, start, p))
        for p in patients
    ]
    counts = race(posts)
    print(f"\n[R1 constraint only, no re-check] {dict(counts)}")
    assert counts == Counter({"booked": 1, "friendly: just taken": THREADS - 1})
    assert Appointment.objects.filter(start=start).count() == 1
