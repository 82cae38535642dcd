"""Session lifetime (S9): idle logoff after 15 minutes for staff/specialists/privacy officers
and admins, 30 minutes for patients, and 12 hours after login whatever the activity."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN = "clinic.last_seen"
LOGGED_IN_AT = "clinic.logged_in_at"
# Requests that must not count as activity (the timeout warning polls nothing; static only).
_PASSIVE_PREFIXES = ("/static/", "/healthz")
# Activity is written to the session at most this often, so most requests save nothing.
_RESOLUTION_SECONDS = 60


def session_start(request) -> None:
    """Called at login: the absolute and idle clocks start now."""
    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_SEEN] = now


def idle_limit_seconds(user) -> int:
    if user.requires_two_factor:
        return settings.SESSION_IDLE_TIMEOUT_STAFF
    return settings.SESSION_IDLE_TIMEOUT_PATIENT


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(_PASSIVE_PREFIXES):
            now = time.time()
            session = request.session
            logged_in_at = session.setdefault(LOGGED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            if now - last_seen > idle_limit_seconds(user) or (
                now - logged_in_at > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
                messages.info(
                    request, _("You were logged out to protect your privacy. Please log in again.")
                )
                return redirect(f"{reverse('account_login')}?next={request.path}")
            if now - last_seen >= _RESOLUTION_SECONDS or LAST_SEEN not in session:
                session[LAST_SEEN] = now
            request.session_idle_limit = idle_limit_seconds(user)
        return self.get_response(request)
