"""Account closure and the retention purge.

Closing (``account_close``): the login is disabled at once (so every session of it ends),
future appointments are cancelled, pending messages to it are withdrawn and the records are
kept until ``retain_until`` (``settings.RETENTION_YEARS`` after the closure). A guardian who
acts for dependants closes their records in the same step (the page says so): a child's record
needs a parent or guardian to act for it, so it cannot outlive the guardian's login unless the
clinic first hands it to someone else.

Purging (``closure_purge``, daily through ``patients.tasks.retention_purge``): on the ``purge``
database alias (a privileged role, see ``clinic/audit/grants.py``), in one transaction per
closure, every app's registered purger deletes the patient's rows (``clinic.retention``),
then the change history and the access log of what was deleted are anonymised. The closure row
stays as a tombstone without personal data. Purging twice does nothing the second time.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clinic.audit.anonymise import (
    access_log_anonymise,
    history_anonymise,
    history_context_start,
)
from clinic.audit.services import patient_key
from clinic.notify.models import Message, Reminder
from clinic.notify.services import message_queue
from clinic.retention import PurgeRun, closure_hooks, purgers

from ..models import AccountClosure, Appointment, AppointmentStatus, Patient
from ..selectors.booking import clinic_today
from .booking import appointment_cancel

log = logging.getLogger("clinic.retention")

PURGE_ALIAS = "purge"


class ClosureError(Exception):
    """A closure that cannot be made as asked; the message is for people."""


def retention_end(day: datetime.date, years: int | None = None) -> datetime.date:
    """The last day the records are kept: ``years`` after ``day`` (29 February → 28)."""
    years = settings.RETENTION_YEARS if years is None else years
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def dependants_of(user) -> list[Patient]:
    """The records a login acts for that have no login of their own and are still open."""
    return list(
        Patient.objects.filter(guardian=user, user__isnull=True, closure__isnull=True).order_by(
            "legal_name", "pk"
        )
    )


def _close_record(*, patient: Patient, by, requested_by: str, now) -> AccountClosure:
    closure = AccountClosure.objects.create(
        patient=patient,
        requested_by=requested_by,
        requested_at=now,
        retain_until=retention_end(timezone.localtime(now, _clinic_zone()).date()),
    )
    upcoming = Appointment.objects.filter(
        patient=patient, status=AppointmentStatus.BOOKED, start__gt=now
    )
    for appointment in upcoming:
        appointment_cancel(
            appointment=appointment,
            by=by,
            reason="Account closed",
            for_staff=True,  # the patient's cut-off does not apply: they are leaving
            notify=False,  # one closure email says so instead
            now=now,
        )
    for hook in closure_hooks():
        hook(patient=patient, by=by, now=now)
    Reminder.objects.filter(
        person_label=patient._meta.label_lower,
        person_id=str(patient.pk),
        status=Reminder.Status.PENDING,
    ).update(status=Reminder.Status.CANCELLED, reason="account closed", updated_at=now)
    return closure


def _clinic_zone():
    import zoneinfo

    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


@transaction.atomic
def account_close(
    *, user, password: str, close_dependants: bool = False, now=None
) -> list[AccountClosure]:
    """Close ``user``'s patient account (and, when asked, the records of their dependants).

    Checks the password again. Disables the login at once (deactivated and no usable
    password: every session of it ends at its next request) and queues one email saying what
    happens next. Returns the closures made, the account's own first."""
    now = now or timezone.now()
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ClosureError(_("This account is already closed."))
    if not password or not user.check_password(password):
        raise ClosureError(_("That password is not right. Nothing was changed."))
    patient = Patient.objects.select_for_update().filter(user=user).first()
    if patient is not None and AccountClosure.objects.filter(patient=patient).exists():
        raise ClosureError(_("This account is already closed."))
    dependants = dependants_of(user)
    if dependants and not close_dependants:
        raise ClosureError(
            _(
                "You look after other people's records. Tick the box to close them too, or "
                "ask the clinic to hand them to another parent or guardian first."
            )
        )
    closures = []
    if patient is not None:
        closures.append(
            _close_record(
                patient=patient, by=user, requested_by=AccountClosure.RequestedBy.PATIENT, now=now
            )
        )
    for child in dependants:
        closures.append(
            _close_record(
                patient=child, by=user, requested_by=AccountClosure.RequestedBy.GUARDIAN, now=now
            )
        )
    addresses = Q(recipient__iexact=user.email)
    if patient is not None and patient.phone:
        addresses |= Q(recipient=patient.phone)
    Message.objects.filter(addresses, status=Message.Status.PENDING).update(
        status=Message.Status.CANCELLED, updated_at=now
    )
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    _queue_closure_email(user=user, patient=patient, closures=closures)
    log.info("event=account_closed user_id=%s records=%s", user.pk, len(closures))
    return closures


def _queue_closure_email(*, user, patient, closures) -> None:
    first = closures[0] if closures else None
    language = patient.preferred_language if patient else settings.LANGUAGE_CODE
    with override(language):
        subject = _("Your account is closed")
        lines = [
            _("Hello,"),
            "",
            _("Your %(clinic)s account is closed. You can no longer log in.")
            % {"clinic": settings.CLINIC_NAME},
        ]
        if first is not None:
            lines += [
                _(
                    "We keep your records until %(date)s, as the law requires, and then delete "
                    "them. Any upcoming appointments are cancelled."
                )
                % {"date": first.retain_until.isoformat()},
                "",
                _("Reference: %(ref)s") % {"ref": first.short_reference},
            ]
        lines += [
            "",
            _("If you did not ask for this, call us at %(phone)s.")
            % {"phone": settings.CLINIC_PHONE},
        ]
    message_queue(
        purpose="patients.account_closed",
        recipient=user.email,
        idempotency_key=f"user:{user.pk}",
        subject=subject,
        body_text="\n".join(lines),
    )


