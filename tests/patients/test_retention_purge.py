"""The retention purge on PostgreSQL, through its own database alias: nothing before the
retention date, everything after (time-machine); the change history and access log of what it
deleted are anonymised (no canary string left anywhere in the database); idempotent; runs as
the privileged purge role, which may anonymise the audit where the app's role may not."""

import datetime
import json

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError
from psycopg import errors

from clinic.accounts.models import User
from clinic.audit.history import TRACKED_MODELS
from clinic.audit.models import AccessEvent
from clinic.retention import _PURGERS, covered_models
from patients.models import Intake, Patient
from patients.services.closure import (
    account_close,
    closure_purge,
    retention_purge_run,
)
from patients.tasks import retention_purge
from tests.factories import TEST_PASSWORD
from tests.patients.record_support import CANARIES, add_dependant, build_full_record

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "purge"]),
]

APP_ROLE = "clinic_app_test"
PURGE_ROLE = "clinic_purge_test"


def at_noon(day: datetime.date):
    return datetime.datetime.combine(day, datetime.time(20, 0), tzinfo=datetime.UTC)


def closed_record(**kwargs):
    record = build_full_record(**kwargs)
    (closure, *_) = account_close(user=record.user, password=TEST_PASSWORD)
    return record, closure


def canaries_in_database() -> dict[str, list[str]]:
    """Every table of the database, every row as text: where does a canary still appear?"""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor, include_views=False)
        for table in tables:
            cursor.execute(f"SELECT t::text FROM {connection.ops.quote_name(table)} t")
            text = "\n".join(row[0] for row in cursor.fetchall()).lower()
            hits = [key for key, value in CANARIES.items() if value.lower() in text]
            if hits:
                found[table] = hits
    return found


def event_rows(model, pk) -> list[dict]:
    return list(
        model.pgh_event_model.objects.filter(pgh_obj_id=pk)
        .order_by("pgh_id")
        .values("pgh_id", "pgh_label", "pgh_created_at", "pgh_context_id")
    )


# --- Coverage -------------------------------------------------------------------------------
def _rows_of_a_patient(model) -> bool:
    """Follows only forward, concrete links (not through the user model): the model's rows
    belong to a patient."""
    seen, frontier = {model}, [model]
    for _ in range(4):
        nxt = []
        for current in frontier:
            for f in current._meta.concrete_fields:
                if not f.is_relation or f.related_model is None:
                    continue
                if f.related_model is Patient:
                    return True
                if f.related_model is not User and f.related_model not in seen:
                    seen.add(f.related_model)
                    nxt.append(f.related_model)
        frontier = nxt
    return False


def test_every_table_holding_a_patients_rows_has_a_purger():
    event_models = {m.pgh_event_model for m in TRACKED_MODELS}
    holders = {
        m._meta.label_lower
        for m in apps.get_models()
        if m not in event_models and (m is Patient or _rows_of_a_patient(m))
    }
    assert holders - covered_models() == set(), "register these in a purger (clinic.retention)"


# --- Before and after the retention date ----------------------------------------------------
def _owned(patient) -> dict:
    """The primary keys of the patient's rows in every table a purger covers."""
    from django.db.models import Q

    owned = {}
    for label in covered_models() - {"accounts.user", "patients.accountclosure"}:
        model = apps.get_model(label)
        paths = list(_patient_paths(model))
        condition = Q()
        for path in paths:
            condition |= Q(**{path: patient.pk})
        if not paths:  # a generic link (notify's reminders name their person by label and id)
            condition = Q(person_label="patients.patient", person_id=str(patient.pk))
        owned[model] = list(model.objects.filter(condition).values_list("pk", flat=True))
    return owned


def _patient_paths(model, prefix="", depth=0):
    if model is Patient:
        yield prefix + "pk" if not prefix else prefix.rstrip("_")
        return
    if depth >= 4:
        return
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model not in (None, User, model):
            yield from _patient_paths(f.related_model, f"{prefix}{f.name}__", depth + 1)


