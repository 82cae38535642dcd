from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .twofactor import has_totp, session_passed_two_factor

# Pages a user who still owes a second factor may open: setting it up, and leaving.
_ALLOWED_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/static/",
    "/healthz",
)


class TwoFactorRequiredMiddleware:
    """Staff, specialists, privacy officers and admins see none of their pages until their
    session has passed a second factor (S7). Without an authenticator they are sent to set
    one up; with one but a session that skipped it (e.g. a login outside allauth), they are
    logged out and must log in again through the two-step login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.requires_two_factor
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not session_passed_two_factor(request)
        ):
            if not has_totp(user):
                messages.info(
                    request,
                    _("Your role needs two-factor authentication. Set up an authenticator app."),
                )
                return redirect(reverse("mfa_activate_totp"))
            logout(request)
            messages.warning(request, _("Please log in again with your authenticator code."))
            return redirect(f"{reverse('account_login')}?next={request.path}")
        return self.get_response(request)
