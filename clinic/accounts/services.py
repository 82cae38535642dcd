"""Writes for accounts: creating users with a role."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import User
from .roles import GROUP_NAMES, Role


class AccountError(Exception):
    """A request about accounts that cannot be carried out; the message is for people."""


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    verified: bool = False,
) -> User:
    """Create a user with one role. Staff/specialist accounts are made here by the clinic
    admin (or the demo command), never by sign-up."""
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(f"An account with the email {email} already exists.")
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    user_set_role(user=user, role=role)
    if verified:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def user_set_role(*, user: User, role: Role) -> None:
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role(role)]))
    user.__dict__.pop("roles", None)
    user.__dict__.pop("_perm_cache", None)
