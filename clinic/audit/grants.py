"""Database privileges that make the audit append-only for the running application (S12).

Production runs the app as a role that may read and write the clinic's tables but may only
INSERT (and read) the audit tables: the access log and every change-history event table.
pghistory's context table is upserted by its triggers, so it keeps UPDATE (never DELETE).
A separate privileged role (the retention purge) may anonymise and delete."""

from django.db import connection

from .history import TRACKED_MODELS

CONTEXT_TABLE = "pghistory_context"


def audit_tables() -> list[str]:
    from .models import AccessEvent

    tables = [AccessEvent._meta.db_table]
    tables += [model.pgh_event_model._meta.db_table for model in TRACKED_MODELS]
    return sorted(set(tables))


def other_tables() -> list[str]:
    protected = set(audit_tables()) | {CONTEXT_TABLE}
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor, include_views=False))
    return sorted(names - protected)


def grant_statements(*, app_role: str, purge_role: str | None = None) -> list[str]:
    q = connection.ops.quote_name
    app = q(app_role)
    stmts = [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}"]
    for table in other_tables():
        stmts.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {q(table)} TO {app}")
    for table in audit_tables():
        stmts.append(f"GRANT SELECT, INSERT ON {q(table)} TO {app}")
    stmts.append(f"GRANT SELECT, INSERT, UPDATE ON {q(CONTEXT_TABLE)} TO {app}")
    stmts.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}")
    if purge_role:
        purge = q(purge_role)
        stmts.append(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {purge}"
        )
        stmts.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {purge}")
    return stmts
