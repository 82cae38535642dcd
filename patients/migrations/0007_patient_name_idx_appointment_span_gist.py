"""Indexes for the lists and calendars that grow.

- patients by name (``Patient.Meta.ordering``, every paginated patient list);
- appointments overlapping a window, whatever their status (the staff calendar's day and
  week): a GiST index on tstzrange(start, end), used by ``span_overlaps`` on PostgreSQL. A
  btree on start alone serves only ``start < window end``, i.e. every past appointment.
  (The specialists' held time already has one: the exclusion constraint's index.)
SQLite has no GiST: the second is PostgreSQL only, as the exclusion constraints (0003).
"""

from django.db import migrations, models

FORWARD = [
    """
    CREATE INDEX IF NOT EXISTS appointment_span_gist ON patients_appointment
    USING gist (tstzrange("start", "end", '[)'))
    """
]
BACKWARD = ["DROP INDEX IF EXISTS appointment_span_gist"]


def _run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_merge_0005_closure_0005_tracking")]

    operations = [
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["legal_name", "id"], name="patient_name_idx"),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
