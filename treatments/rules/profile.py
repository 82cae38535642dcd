"""Validation of the intake profile (RULES.md §1).

`validate_profile` turns one JSON-like object into a `Profile` or raises `ProfileError` naming the
first field that is wrong. Nothing is guessed: unknown keys and codes, wrong types (a boolean is
not an integer, 3.0 is not an integer, 0/1 are not booleans), `null` and out-of-range values are
all refused. Keys are checked in the order of RULES.md §1, so the error is deterministic.
"""

import json
from dataclasses import dataclass, field

from .vocab import (
    AREAS,
    CONDITIONS,
    ELECTRONIC_IMPLANTS,
    HDSS_SCORES,
    IUD_TYPES,
    MEDICATIONS,
    METAL_SITES,
    OUTCOMES,
    RED_FLAGS,
    SKIN_STATES,
    TREATMENTS,
)

__all__ = ["PROFILE_KEYS", "Profile", "ProfileError", "Tried", "validate_profile"]

_INTACT_SKIN = {area: "intact" for area in AREAS}


class ProfileError(ValueError):
    """An intake profile that does not follow RULES.md §1.

    `field` is the path of the offending value (`age`, `areas.palmar`, `tried[0].sessions`,
    `red_flags[2]`; empty when the profile itself is not an object), `message` says what is
    expected, and `kind` classifies the error: `not_object`, `unknown_key`, `unknown_code`,
    `type`, `null`, `missing`, `range` or `combination`.
    """

    def __init__(self, field: str, message: str, kind: str = "invalid"):
        self.field = field
        self.message = message
        self.kind = kind
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.field:
            return f"field '{self.field}': {self.message}"
        return self.message


@dataclass(frozen=True, slots=True)
class Tried:
    """One earlier treatment (`tried` entry); `sessions`, `weeks`, `area` are None if omitted."""

    treatment: str
    outcome: str
    sessions: int | None = None
    weeks: int | None = None
    area: str | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated intake profile with every default filled in.

    Lists are frozensets (duplicates count once); `areas` maps each affected area to its HDSS in
    the order of `AREAS`; `skin` has an entry for every area; `tried` keeps the first occurrence
    of each distinct entry, in input order.
    """

    age: int
    areas: dict
    onset_age: int
    duration_months: int
    pregnant: bool = False
    breastfeeding: bool = False
    generalized: bool = False
    bilateral_symmetric: bool = True
    weekly_episodes: bool = True
    family_history: bool = False
    sweats_during_sleep: bool = False
    red_flags: frozenset = frozenset()
    electronic_implants: frozenset = frozenset()
    metal_implants: frozenset = frozenset()
    iud: str = "none"
    conditions: frozenset = frozenset()
    skin: dict = field(default_factory=lambda: dict(_INTACT_SKIN))
    allergies: frozenset = frozenset()
    medications: frozenset = frozenset()
    tried: tuple = ()

    def as_dict(self) -> dict:
        """Return the canonical JSON form: every key, lists in vocabulary order, no duplicates."""
        return {
            "age": self.age,
            "pregnant": self.pregnant,
            "breastfeeding": self.breastfeeding,
            "areas": dict(self.areas),
            "generalized": self.generalized,
            "onset_age": self.onset_age,
            "duration_months": self.duration_months,
            "bilateral_symmetric": self.bilateral_symmetric,
            "weekly_episodes": self.weekly_episodes,
            "family_history": self.family_history,
            "sweats_during_sleep": self.sweats_during_sleep,
            "red_flags": [c for c in RED_FLAGS if c in self.red_flags],
            "electronic_implants": [
                c for c in ELECTRONIC_IMPLANTS if c in self.electronic_implants
            ],
            "metal_implants": [c for c in METAL_SITES if c in self.metal_implants],
            "iud": self.iud,
            "conditions": [c for c in CONDITIONS if c in self.conditions],
            "skin": dict(self.skin),
            "allergies": [c for c in TREATMENTS if c in self.allergies],
            "medications": [c for c in MEDICATIONS if c in self.medications],
            "tried": [
                {
                    k: v
                    for k, v in (
                        ("treatment", t.treatment),
                        ("outcome", t.outcome),
                        ("sessions", t.sessions),
                        ("weeks", t.weeks),
                        ("area", t.area),
                    )
                    if v is not None
                }
                for t in self.tried
            ],
        }


# ---------------------------------------------------------------------------------------------
# Helpers. Each returns the checked value or raises ProfileError for `field`.

_SIMPLE_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _show(value: object) -> str:
    """A short, one-line, JSON-flavoured rendering of a bad value for an error message."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if type(value) is int or type(value) is float:
        text = repr(value)
    elif isinstance(value, str):
        text = json.dumps(value)
    elif isinstance(value, dict):
        return "an object"
    elif isinstance(value, list | tuple):
        return "a list"
    else:
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _key(key: object) -> str:
    """Render an object key for a field path, safely on one line."""
    if isinstance(key, str) and key and len(key) <= 40 and set(key) <= _SIMPLE_KEY_CHARS:
        return key
    return _show(key)


