"""A test-only reminder kind whose target is a User row, so notify's machinery can be proved
before the apps that own appointments and sessions exist.

The "visit" of user U is at ``U.last_login``; the kind reminds one hour before and never after
the visit. The target's version is ``U.last_name`` (a decimal string): bump it to "move" the
visit. Preferences come from ``PREFS[user.pk]`` (set by a test); without an entry the user
gets email only, no quiet hours (the worker subprocess of the integration tests sees none).
"""

from datetime import timedelta
from html import escape

from django.utils.formats import date_format

from clinic.notify.registry import Rendered
from clinic.notify.reminders import (
    Audience,
    ReminderContext,
    ReminderKind,
    before,
    register_kind,
    unregister_kind,
)

KIND = "test.visit-1h"
TOPIC = "test-visits"
PREFS: dict[int, dict] = {}


def visit_at(user):
    return user.last_login


def is_valid(user, version: int) -> bool:
    return user.is_active and user.last_name == str(version)


def audience(user) -> Audience | None:
    prefs = PREFS.get(user.pk, {})
    return Audience(
        first_name=user.first_name,
        email=prefs.get("email", user.email),
        phone=prefs.get("phone", ""),
        channels=frozenset(prefs.get("channels", {"email"})),
        time_zone=prefs.get("time_zone", ""),
        quiet_start=prefs.get("quiet_start"),
        quiet_end=prefs.get("quiet_end"),
        opted_out=frozenset(prefs.get("opted_out", ())),
        language=prefs.get("language", ""),
        person=("accounts.user", str(user.pk)),
    )


def render(user, ctx: ReminderContext) -> Rendered:
    when = ctx.local(visit_at(user))
    day = date_format(when, "l j F")
    hour = date_format(when, "H:i")
    if ctx.channel == "sms":
        text = (
            f"{ctx.clinic_name}: visit {day} at {hour}. Call {ctx.clinic_phone}. "
            f"Reminders: {ctx.manage_url}"
        )
        return Rendered(subject="", text=text)
    greeting = f"Hello {ctx.first_name}," if ctx.first_name else "Hello,"
    text = (
        f"{greeting}\n\nThis is a reminder of your visit on {day} at {hour}, at "
        f"{ctx.clinic_address}.\n\nTo change it, call us at {ctx.clinic_phone}.\n\n"
        f"Manage your reminders: {ctx.manage_url}\n\n{ctx.clinic_name}\n"
    )
    html = (
        f"<p>{escape(greeting)}</p><p>This is a reminder of your visit on "
        f"<strong>{escape(day)} at {escape(hour)}</strong>, at {escape(ctx.clinic_address)}.</p>"
        f"<p>To change it, call us at {escape(ctx.clinic_phone)}.</p>"
        f'<p><a href="{escape(ctx.manage_url)}">Manage your reminders</a></p>'
    )
    return Rendered(subject="Your visit is coming up", text=text, html=html)


TEST_VISIT_KIND = ReminderKind(
    name=KIND,
    label="Test visit, 1 h before",
    target="accounts.user",
    topic=TOPIC,
    topic_label="Test visits",
    when=before(visit_at, timedelta(hours=1)),
    expires=visit_at,
    is_valid=is_valid,
    audience=audience,
    render=render,
)


def register() -> None:
    register_kind(TEST_VISIT_KIND)


def unregister() -> None:
    unregister_kind(KIND)
    PREFS.clear()
