"""Reactions to allauth's account events (framework hooks, not domain flow)."""

from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from clinic.language import use_saved_language_at_login

from .sessions import session_start
from .twofactor import record_two_factor


@receiver(authenticator_added)
def _count_setup_as_second_factor(sender, request, user, authenticator, **kwargs):
    # Activating TOTP means typing a valid code: this session has proved the second factor.
    if request is not None and authenticator.type == "totp":
        record_two_factor(request, user)


@receiver(user_logged_in)
def _start_session_clocks(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_start(request)


@receiver(user_logged_in)
def _switch_to_saved_language(sender, request, user, **kwargs):
    # A patient who chose Spanish gets Spanish after logging in, whichever browser they use.
    use_saved_language_at_login(request, user)