# --- The purge ------------------------------------------------------------------------------
def closures_due(*, today: datetime.date | None = None, using: str = PURGE_ALIAS) -> list[int]:
    """Closures whose retention has ended (``retain_until`` is past), not purged yet:
    dependants before logins, so a guardian's login is free to go in the same run."""
    today = today or clinic_today()
    return list(
        AccountClosure.objects.using(using)
        .filter(purged_at__isnull=True, retain_until__lt=today, patient__isnull=False)
        .order_by("retain_until", "requested_by", "pk")  # "guardian" < "patient"
        .values_list("pk", flat=True)
    )


def closure_purge(
    *, closure_id: int, using: str = PURGE_ALIAS, today: datetime.date | None = None
) -> dict[str, int] | None:
    """Delete one closed record's data everywhere and anonymise its history. One transaction
    on ``using``; returns the rows deleted per model, or None when there was nothing to do
    (already purged, or retention not over yet)."""
    today = today or clinic_today()
    with transaction.atomic(using=using):
        closure = (
            AccountClosure.objects.using(using).select_for_update().filter(pk=closure_id).first()
        )
        if (
            closure is None
            or closure.purged_at is not None
            or closure.patient_id is None
            or closure.retain_until >= today
        ):
            return None
        patient = Patient.objects.using(using).get(pk=closure.patient_id)
        context_id = history_context_start(
            using=using, metadata={"purge": str(closure.reference), "url": "retention purge"}
        )
        user_ids = [patient.user_id] if patient.user_id else []
        access_log_anonymise(using=using, patient_keys=[patient_key(patient)], actor_ids=user_ids)
        run = PurgeRun(using=using)
        for purger in purgers():
            purger.purge(patient=patient, run=run)
        counts = dict(sorted(run.counts.items()))
        counts["audit.history_anonymised"] = history_anonymise(
            using=using,
            context_id=context_id,
            patient_model=Patient,
            patient_ids=[patient.pk],
            emptied=run.emptied,
        )
        closure.patient = None
        closure.purged_at = timezone.now()
        closure.purge_counts = counts
        closure.purge_error = ""
        closure.save(
            using=using, update_fields=["patient", "purged_at", "purge_counts", "purge_error"]
        )
    log.info("event=retention_purge closure=%s rows=%s", closure.pk, sum(counts.values()))
    return counts


def retention_purge_run(*, today: datetime.date | None = None, using: str = PURGE_ALIAS) -> dict:
    """Purge every closure that is due. A closure that fails (e.g. a new table that no purger
    knows yet refuses the delete) is rolled back on its own, its error shown to staff, and the
    others go on; the next daily run tries it again."""
    summary = {"purged": 0, "failed": 0}
    for closure_id in closures_due(today=today, using=using):
        try:
            done = closure_purge(closure_id=closure_id, using=using, today=today)
        except (ProtectedError, DatabaseError) as exc:
            summary["failed"] += 1
            log.error("event=retention_purge closure=%s outcome=failed", closure_id)
            AccountClosure.objects.using(using).filter(pk=closure_id).update(
                purge_error=_describe(exc)[:2000]
            )
            continue
        if done is not None:
            summary["purged"] += 1
    return summary


def _describe(exc: Exception) -> str:
    if isinstance(exc, ProtectedError):
        kinds = sorted({obj._meta.label for obj in exc.protected_objects})
        return "Rows no purger deletes still point at this record: " + ", ".join(kinds)
    return f"{type(exc).__name__}: {exc}"


def login_purge(*, user_id: int, run: PurgeRun) -> None:
    """Delete a closed login and what hangs on it (email addresses, authenticators, lockout
    records, its outbox messages). When other people's records still name it (a dependant
    handed to someone else, a questionnaire it started for a child), the row stays as an
    anonymous stub instead."""
    from allauth.account.models import EmailAddress
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    using = run.using
    User = get_user_model()
    user = User.objects.using(using).filter(pk=user_id).first()
    if user is None:
        return
    emails = {user.email.lower()} | {
        e.lower()
        for e in EmailAddress.objects.using(using).filter(user=user).values_list("email", flat=True)
    }
    recipient_q, username_q = Q(), Q()
    for email in emails:
        recipient_q |= Q(recipient__iexact=email)
        username_q |= Q(username__iexact=email)
    run.delete(Message.objects.filter(recipient_q))
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        run.delete(model.objects.filter(username_q))
    # A former dependant who now has a login of their own no longer needs this guardian.
    Patient.objects.using(using).filter(guardian=user, user__isnull=False).update(guardian=None)
    try:
        with transaction.atomic(using=using):
            run.delete(User.objects.filter(pk=user.pk))
    except ProtectedError:
        run.delete(EmailAddress.objects.filter(user=user))
        User.objects.using(using).filter(pk=user.pk).update(
            email=f"purged-{user.pk}@invalid.example",
            first_name="",
            last_name="",
            is_active=False,
            password="!",
        )
        run.history_of(User, [user.pk])
        run.counts["accounts.user_anonymised"] = 1
