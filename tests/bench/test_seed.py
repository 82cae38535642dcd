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
    AccessEvent.objects.all().delete()
    Authenticator.objects.all().delete()
    EmailAddress.objects.all().delete()
    Patient.objects.all().delete()
    User.groups.through.objects.all().delete()
    User.objects.all().delete()


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
