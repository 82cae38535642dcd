"""Renders account emails at send time (in the worker), so their links are never stored."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from clinic.notify.registry import Rendered, TargetGone

from .adapter import current_site
from .models import User


def render_account_email(params: dict, recipient: str) -> Rendered:
    kind = params.get("kind")
    if kind == "email_confirmation":
        address = (
            EmailAddress.objects.select_related("user")
            .filter(pk=params.get("email_address_id"))
            .first()
        )
        if address is None or address.verified:
            raise TargetGone("address removed or already verified")
        key = EmailConfirmationHMAC(address).key
        ctx = {
            "user": address.user,
            "key": key,
            "activate_url": settings.SITE_URL + reverse("account_confirm_email", args=[key]),
        }
        template = (
            "account/email/email_confirmation_signup"
            if params.get("signup")
            else "account/email/email_confirmation"
        )
    elif kind == "password_reset":
        user = User.objects.filter(pk=params.get("user_id"), is_active=True).first()
        if user is None:
            raise TargetGone("user gone or inactive")
        uid = user_pk_to_url_str(user)
        token = default_token_generator.make_token(user)
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": token})
        ctx = {"user": user, "password_reset_url": settings.SITE_URL + path}
        template = "account/email/password_reset_key"
    else:
        raise TargetGone(f"unknown account email kind {kind!r}")
    ctx.update({"email": recipient, "current_site": current_site()})
    # In the language the person used when asking (saved with the message's parameters).
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        msg = get_adapter().render_mail(template, recipient, ctx)
    html = next((c for c, mime in getattr(msg, "alternatives", []) if mime == "text/html"), "")
    return Rendered(subject=msg.subject, text=msg.body, html=html)
