"""Reads for pages: the deliveries that need staff, and reminder history per target or person."""

from django.db.models import QuerySet

from clinic.paging import Window, window

from . import reminders as kinds
from .models import Message, Reminder
from .services import deliveries_needing_attention_q

DELIVERIES_PAGE_SIZE = 100


def deliveries_needing_attention(*, limit: int = DELIVERIES_PAGE_SIZE, page=1) -> Window:
    """Failed or stuck messages, newest first, each with its reminder (if any): one page of
    ``limit`` in one query."""
    pager = window(
        Message.objects.filter(deliveries_needing_attention_q())
        .select_related("reminder")
        .order_by("-updated_at", "-pk"),
        number=page,
        size=limit,
    )
    rows = pager.rows
    for message in rows:
        message.recipient_masked = mask_recipient(message.recipient)
        reminder = getattr(message, "reminder", None)
        message.what = kinds.kind_label(reminder.kind) if reminder else message.purpose
    return pager


def deliveries_needing_attention_count() -> int:
    return Message.objects.filter(deliveries_needing_attention_q()).count()


def _history(rows: QuerySet) -> list[Reminder]:
    rows = list(rows.select_related("message").order_by("due_at", "pk"))
    for reminder in rows:
        reminder.kind_label = kinds.kind_label(reminder.kind)
        message = reminder.message
        reminder.delivery = message.status if message else ""
    return rows


def reminder_history(*, target) -> list[Reminder]:
    """Every reminder row of ``target`` (all versions), oldest due first, with its message."""
    return _history(
        Reminder.objects.filter(target_label=target._meta.label_lower, target_id=str(target.pk))
    )


def reminder_history_for_person(*, person) -> list[Reminder]:
    """Every reminder for ``person`` (e.g. a patients.Patient), across all targets."""
    return _history(
        Reminder.objects.filter(person_label=person._meta.label_lower, person_id=str(person.pk))
    )


def mask_recipient(value: str) -> str:
    """Enough of an address for staff to recognise it, not to copy it: a•••@example.com,
    +1•••••••0123."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    if len(value) > 6:
        return value[:2] + "•" * (len(value) - 6) + value[-4:]
    return "•" * len(value)
