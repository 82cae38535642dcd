"""Writes for the treatments app (one module per topic). Views import from here."""

from .care import patient_assign_specialist
from .errors import PlanError
from .feeds import calendar_feed_create, calendar_feed_revoke
from .notes import note_create, note_edit
from .plans import ItemSpec, plan_assign, plan_change, plan_move_to_maintenance
from .sessions import HORIZON_WEEKS, plan_sessions_sync, plans_extend_horizon

__all__ = [
    "HORIZON_WEEKS",
    "ItemSpec",
    "PlanError",
    "calendar_feed_create",
    "calendar_feed_revoke",
    "note_create",
    "note_edit",
    "patient_assign_specialist",
    "plan_assign",
    "plan_change",
    "plan_move_to_maintenance",
    "plan_sessions_sync",
    "plans_extend_horizon",
]
