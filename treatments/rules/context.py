"""The per-area facts that rule predicates read (built once per affected area by the engine)."""

from .vocab import CURRENT_PATH

__all__ = ["AreaContext", "area_context"]

_NOT_A_PATH_RISK = frozenset({"dental_braces"})


class AreaContext:
    """What the rules need to know about one affected area of one profile.

    - `area`, `hdss`, `skin` (the skin state there), `line` (the line order used, RULES.md §4);
    - `failed`: treatments tried with outcome `failed` or `not_tolerated` in this area;
    - `ion_failed`, `ion_failed_adequate` (some failed iontophoresis entry had ≥ 7 sessions),
      `ion_not_tolerated`: the iontophoresis entries that apply to this area;
    - `metal_on_path`, `metal_elsewhere`: metal implants on / off this area's current path
      (dental braces are neither: ION-23 covers them);
    - `status`, `excluded_by`: filled by the engine before the `late` rules (ETS-02) run, with
      each option's status so far and the ids of the `exclude` rules that fired for it.
    """

    __slots__ = (
        "area",
        "hdss",
        "skin",
        "line",
        "failed",
        "ion_failed",
        "ion_failed_adequate",
        "ion_not_tolerated",
        "metal_on_path",
        "metal_elsewhere",
        "status",
        "excluded_by",
    )


def area_context(profile, area: str, hdss: int, line: tuple) -> AreaContext:
    """Build the `AreaContext` of `area` for a validated profile."""
    a = AreaContext()
    a.area = area
    a.hdss = hdss
    a.skin = profile.skin[area]
    a.line = line
    failed = set()
    ion_failed = ion_adequate = ion_not_tolerated = False
    for entry in profile.tried:
        if entry.area is not None and entry.area != area:
            continue
        outcome = entry.outcome
        if outcome == "failed":
            failed.add(entry.treatment)
            if entry.treatment == "iontophoresis":
                ion_failed = True
                if entry.sessions is not None and entry.sessions >= 7:
                    ion_adequate = True
        elif outcome == "not_tolerated":
            failed.add(entry.treatment)
            if entry.treatment == "iontophoresis":
                ion_not_tolerated = True
    a.failed = failed
    a.ion_failed = ion_failed
    a.ion_failed_adequate = ion_adequate
    a.ion_not_tolerated = ion_not_tolerated
    metal = profile.metal_implants
    if metal:
        path = CURRENT_PATH[area]
        a.metal_on_path = not metal.isdisjoint(path)
        a.metal_elsewhere = bool(metal - path - _NOT_A_PATH_RISK)
    else:
        a.metal_on_path = a.metal_elsewhere = False
    a.status = None
    a.excluded_by = None
    return a