def _choices(vocab: tuple) -> str:
    if len(vocab) <= 9:
        return "one of " + ", ".join(vocab)
    return f"a known code ({len(vocab)} codes, see RULES.md §1)"


def _int(value: object, field: str, low: int, high: int, extra: str = "") -> int:
    if value is None:
        raise ProfileError(field, "must not be null (leave the key out instead)", "null")
    if type(value) is not int:
        raise ProfileError(
            field, f"must be an integer {low}-{high}{extra}, got {_show(value)}", "type"
        )
    if not low <= value <= high:
        raise ProfileError(
            field, f"must be an integer {low}-{high}{extra}, got {_show(value)}", "range"
        )
    return value


def _bool(value: object, field: str) -> bool:
    if value is None:
        raise ProfileError(field, "must not be null (leave the key out instead)", "null")
    if type(value) is not bool:
        raise ProfileError(field, f"must be true or false, got {_show(value)}", "type")
    return value


def _code(value: object, field: str, vocab: tuple, known: frozenset) -> str:
    if value is None:
        raise ProfileError(field, "must not be null (leave the key out instead)", "null")
    if not isinstance(value, str):
        raise ProfileError(field, f"must be {_choices(vocab)}, got {_show(value)}", "type")
    if value not in known:
        raise ProfileError(
            field, f"unknown code {_show(value)}: must be {_choices(vocab)}", "unknown_code"
        )
    return value


def _code_list(value: object, field: str, vocab: tuple, known: frozenset) -> frozenset:
    if value is None:
        raise ProfileError(field, "must not be null (leave the key out instead)", "null")
    if type(value) is not list and type(value) is not tuple:
        raise ProfileError(field, f"must be a list of codes, got {_show(value)}", "type")
    for i, item in enumerate(value):
        if not isinstance(item, str) or item not in known:
            _code(item, f"{field}[{i}]", vocab, known)
    return frozenset(value)


def _object(value: object, field: str) -> dict:
    if value is None:
        raise ProfileError(field, "must not be null (leave the key out instead)", "null")
    if not isinstance(value, dict):
        raise ProfileError(field, f"must be an object, got {_show(value)}", "type")
    return value


_AREA_SET = frozenset(AREAS)
_TREATMENT_SET = frozenset(TREATMENTS)
_SKIN_SET = frozenset(SKIN_STATES)
_OUTCOME_SET = frozenset(OUTCOMES)
_IUD_SET = frozenset(IUD_TYPES)
_HDSS_LOW, _HDSS_HIGH = HDSS_SCORES[0], HDSS_SCORES[-1]


def _areas(value: object) -> dict:
    obj = _object(value, "areas")
    for key, hdss in obj.items():
        if key not in _AREA_SET:
            raise ProfileError(
                f"areas.{_key(key)}", f"unknown area: must be {_choices(AREAS)}", "unknown_key"
            )
        _int(hdss, f"areas.{key}", _HDSS_LOW, _HDSS_HIGH)
    return {area: obj[area] for area in AREAS if area in obj}


def _skin(value: object) -> dict:
    obj = _object(value, "skin")
    for key, state in obj.items():
        if key not in _AREA_SET:
            raise ProfileError(
                f"skin.{_key(key)}", f"unknown area: must be {_choices(AREAS)}", "unknown_key"
            )
        _code(state, f"skin.{key}", SKIN_STATES, _SKIN_SET)
    return {area: obj.get(area, "intact") for area in AREAS}


_TRIED_KEYS = ("treatment", "outcome", "sessions", "weeks", "area")
_TRIED_KEY_SET = frozenset(_TRIED_KEYS)


def _tried(value: object) -> tuple:
    if value is None:
        raise ProfileError("tried", "must not be null (leave the key out instead)", "null")
    if type(value) is not list and type(value) is not tuple:
        raise ProfileError("tried", f"must be a list of objects, got {_show(value)}", "type")
    entries: dict = {}
    for i, item in enumerate(value):
        base = f"tried[{i}]"
        obj = _object(item, base)
        for key in obj:
            if key not in _TRIED_KEY_SET:
                raise ProfileError(
                    f"{base}.{_key(key)}",
                    "unknown key: an entry has treatment, outcome, sessions, weeks and area",
                    "unknown_key",
                )
        for key in ("treatment", "outcome"):
            if key not in obj:
                raise ProfileError(f"{base}.{key}", "is required", "missing")
        treatment = _code(obj["treatment"], f"{base}.treatment", TREATMENTS, _TREATMENT_SET)
        outcome = _code(obj["outcome"], f"{base}.outcome", OUTCOMES, _OUTCOME_SET)
        sessions = obj.get("sessions")
        if "sessions" in obj:
            _int(sessions, f"{base}.sessions", 0, 1000)
        weeks = obj.get("weeks")
        if "weeks" in obj:
            _int(weeks, f"{base}.weeks", 0, 1000)
        area = obj.get("area")
        if "area" in obj:
            _code(area, f"{base}.area", AREAS, _AREA_SET)
        entry = Tried(treatment, outcome, sessions, weeks, area)
        entries.setdefault(entry, None)
    return tuple(entries)


