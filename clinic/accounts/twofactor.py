"""Two-factor state of a user and of the current session (S7)."""

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa.models import Authenticator


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_two_factor(request) -> bool:
    """True when this session's login included a second factor (allauth records it)."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


def record_two_factor(request, user, authenticator_type: str = "totp") -> None:
    record_authentication(request, user, "mfa", type=authenticator_type)
