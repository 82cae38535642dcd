"""Shared helpers for the rules tests: a valid base profile and result accessors."""

import copy

from treatments.rules import recommend

# A 30-year-old with palmar HDSS 3 that meets the primary focal criteria: no rule refers.
BASE = {
    "age": 30,
    "areas": {"palmar": 3},
    "onset_age": 14,
    "duration_months": 60,
    "family_history": True,
}


def make(**overrides) -> dict:
    """A copy of BASE with the given keys replaced (a value of ... removes the key)."""
    profile = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if value is ...:
            profile.pop(key, None)
        else:
            profile[key] = copy.deepcopy(value)
    return profile


def option(result: dict, area: str, treatment: str) -> dict:
    """The option of `treatment` in `area` of a result."""
    (found,) = [o for o in result["areas"][area]["options"] if o["treatment"] == treatment]
    return found


def statuses(result: dict, area: str) -> list[tuple[str, str]]:
    """(treatment, status) pairs of an area, in the result's order."""
    return [(o["treatment"], o["status"]) for o in result["areas"][area]["options"]]


def run(**overrides) -> dict:
    return recommend(make(**overrides))
