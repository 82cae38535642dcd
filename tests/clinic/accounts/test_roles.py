import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from clinic.accounts.models import User
from clinic.accounts.roles import GROUP_NAMES, ROLE_PERMISSIONS, Role
from clinic.accounts.services import AccountError, user_create


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_a_group_with_exactly_its_permissions(role):
    group = Group.objects.get(name=GROUP_NAMES[role])
    assert set(group.permissions.values_list("codename", flat=True)) == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "perm", "has"),
    [
        (Role.PATIENT, "act_as_patient", True),
        (Role.PATIENT, "view_patient_records", False),
        (Role.PATIENT, "review_screens", False),
        (Role.STAFF, "review_screens", True),
        (Role.STAFF, "assign_plans", False),
        (Role.STAFF, "act_as_patient", False),
        (Role.SPECIALIST, "assign_plans", True),
        (Role.SPECIALIST, "view_patient_records", True),
        (Role.PRIVACY_OFFICER, "view_audit_log", True),
        (Role.PRIVACY_OFFICER, "view_patient_records", False),
    ],
)
def test_role_permissions(role, perm, has):
    user = user_create(email=f"{role}@example.com", password=None, role=role)
    user = User.objects.get(pk=user.pk)  # fresh permission cache
    assert user.has_perm(f"accounts.{perm}") is has


@pytest.mark.django_db
def test_two_factor_is_required_for_every_role_but_patients(admin_user):
    people = {r: user_create(email=f"{r}@example.com", password=None, role=r) for r in Role}
    assert not people[Role.PATIENT].requires_two_factor
    assert all(people[r].requires_two_factor for r in Role if r != Role.PATIENT)
    assert admin_user.requires_two_factor


@pytest.mark.django_db
def test_user_create_refuses_a_duplicate_email_in_any_case():
    user_create(email="dup@example.com", password=None, role=Role.STAFF)
    with pytest.raises(AccountError, match="already exists"):
        user_create(email="DUP@example.com", password=None, role=Role.STAFF)


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_prints_every_login(capsys):
    call_command("demo_data")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Group.objects.count())
    call_command("demo_data")
    second = capsys.readouterr().out
    assert (User.objects.count(), Group.objects.count()) == counts
    assert "created" not in second
    for role in ("Clinic admin", "Staff", "Specialist", "Privacy officer", "Patient"):
        assert role in first
    assert User.objects.filter(email__endswith="@demo.clinic.example").count() == 17


@pytest.mark.django_db
def test_demo_totp_prints_a_code_that_logs_the_demo_account_in(client, capsys):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    call_command("demo_data")
    capsys.readouterr()
    call_command("demo_totp", "frontdesk@demo.clinic.example")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    user = User.objects.get(email="frontdesk@demo.clinic.example")
    assert TOTP(Authenticator.objects.get(user=user, type="totp")).validate_code(code)


def test_demo_totp_refuses_other_accounts():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Only demo accounts"):
        call_command("demo_totp", "someone@example.com")


@pytest.mark.django_db
def test_permissions_are_the_roles_and_the_users_own_read_in_one_query(
    django_assert_num_queries,
):
    from django.contrib.auth.models import Permission

    user = user_create(email="two.hats@example.com", password=None, role=Role.STAFF)
    user.user_permissions.add(Permission.objects.get(codename="assign_plans"))
    user = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        perms = user.get_all_permissions()
        assert user.has_perm("accounts.assign_plans")  # cached: no second query
    expected = {f"accounts.{p}" for p in ROLE_PERMISSIONS[Role.STAFF]} | {"accounts.assign_plans"}
    assert perms == expected
    # Another user's roles are not theirs.
    user_create(email="other@example.com", password=None, role=Role.SPECIALIST)
    assert User.objects.get(pk=user.pk).get_all_permissions() == expected
