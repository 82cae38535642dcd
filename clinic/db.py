"""What PostgreSQL answers under a crowd instead of a result: errors worth a kind "please try
again", never a bug's error page."""

from django.db import InterfaceError, OperationalError

# 40001 serialization failure, 40P01 deadlock, 53xxx out of connections or resources,
# 55P03 lock not available; whole classes: 08 the connection, 57 statement timeout /
# cancelled / server shutting down.
BUSY_SQLSTATES = frozenset({"40001", "40P01", "53000", "53100", "53200", "53300", "55P03"})
BUSY_SQLSTATE_CLASSES = ("08", "57")


def sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None)


def is_database_busy(exc: BaseException | None) -> bool:
    """A transient database error: contention, a timeout, no free or a lost connection."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    state = sqlstate(exc)
    if state is None:  # psycopg raises connection failures and timeouts without a SQLSTATE
        return True
    return state in BUSY_SQLSTATES or state.startswith(BUSY_SQLSTATE_CLASSES)
