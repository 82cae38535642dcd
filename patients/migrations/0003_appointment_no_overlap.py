"""No two appointments overlap: PostgreSQL exclusion constraints (btree_gist).

- a specialist's blocked time, [start, blocked_until) = the appointment plus its buffer;
- a patient's time, [start, end): nobody holds two appointments at once;
both only for appointments that hold time (not cancelled), whatever their kind.

SQLite cannot parse EXCLUDE constraints, so this migration does nothing there; the booking
services keep the same rule on SQLite with an IMMEDIATE transaction and a re-check.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE patients_appointment
    ADD CONSTRAINT appointment_specialist_no_overlap
    EXCLUDE USING gist (
        specialist_id WITH =,
        tstzrange("start", "blocked_until", '[)') WITH &&
    ) WHERE (status <> 'cancelled')
    """,
    """
    ALTER TABLE patients_appointment
    ADD CONSTRAINT appointment_patient_no_overlap
    EXCLUDE USING gist (
        patient_id WITH =,
        tstzrange("start", "end", '[)') WITH &&
    ) WHERE (status <> 'cancelled')
    """,
]

BACKWARD = [
    "ALTER TABLE patients_appointment DROP CONSTRAINT IF EXISTS appointment_patient_no_overlap",
    "ALTER TABLE patients_appointment DROP CONSTRAINT IF EXISTS appointment_specialist_no_overlap",
]


def _run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_booking")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
