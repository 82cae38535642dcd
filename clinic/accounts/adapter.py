"""allauth hooks: patients sign up themselves; every account email goes through the outbox.

Links that log someone in or reset a password are never stored: the outbox row keeps only
which email address or user it is for, and the worker renders the link when it sends (S14).
"""

from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction
from django.utils import translation

from clinic.language import user_language
from clinic.notify.services import message_queue

from .roles import Role
from .services import user_set_role


def current_site():
    return SimpleNamespace(name=settings.CLINIC_NAME, domain=settings.SITE_URL.split("://")[-1])


def _language_for(user) -> str:
    # The person's saved language, else the one they are using now (switcher or browser).
    return user_language(user) or translation.get_language() or settings.LANGUAGE_CODE


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.first_name = form.cleaned_data.get("first_name", "")[:150]
        user.last_name = form.cleaned_data.get("last_name", "")[:150]
        if commit:
            with transaction.atomic():
                user.save()
                user_set_role(user=user, role=Role.PATIENT)
        return user

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        address = emailconfirmation.email_address
        message_queue(
            purpose="account.email_confirmation",
            idempotency_key=None,
            recipient=address.email,
            renderer="account",
            render_params={
                "kind": "email_confirmation",
                "email_address_id": address.pk,
                "signup": bool(signup),
                "language": _language_for(address.user),
            },
        )

    def send_password_reset_mail(self, user, email, context):
        message_queue(
            purpose="account.password_reset",
            idempotency_key=None,
            recipient=email,
            renderer="account",
            render_params={
                "kind": "password_reset",
                "user_id": user.pk,
                "language": _language_for(user),
            },
        )

    def send_mail(self, template_prefix, email, context):
        # Notices without secrets (password changed, unknown account, …): render now.
        ctx = {"email": email, "current_site": current_site()}
        ctx.update({k: v for k, v in context.items() if k != "request"})
        with translation.override(_language_for(context.get("user"))):
            msg = self.render_mail(template_prefix, email, ctx)
        html = next((c for c, mime in getattr(msg, "alternatives", []) if mime == "text/html"), "")
        message_queue(
            purpose=f"account.{template_prefix.rsplit('/', 1)[-1]}",
            idempotency_key=None,
            recipient=email,
            subject=msg.subject,
            body_text=msg.body,
            body_html=html,
        )
