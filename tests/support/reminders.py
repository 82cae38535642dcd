"""Content checks for reminder kinds (S13), for every app that registers one.

    from tests.support.reminders import CANARIES, assert_reminder_free_of

    appointment = AppointmentFactory(notes=CANARIES[0], ...)   # fill every field with canaries
    assert_reminder_free_of(kind="consultation-24h", target=appointment, canaries=CANARIES)

The kind is rendered exactly as the worker renders it (``services.reminder_render``), and the
email is built exactly as it is sent (``services.message_build_email``); every channel the
kind offers is checked. A canary must not appear in the subject, any header (the ``To``
address aside, which is the recipient's own), the text, the HTML, or an SMS.
"""

import email
import email.policy

from clinic.notify import reminders as kinds
from clinic.notify import services
from clinic.notify.models import Message

CANARIES = (
    "CANARY-DIAGNOSIS-palmar-hyperhidrosis-7f3a",
    "CANARY-TREATMENT-iontophoresis-91c2",
    "CANARY-HDSS-4-severe-5d10",
    "CANARY-NOTES-private-remark-b6e8",
    "CANARY-LASTNAME-Quintanilla-0c4f",
    "CANARY-DOB-1987-02-03",
)


def _email_parts(message: Message, rendered) -> dict[str, str]:
    raw = services.message_build_email(message, rendered).message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {f"header {name}": str(value) for name, value in parsed.items() if name.lower() != "to"}
    for index, part in enumerate(parsed.walk()):
        if part.get_content_maintype() == "text":
            parts[f"part {index} ({part.get_content_type()})"] = part.get_content()
    to_free = b"\n".join(line for line in raw.splitlines() if not line.lower().startswith(b"to:"))
    parts["raw message"] = to_free.decode("ascii", "replace")
    return parts


def assert_reminder_free_of(*, kind: str, target, canaries=CANARIES) -> dict[str, str]:
    """Render ``kind`` for ``target`` on each of its channels; fail naming the place where a
    canary shows. Returns what was checked (place -> text), for further assertions."""
    reminder_kind = kinds.get_kind(kind)
    checked: dict[str, str] = {}
    for channel in reminder_kind.channels:
        rendered = services.reminder_render(kind=kind, target=target, channel=channel)
        if channel == kinds.EMAIL:
            message = Message(channel=channel, recipient="patient@example.com", purpose="check")
            checked.update({f"email {k}": v for k, v in _email_parts(message, rendered).items()})
            checked["email subject"] = rendered.subject
        else:
            checked[f"{channel} text"] = rendered.text
    leaks = [
        f"{canary!r} in {place}"
        for place, text in checked.items()
        for canary in canaries
        if canary.lower() in text.lower()
    ]
    assert not leaks, "reminder content leaks: " + "; ".join(leaks)
    return checked