def _list_checker(vocab: tuple):
    known = frozenset(vocab)

    def check(value: object, field: str) -> frozenset:
        return _code_list(value, field, vocab, known)

    return check


# Keys in the order of RULES.md §1.
PROFILE_KEYS = (
    "age",
    "pregnant",
    "breastfeeding",
    "areas",
    "generalized",
    "onset_age",
    "duration_months",
    "bilateral_symmetric",
    "weekly_episodes",
    "family_history",
    "sweats_during_sleep",
    "red_flags",
    "electronic_implants",
    "metal_implants",
    "iud",
    "conditions",
    "skin",
    "allergies",
    "medications",
    "tried",
)
_PROFILE_KEY_SET = frozenset(PROFILE_KEYS)
_BOOL_KEYS = (
    "pregnant",
    "breastfeeding",
    "generalized",
    "bilateral_symmetric",
    "weekly_episodes",
    "family_history",
    "sweats_during_sleep",
)
_LIST_KEYS = {
    "red_flags": _list_checker(RED_FLAGS),
    "electronic_implants": _list_checker(ELECTRONIC_IMPLANTS),
    "metal_implants": _list_checker(METAL_SITES),
    "conditions": _list_checker(CONDITIONS),
    "allergies": _list_checker(TREATMENTS),
    "medications": _list_checker(MEDICATIONS),
}


def validate_profile(data: object) -> Profile:
    """Check an intake profile against RULES.md §1 and return it as a `Profile`.

    Raises `ProfileError` (a `ValueError`) naming the first wrong field, in the key order of
    RULES.md §1 after a first pass for unknown keys. Missing optional keys take their defaults;
    duplicates in lists count once; `skin` and `tried` entries for unaffected areas are kept but
    have no effect.
    """
    if not isinstance(data, dict):
        raise ProfileError("", f"a profile must be a JSON object, got {_show(data)}", "not_object")
    for key in data:
        if key not in _PROFILE_KEY_SET:
            raise ProfileError(_key(key), "unknown key", "unknown_key")
    # Then key by key in the order of §1, a missing required key where it stands.
    values: dict = {}
    if "age" not in data:
        raise ProfileError("age", "is required", "missing")
    age = _int(data["age"], "age", 0, 120)
    for name in ("pregnant", "breastfeeding"):
        if name in data:
            values[name] = _bool(data[name], name)
    if "areas" not in data:
        raise ProfileError("areas", "is required", "missing")
    areas = _areas(data["areas"])
    generalized = _bool(data["generalized"], "generalized") if "generalized" in data else False
    if not areas and not generalized:
        raise ProfileError(
            "areas", "must name at least one area unless generalized is true", "combination"
        )
    if "onset_age" not in data:
        raise ProfileError("onset_age", "is required", "missing")
    onset_age = _int(data["onset_age"], "onset_age", 0, age, " (not more than age)")
    if "duration_months" not in data:
        raise ProfileError("duration_months", "is required", "missing")
    duration = _int(data["duration_months"], "duration_months", 0, 1440)
    for name in _BOOL_KEYS[3:]:
        if name in data:
            values[name] = _bool(data[name], name)
    for name in ("red_flags", "electronic_implants", "metal_implants"):
        if name in data:
            values[name] = _LIST_KEYS[name](data[name], name)
    if "iud" in data:
        values["iud"] = _code(data["iud"], "iud", IUD_TYPES, _IUD_SET)
    if "conditions" in data:
        values["conditions"] = _LIST_KEYS["conditions"](data["conditions"], "conditions")
    skin = _skin(data["skin"]) if "skin" in data else dict(_INTACT_SKIN)
    for name in ("allergies", "medications"):
        if name in data:
            values[name] = _LIST_KEYS[name](data[name], name)
    if "tried" in data:
        values["tried"] = _tried(data["tried"])
    return Profile(
        age=age,
        areas=areas,
        onset_age=onset_age,
        duration_months=duration,
        generalized=generalized,
        skin=skin,
        **values,
    )