def test_the_purge_deletes_nothing_before_the_retention_date_and_everything_after():
    record, closure = closed_record()
    keep = build_full_record(email="kept@example.com", name="Kept Person", with_plan=False)
    counts_before = {m: m.objects.count() for m in (Patient, Intake, AccessEvent)}
    pk = record.patient.pk
    owned = _owned(record.patient)
    # The record fills every table but one (an outcome recorded after a failed trial).
    assert {m._meta.label for m, pks in owned.items() if not pks} == {"patients.RecordedOutcome"}

    with time_machine.travel(at_noon(closure.retain_until), tick=False):
        assert retention_purge.delay().result == {"purged": 0, "failed": 0}
    assert Patient.objects.filter(pk=pk).exists()
    assert {m: m.objects.count() for m in counts_before} == counts_before
    assert User.objects.filter(pk=record.user.pk).exists()

    with time_machine.travel(at_noon(closure.retain_until + datetime.timedelta(days=1))):
        assert retention_purge.delay().result == {"purged": 1, "failed": 0}
    assert not Patient.objects.filter(pk=pk).exists()
    assert not User.objects.filter(pk=record.user.pk).exists()
    for model, pks in owned.items():
        assert not model.objects.filter(pk__in=pks).exists(), model
    # The other patient is untouched.
    assert Patient.objects.filter(pk=keep.patient.pk).exists()
    assert keep.patient.appointments.count() == 4
    assert Intake.objects.filter(patient=keep.patient).count() == 1
    closure.refresh_from_db()
    assert closure.patient is None and closure.purged_at is not None
    assert closure.purge_counts["patients.patient"] == 1
    assert closure.purge_counts["treatments.planversion"] == 2
    assert closure.purge_counts["patients.appointment"] == 4
    assert closure.purge_error == ""


def test_the_purge_anonymises_the_history_and_the_access_log():
    record, closure = closed_record()
    pk, user_pk = record.patient.pk, record.user.pk
    assert canaries_in_database()  # the canaries are there to begin with
    patient_events = event_rows(Patient, pk)
    read = AccessEvent.objects.get(patient_key=f"patients.patient:{pk}")
    assert CANARIES["search"] in read.page

    closure_purge(
        closure_id=closure.pk,
        using="purge",
        today=closure.retain_until + datetime.timedelta(days=1),
    )

    assert canaries_in_database() == {}
    # The skeleton stays: the same events (plus the purge's delete), same times and labels.
    after = event_rows(Patient, pk)
    assert after[: len(patient_events)] == patient_events
    assert [e["pgh_label"] for e in after[len(patient_events) :]] == ["delete"]
    blank = Patient.pgh_event_model.objects.filter(pgh_obj_id=pk)
    assert set(blank.values_list("legal_name", "phone", "date_of_birth")) == {("", "", None)}
    assert event_rows(User, user_pk)[-1]["pgh_label"] == "delete"
    # The access log keeps who read which record and when, not the address.
    read.refresh_from_db()
    assert (read.actor, read.patient_key, read.page) == (
        record.staff_user,
        f"patients.patient:{pk}",
        "",
    )
    # The purge's own changes are stamped with it, and with the database role that made them.
    delete = Patient.pgh_event_model.objects.get(pgh_obj_id=pk, pgh_label="delete")
    assert delete.pgh_context.metadata["purge"] == str(closure.reference)
    assert delete.pgh_context.metadata["db_user"]


def test_the_purge_is_idempotent():
    record, closure = closed_record(with_plan=False)
    day_after = closure.retain_until + datetime.timedelta(days=1)
    first = closure_purge(closure_id=closure.pk, using="purge", today=day_after)
    assert first["patients.patient"] == 1
    closure.refresh_from_db()
    state = (closure.purged_at, closure.purge_counts)
    history = sum(m.pgh_event_model.objects.count() for m in TRACKED_MODELS)

    assert closure_purge(closure_id=closure.pk, using="purge", today=day_after) is None
    with time_machine.travel(at_noon(day_after)):
        assert retention_purge.delay().result == {"purged": 0, "failed": 0}
    closure.refresh_from_db()
    assert (closure.purged_at, closure.purge_counts) == state
    assert sum(m.pgh_event_model.objects.count() for m in TRACKED_MODELS) == history


def test_a_guardian_and_the_dependants_are_purged_together_dependants_first():
    record = build_full_record(with_plan=False)
    child = add_dependant(record.user, name="Mia Quokkaberg")
    closures = account_close(user=record.user, password=TEST_PASSWORD, close_dependants=True)
    assert len(closures) == 2
    day_after = closures[0].retain_until + datetime.timedelta(days=1)
    assert retention_purge_run(today=day_after) == {"purged": 2, "failed": 0}
    assert not Patient.objects.filter(pk__in=[record.patient.pk, child.pk]).exists()
    assert not User.objects.filter(pk=record.user.pk).exists()  # deleted, not a stub
    assert canaries_in_database() == {}


