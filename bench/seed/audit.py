"""Seeded access log: staff and specialists reading patients' records over the past year
(1,000,000 rows at 10,000 patients). The change history (pghistory events) of the seeded
users and patients is written by the database triggers as the rows are copied in."""

import datetime
import uuid

from clinic.audit.models import AccessEvent
from patients.models import Patient

from . import SeedContext, copy_rows, email_for, seed_step

_YEAR_SECONDS = 365 * 24 * 3600


@seed_step(90, "access_log")
def access_log(ctx: SeedContext) -> int:
    rng = ctx.rng
    readers = [(pk, email_for("staff", n + 1)) for n, pk in enumerate(ctx.ids["staff_users"])]
    readers += [(pk, email_for("dr", n + 1)) for n, pk in enumerate(ctx.ids["specialist_users"])]
    patient_pks = ctx.ids["patients"]
    label = Patient._meta.label_lower
    start = ctx.now - datetime.timedelta(seconds=_YEAR_SECONDS)

    def rows():
        for _ in range(ctx.sizes.access_events):
            actor, actor_email = readers[rng.randrange(len(readers))]
            # A few patients are seen far more often than most (long treatments).
            patient = patient_pks[int(len(patient_pks) * rng.random() ** 2)]
            at = start + datetime.timedelta(seconds=rng.randrange(_YEAR_SECONDS))
            yield (
                at,
                actor,
                actor_email,
                label,
                str(patient),
                f"{label}:{patient}",
                f"/clinic/patients/{patient}/",
                "",
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            )

    return copy_rows(
        AccessEvent,
        [
            "at",
            "actor",
            "actor_label",
            "model_label",
            "object_pk",
            "patient_key",
            "page",
            "view_name",
            "request_id",
        ],
        rows(),
    )
