"""Hook: reminder dispatch through a real worker to a real SMTP server (QUALITY.md P).

To be filled in when the reminders feature is on main: seed ``count`` due reminders, start an
SMTP server (aiosmtpd, Maildir) and a real Celery worker on the bench broker, time the dispatch
until all ``count`` messages arrived (exactly once), then time a plain loop of ``send_mail`` of
the same messages to the same server; return
``{"reminders": count, "per_second": ..., "send_mail_per_second": ..., "ratio": ...,
"duplicates": 0, "worker_rss_mb": ...}``.

Until then ``run`` returns None and the report leaves the row out (no number is invented).
"""

from __future__ import annotations


def run(*, count: int = 10_000, log=print) -> dict | None:
    log("  reminders: not measured (the reminders feature is not on main yet)")
    return None
