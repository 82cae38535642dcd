"""The seeder at a tiny size on the test database: right sizes, roles, 2FA, and the same
rows for the same seed (COPY and triggers: PostgreSQL only)."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from bench.seed import SEED_DOMAIN, AlreadySeeded, Sizes, seed_clinic
from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.audit.models import AccessEvent
from patients.models import Patient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ANCHOR = datetime.date(2026, 3, 2)
HASH = "md5$bench$0123456789abcdef0123456789abcdef"  # a cheap stand-in; the seeder takes one


def _seed(seed=42, patients=60):
    return seed_clinic(
        patients=patients,
        seed=seed,
        anchor=ANCHOR,
        password_hash=HASH,
        analyze=False,
        log=lambda line: None,
    )


def _snapshot():
    """The seeded clinic without primary keys (they come from sequences)."""
    users = list(
        User.objects.filter(email__endswith=SEED_DOMAIN)
        .order_by("email")
        .values_list("email", "first_name", "last_name", "date_joined", "groups__name")
    )
    patients = list(
        Patient.objects.order_by("legal_name", "date_of_birth", "phone").values_list(
            "user__email",
            "guardian__email",
            "legal_name",
            "preferred_name",
            "date_of_birth",
            "phone",
            "preferred_language",
            "time_zone",
            "reminder_channel",
            "created_at",
        )
    )
    email_of = dict(Patient.objects.values_list("pk", "user__email"))
    events = sorted(
        (a.at, a.actor.email, email_of[int(a.object_pk)], a.request_id)
        for a in AccessEvent.objects.select_related("actor")
    )
    return users, patients, events


def _unseed():
    _unseed_all()


def test_sizes_roles_and_two_factor():
    result = _seed()
    sizes = Sizes(60)
    assert result["sizes"] == sizes.as_dict()
    assert Patient.objects.count() == 60
    assert Patient.objects.filter(user=None).count() == sizes.children == 1
    child = Patient.objects.get(user=None)
    assert child.guardian.is_patient and child.age_on(ANCHOR) < 18
    assert AccessEvent.objects.count() == sizes.access_events == 6000
    staff = User.objects.filter(groups__name="Staff")
    specialists = User.objects.filter(groups__name="Specialists")
    assert staff.count() == sizes.staff and specialists.count() == sizes.specialists
    for user in [*staff, *specialists]:
        assert user.requires_two_factor
        assert Authenticator.objects.filter(user=user, type="totp").exists()
    patient = User.objects.get(email=f"patient00001@{SEED_DOMAIN}")
    assert patient.roles == {Role.PATIENT} and patient.patient.legal_name
    assert not Authenticator.objects.filter(user=patient).exists()
    assert EmailAddress.objects.filter(user=patient, verified=True, primary=True).exists()
    assert set(User.objects.values_list("password", flat=True)) == {HASH}
    # The change history (pghistory triggers) recorded the seeded people.
    assert User.pgh_event_model.objects.count() == User.objects.count()
    assert Patient.pgh_event_model.objects.count() == 60


def _counts():
    from clinic.notify.models import Reminder
    from patients.models import Appointment, Intake, Screen, Specialist, WorkingHours
    from treatments.models import CheckIn, Plan, PlannedSession, SessionLog

    return {
        "specialists": Specialist.objects.count(),
        "hours": WorkingHours.objects.count(),
        "intakes": Intake.objects.count(),
        "pending": Screen.objects.filter(status="submitted").count(),
        "plans": Plan.objects.count(),
        "sessions": PlannedSession.objects.count(),
        "consultations": Appointment.objects.filter(kind="consultation").count(),
        "visits": Appointment.objects.filter(kind="treatment_visit").count(),
        "logs": SessionLog.objects.count() + CheckIn.objects.count(),
        "reminders": Reminder.objects.count(),
    }


def test_feature_steps_write_what_the_app_writes():
    from clinic.notify.models import Reminder
    from patients.models import Appointment, Intake, Screen
    from treatments.models import Plan, Progress

    _seed(patients=60)
    sizes = Sizes(60)
    counts = _counts()
    assert counts["intakes"] == 60  # every patient has a questionnaire
    assert counts["pending"] == sizes.pending_screens
    assert counts["plans"] == sizes.plans
    assert counts["consultations"] <= sizes.consultations
    assert counts["consultations"] >= sizes.consultations * 0.9
    assert 0 < counts["reminders"] <= sizes.reminders * 1.01
    assert 0 < counts["logs"] <= sizes.logs_and_checkins
    # The screens are the engine's: the result's version and refer flag are denormalised.
    for screen in Screen.objects.all():
        assert screen.rules_version == screen.result["rules_version"]
        assert screen.refer == bool(screen.result["refer"])
    # The principal patient: a plan with sessions, logs and check-ins; a child mid-intake.
    principal = User.objects.get(email=f"patient00001@{SEED_DOMAIN}").patient
    plan = Plan.objects.get(patient=principal)
    assert plan.sessions.exists() and principal.session_logs.exists()
    assert principal.checkins.exists() and Progress.objects.filter(patient=principal).exists()
    assert Intake.objects.filter(patient__guardian=principal.user, status="draft").exists()
    assert Appointment.objects.filter(patient=principal).count() >= 5
    # No overlaps (the exclusion constraints would have refused them; checked here too).
    active = Appointment.objects.exclude(status="cancelled")
    for appt in active:
        assert (
            not active.filter(
                specialist=appt.specialist,
                start__lt=appt.blocked_until,
                blocked_until__gt=appt.start,
            )
            .exclude(pk=appt.pk)
            .exists()
        )
    assert Reminder.objects.filter(status="sent", message__status="sent").exists()
    assert Reminder.objects.filter(status="pending").exists()
    # The change history of the new rows is written too (the triggers are off while seeding).
    assert Appointment.pgh_event_model.objects.count() == Appointment.objects.count()


def test_counts_scale_with_the_patients():
    _seed(patients=40)
    small = _counts()
    _unseed_all()
    _seed(patients=120)
    large = _counts()
    for key in ("intakes", "pending", "plans", "consultations", "reminders"):
        assert large[key] > 2 * small[key], key


def _unseed_all():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
            "('django_migrations', 'django_content_type', 'auth_permission', 'auth_group', "
            "'auth_group_permissions', 'django_site')"
        )
        tables = [t for (t,) in cursor.fetchall()]
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


def test_same_seed_same_rows_other_seed_other_rows():
    _seed(42)
    first = _snapshot()
    with pytest.raises(AlreadySeeded):
        _seed(42)
    _unseed()
    _seed(42)
    assert _snapshot() == first
    _unseed()
    _seed(43)
    assert _snapshot() != first
