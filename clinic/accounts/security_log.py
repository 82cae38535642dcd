"""Security events (logins, failures, lockouts, two-factor failures, password changes) in the
``clinic.security`` log: user id, IP, time (the log record's) and outcome — never passwords,
tokens or patient data (not even the email typed into a failed login)."""

import logging

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authentication_failed
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("clinic.security")


def client_ip(request) -> str:
    if request is None:
        return "-"
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "-")


def event(name: str, *, request=None, user_id=None, outcome: str, **extra) -> None:
    details = " ".join(f"{k}={v}" for k, v in extra.items())
    logger.info(
        "security event=%s outcome=%s user_id=%s ip=%s %s",
        name,
        outcome,
        user_id if user_id is not None else "-",
        client_ip(request),
        details,
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    event("login", request=request, user_id=user.pk, outcome="success")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    event("logout", request=request, user_id=getattr(user, "pk", None), outcome="success")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from .lockout import attempted_account
    from .models import User

    account = attempted_account(request, credentials)
    user_id = (
        User.objects.filter(email=account).values_list("pk", flat=True).first() if account else None
    )
    event("login", request=request, user_id=user_id, outcome="failure")


@receiver(user_locked_out)
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    from .models import User

    user_id = (
        User.objects.filter(email=(username or "").lower()).values_list("pk", flat=True).first()
    )
    event("lockout", request=request, user_id=user_id, outcome="locked")


@receiver(authentication_failed)
def _mfa_failed(sender, request, user=None, **kwargs):
    event("mfa", request=request, user_id=getattr(user, "pk", None), outcome="failure")


@receiver(password_changed)
def _password_changed(sender, request, user, **kwargs):
    event("password_change", request=request, user_id=user.pk, outcome="success")


@receiver(password_reset)
def _password_reset(sender, request, user, **kwargs):
    event("password_reset", request=request, user_id=user.pk, outcome="success")


class ProbeLogMiddleware:
    """Logs refused or missing-object answers (403/404) to signed-in users: the trace of
    someone trying other patients' ids (the path is logged, never the response body)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if response.status_code in (403, 404) and user is not None and user.is_authenticated:
            event(
                "probe",
                request=request,
                user_id=user.pk,
                outcome=str(response.status_code),
                method=request.method,
                path=request.path[:200],
            )
        return response
