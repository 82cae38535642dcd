"""The treatment recommendation engine (specification: clinical/RULES.md).

Pure Python, no Django, deterministic, no clock. The rules are a table of rows (`RULES`); the
engine applies the table to an intake profile and ranks the options per area.

    >>> from treatments.rules import recommend
    >>> result = recommend({"age": 30, "areas": {"palmar": 3}, "onset_age": 14,
    ...                     "duration_months": 60, "family_history": True})
    >>> result["areas"]["palmar"]["top"]
    'iontophoresis'
"""

from .engine import evaluate, recommend
from .profile import PROFILE_KEYS, Profile, ProfileError, Tried, validate_profile
from .summary import patient_summary
from .table import RULES, RULES_BY_ID, RULES_VERSION, TEMPORARY_RULE_IDS, Rule, rule
from .vocab import (
    AREAS,
    CONDITIONS,
    CURRENT_PATH,
    EFFECTS,
    ELECTRONIC_IMPLANTS,
    HDSS_SCORES,
    IUD_TYPES,
    LINE_ORDERS,
    LOCAL_TREATMENTS,
    MEDICATIONS,
    METAL_SITES,
    OUTCOMES,
    RED_FLAGS,
    SKIN_STATES,
    STATUSES,
    TREATMENTS,
    line_order,
)

__all__ = [
    "AREAS",
    "CONDITIONS",
    "CURRENT_PATH",
    "EFFECTS",
    "ELECTRONIC_IMPLANTS",
    "HDSS_SCORES",
    "IUD_TYPES",
    "LINE_ORDERS",
    "LOCAL_TREATMENTS",
    "MEDICATIONS",
    "METAL_SITES",
    "OUTCOMES",
    "PROFILE_KEYS",
    "RED_FLAGS",
    "RULES",
    "RULES_BY_ID",
    "RULES_VERSION",
    "SKIN_STATES",
    "STATUSES",
    "TEMPORARY_RULE_IDS",
    "TREATMENTS",
    "Profile",
    "ProfileError",
    "Rule",
    "Tried",
    "evaluate",
    "line_order",
    "patient_summary",
    "recommend",
    "rule",
    "validate_profile",
]