def test_a_login_that_other_records_still_name_stays_as_an_anonymous_stub():
    from tests.factories import PatientFactory

    record, closure = closed_record(with_plan=False)
    other = PatientFactory(legal_name="Someone Else")
    # e.g. a child's questionnaire this login started before the child was handed over.
    Intake.objects.create(patient=other, started_by=record.user, last_edited_by=record.user)
    closure_purge(
        closure_id=closure.pk, using="purge", today=closure.retain_until + datetime.timedelta(1)
    )
    stub = User.objects.get(pk=record.user.pk)
    assert stub.email == f"purged-{stub.pk}@invalid.example"
    assert not stub.is_active and not stub.has_usable_password()
    assert canaries_in_database() == {}
    closure.refresh_from_db()
    assert closure.purge_counts["accounts.user_anonymised"] == 1


def test_a_table_no_purger_knows_fails_the_purge_whole_and_staff_see_why(monkeypatch):
    record, closure = closed_record()
    monkeypatch.delitem(_PURGERS, "treatments")  # as if a new app forgot to register
    day_after = closure.retain_until + datetime.timedelta(days=1)
    assert retention_purge_run(today=day_after) == {"purged": 0, "failed": 1}
    closure.refresh_from_db()
    assert closure.purged_at is None and "treatments.PlanVersion" in closure.purge_error
    assert Patient.objects.filter(pk=record.patient.pk).exists()  # rolled back, nothing lost
    assert Intake.objects.filter(patient=record.patient).exists()
    monkeypatch.undo()
    assert retention_purge_run(today=day_after) == {"purged": 1, "failed": 0}


# --- Database roles -------------------------------------------------------------------------
@pytest.fixture
def db_roles(transactional_db):
    with connection.cursor() as cursor:
        for role in (APP_ROLE, PURGE_ROLE):
            cursor.execute(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                f"THEN CREATE ROLE {role}; END IF; END $$"
            )
    call_command("audit_grants", "--app-role", APP_ROLE, "--purge-role", PURGE_ROLE, "--apply")
    yield
    for alias in ("default", "purge"):
        if connections[alias].connection is not None:
            with connections[alias].cursor() as cursor:
                cursor.execute("RESET ROLE")


def as_role(role, sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params)
        return cursor.rowcount


def test_the_app_role_cannot_rewrite_the_audit_but_the_purge_role_anonymises_it(db_roles):
    record, closure = closed_record()
    events = Patient.pgh_event_model._meta.db_table
    access = AccessEvent._meta.db_table
    for sql in (
        f"UPDATE {events} SET legal_name = '' WHERE pgh_obj_id = %s",
        f"DELETE FROM {events} WHERE pgh_obj_id = %s",
        f"UPDATE {access} SET page = '' WHERE object_pk = %s::text",
        f"DELETE FROM {access} WHERE object_pk = %s::text",
    ):
        with pytest.raises(ProgrammingError) as excinfo:
            as_role(APP_ROLE, sql, [record.patient.pk])
        assert isinstance(excinfo.value.__cause__, errors.InsufficientPrivilege), sql
    assert as_role(PURGE_ROLE, f"UPDATE {events} SET preferred_name = preferred_name") > 0

    # The purge through the app's own role fails and changes nothing.
    day_after = closure.retain_until + datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP_ROLE}")
    summary = retention_purge_run(today=day_after, using="default")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert summary == {"purged": 0, "failed": 1}
    closure.refresh_from_db()
    assert "permission denied" in closure.purge_error
    assert Patient.objects.filter(pk=record.patient.pk).exists()
    assert CANARIES["name"] in json.dumps(
        list(Patient.pgh_event_model.objects.values_list("legal_name", flat=True))
    )

    # The daily task goes through the purge alias: as the purge role, it succeeds.
    with connections["purge"].cursor() as cursor:
        cursor.execute(f"SET ROLE {PURGE_ROLE}")
    with time_machine.travel(at_noon(day_after)):
        assert retention_purge.delay().result == {"purged": 1, "failed": 0}
    delete = Patient.pgh_event_model.objects.get(pgh_obj_id=record.patient.pk, pgh_label="delete")
    assert delete.pgh_context.metadata["db_user"] == PURGE_ROLE
    assert canaries_in_database() == {}
