"""A plan's session logs up to a day (progress, the session list): served by (plan, day)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_merge_0002_inclinic_appointments_0002_tracking")]

    operations = [
        migrations.AddIndex(
            model_name="sessionlog",
            index=models.Index(fields=["plan", "day"], name="sessionlog_plan_day_idx"),
        ),
    ]
