"""S12: the audit is append-only for the application's database role (PostgreSQL grants)."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from psycopg import errors

from clinic.audit.grants import audit_tables
from clinic.audit.models import AccessEvent

pytestmark = pytest.mark.postgres

APP_ROLE = "clinic_app_test"


@pytest.fixture
def app_role(db):
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE}; END IF; END $$"
        )
    call_command("audit_grants", "--app-role", APP_ROLE, "--apply")
    return APP_ROLE


def as_role(role, sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params)
        return cursor.rowcount


def test_S12_app_role_can_insert_but_not_update_or_delete_audit_rows(app_role, staff_user):
    event = AccessEvent.objects.create(
        actor=staff_user,
        actor_label=staff_user.email,
        model_label="patients.patient",
        object_pk="1",
        page="/x",
    )
    table = AccessEvent._meta.db_table
    assert as_role(app_role, f"SELECT 1 FROM {table}") >= 1
    with pytest.raises(Exception) as excinfo:
        as_role(app_role, f"UPDATE {table} SET page = 'forged' WHERE id = %s", [event.pk])
    assert isinstance(excinfo.value.__cause__, errors.InsufficientPrivilege)
    with pytest.raises(Exception) as excinfo:
        as_role(app_role, f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert isinstance(excinfo.value.__cause__, errors.InsufficientPrivilege)
    event.refresh_from_db()
    assert event.page == "/x"


def test_S12_app_role_cannot_rewrite_change_history(app_role, patient_user):
    from clinic.accounts.models import User

    table = User.pgh_event_model._meta.db_table
    assert table in audit_tables()
    # The app role still changes data, and its triggers still write history.
    as_role(
        app_role, "UPDATE accounts_user SET first_name = 'Changed' WHERE id = %s", [patient_user.pk]
    )
    assert User.pgh_event_model.objects.filter(pgh_obj=patient_user, first_name="Changed").exists()
    with pytest.raises(Exception) as excinfo:
        as_role(app_role, f"DELETE FROM {table}")
    assert isinstance(excinfo.value.__cause__, errors.InsufficientPrivilege)


@pytest.mark.django_db
def test_audit_grants_prints_the_statements(capsys):
    call_command("audit_grants", "--app-role", "clinic_app")
    out = capsys.readouterr().out
    assert 'GRANT SELECT, INSERT ON "audit_accessevent" TO "clinic_app";' in out
    assert 'DELETE ON "audit_accessevent"' not in out


@pytest.mark.django_db
def test_audit_grants_refuses_odd_role_names():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="letters, digits"):
        call_command("audit_grants", "--app-role", "x; DROP TABLE y")
