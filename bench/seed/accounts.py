"""Seeded people: patients (with logins), staff, specialists and a privacy officer, their roles,
verified email addresses, and a TOTP authenticator for every role that needs two-factor."""

import base64
import datetime
import json

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.accounts.roles import GROUP_NAMES, Role, sync_roles

from . import SeedContext, copy_rows, email_for, reserve_ids, seed_step
from .names import FIRST_NAMES, LAST_NAMES

# (role, email prefix, ctx.ids key)
KINDS = (
    (Role.STAFF, "staff", "staff_users"),
    (Role.SPECIALIST, "dr", "specialist_users"),
    (Role.PRIVACY_OFFICER, "privacy", "privacy_users"),
    (Role.PATIENT, "patient", "patient_users"),
)


def principal_email(role: Role) -> str:
    """The seeded account the benchmark logs in as for ``role`` (the first of its kind)."""
    prefix = {role: prefix for role, prefix, _ in KINDS}[Role(role)]
    return email_for(prefix, 1)


def _count(ctx: SeedContext, role: Role) -> int:
    return {
        Role.STAFF: ctx.sizes.staff,
        Role.SPECIALIST: ctx.sizes.specialists,
        Role.PRIVACY_OFFICER: 1,
        Role.PATIENT: ctx.sizes.patients - ctx.sizes.children,
    }[role]


@seed_step(10, "accounts")
def accounts(ctx: SeedContext) -> int:
    sync_roles()
    groups = {g.name: g.pk for g in Group.objects.all()}
    rng = ctx.rng
    people = []  # (pk, email, role)
    for role, prefix, key in KINDS:
        count = _count(ctx, role)
        pks = reserve_ids(User, count)
        ctx.ids[key] = pks
        people += [(pk, email_for(prefix, n + 1), role) for n, pk in enumerate(pks)]

    def users():
        for pk, email, _role in people:
            joined = ctx.now - datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            yield (
                pk,
                ctx.password_hash,
                None,
                False,
                email,
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                True,
                False,
                joined,
            )

    written = copy_rows(
        User,
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "date_joined",
        ],
        users(),
    )
    written += copy_rows(
        User.groups.through,
        ["user", "group"],
        ((pk, groups[GROUP_NAMES[role]]) for pk, _e, role in people),
    )
    written += copy_rows(
        EmailAddress,
        ["user", "email", "verified", "primary"],
        ((pk, email, True, True) for pk, email, _r in people),
    )

    def authenticators():
        for pk, _email, role in people:
            if role != Role.PATIENT:
                secret = base64.b32encode(rng.randbytes(20)).decode()
                data = json.dumps({"secret": encrypt(secret)})
                yield (pk, Authenticator.Type.TOTP, data, ctx.now, None)

    written += copy_rows(
        Authenticator, ["user", "type", "data", "created_at", "last_used_at"], authenticators()
    )
    return written
