"""The patient's private calendar-feed URL: create (or renew) and revoke."""

from django.db import transaction
from django.utils import timezone

from ..models import CalendarFeed


@transaction.atomic
def calendar_feed_create(*, patient, user) -> CalendarFeed:
    """A new secret feed URL for the patient; any earlier one stops working (renewal)."""
    calendar_feed_revoke(patient=patient, user=user)
    return CalendarFeed.objects.create(patient=patient, created_by=user)


@transaction.atomic
def calendar_feed_revoke(*, patient, user) -> int:
    """Turn the patient's feed URL off. Returns how many were active (0 or 1)."""
    return CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
