"""Reactions to allauth's account events (framework hooks, not domain flow)."""

from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver

from .twofactor import record_two_factor


@receiver(authenticator_added)
def _count_setup_as_second_factor(sender, request, user, authenticator, **kwargs):
    # Activating TOTP means typing a valid code: this session has proved the second factor.
    if request is not None and authenticator.type == "totp":
        record_two_factor(request, user)
