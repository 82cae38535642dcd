"""Apply the rule table to a profile and rank the options (RULES.md §2 and §4).

Everything that does not depend on the profile is resolved once at import: which rows can apply
to each (area, treatment), the rows that always hold there (e.g. "area is not axillary →
not_applicable"), and the sort position of every treatment in every line order.
"""

from .context import area_context
from .profile import Profile, validate_profile
from .table import RULES, RULES_VERSION, always
from .vocab import AREAS, LINE_ORDERS, STATUSES, TREATMENTS

__all__ = ["evaluate", "recommend"]

_RANK = {"caution": 1, "review": 2, "exclude": 3, "not_applicable": 4}
_OK, _CAUTION, _REVIEW, _EXCLUDED, _NA = range(5)
_STATUS = STATUSES  # index = rank
_GROUP = (0, 0, 1, 2, 3)  # ok/caution, review, excluded, not_applicable

_PROFILE_RULES = tuple((r.id, r.predicate) for r in RULES if r.scope == "profile")
_AREA_RULES = tuple((r.id, r.predicate, r.effect) for r in RULES if r.scope == "area")


def _always(r) -> bool:
    return r.predicate is always


def _plan(area: str, treatment: str) -> tuple:
    """The rows that can apply to `treatment` in `area`, pre-sorted by kind.

    Returns (treatment, static_na_ids, na_rows, static_ids, static_rank, static_excluded, rows,
    late_rows); rows are (id, predicate, rank) triples in table order.
    """
    static_na, na_rows, static_ids, rows, late = [], [], [], [], []
    static_rank, static_excluded = _OK, []
    for r in RULES:
        if r.scope != "option" or area not in r.areas or treatment not in r.targets:
            continue
        rank = _RANK[r.effect]
        row = (r.id, r.predicate, rank)
        if r.late:
            late.append(row)
        elif rank == _NA:
            (static_na.append(r.id) if _always(r) else na_rows.append(row))
        elif _always(r):
            static_ids.append(r.id)
            static_rank = max(static_rank, rank)
            if rank == _EXCLUDED:
                static_excluded.append(r.id)
        else:
            rows.append(row)
    return (
        treatment,
        tuple(static_na),
        tuple(na_rows),
        tuple(static_ids),
        static_rank,
        tuple(static_excluded),
        tuple(rows),
        tuple(late),
    )


_PLANS = {area: tuple(_plan(area, t) for t in TREATMENTS) for area in AREAS}
# Whether an area has any late row on an option that is not always not_applicable there.
_HAS_LATE = {area: any(p[7] and not p[1] for p in plans) for area, plans in _PLANS.items()}
# Sort position of each treatment per line order: its place in the order, else after all of
# them in the order of TREATMENTS (RULES.md §2).
_POSITION = {
    key: {t: (order.index(t) if t in order else len(order) + i) for i, t in enumerate(TREATMENTS)}
    for key, order in LINE_ORDERS.items()
}


def evaluate(profile: Profile) -> dict:
    """Apply the rules to an already validated `Profile` and return the result of RULES.md §2."""
    p = profile
    refer_rules = [rule_id for rule_id, predicate in _PROFILE_RULES if predicate(p)]
    refer = bool(refer_rules)
    areas_out = {}
    for area, hdss in p.areas.items():
        line_key = (area, hdss)
        a = area_context(p, area, hdss, LINE_ORDERS[line_key])
        area_rules = []
        no_treatment = False
        for rule_id, predicate, effect in _AREA_RULES:
            if predicate(p, a):
                area_rules.append(rule_id)
                if effect == "no_treatment":
                    no_treatment = True

        ranks = {}
        fired = {}
        excluded_by = {}
        for t, static_na, na_rows, static_ids, rank, static_ex, rows, _late in _PLANS[area]:
            if static_na or na_rows:
                na = [rule_id for rule_id, predicate, _ in na_rows if predicate(p, a, t)]
                if static_na or na:
                    ranks[t] = _NA
                    fired[t] = [*static_na, *na]
                    continue
            ids = list(static_ids)
            excluded = list(static_ex)
            for rule_id, predicate, row_rank in rows:
                if predicate(p, a, t):
                    ids.append(rule_id)
                    if row_rank > rank:
                        rank = row_rank
                    if row_rank == _EXCLUDED:
                        excluded.append(rule_id)
            ranks[t] = rank
            fired[t] = ids
            excluded_by[t] = excluded

        if _HAS_LATE[area]:
            _apply_late(p, a, ranks, fired, excluded_by, area)

        position = _POSITION[line_key]
        order = sorted(TREATMENTS, key=lambda t: (_GROUP[ranks[t]], position[t]))
        options = [
            {"treatment": t, "status": _STATUS[ranks[t]], "rules": sorted(fired[t])} for t in order
        ]
        top = None
        if not refer and not no_treatment and ranks[order[0]] <= _CAUTION:
            top = order[0]
        areas_out[area] = {
            "hdss": hdss,
            "top": top,
            "options": options,
            "rules": sorted(area_rules),
        }
    return {
        "rules_version": RULES_VERSION,
        "refer": refer,
        "refer_rules": sorted(refer_rules),
        "areas": areas_out,
    }


def _apply_late(p, a, ranks, fired, excluded_by, area) -> None:
    """Run the late rows (ETS-02), which read the statuses of the other options."""
    a.status = {t: _STATUS[rank] for t, rank in ranks.items()}
    a.excluded_by = {t: frozenset(ids) for t, ids in excluded_by.items()}
    for t, _static_na, _na, _ids, _rank, _ex, _rows, late in _PLANS[area]:
        if not late or ranks[t] == _NA:
            continue
        for rule_id, predicate, row_rank in late:
            if predicate(p, a, t):
                if row_rank == _NA:
                    ranks[t] = _NA
                    fired[t] = [rule_id]
                    break
                fired[t].append(rule_id)
                if row_rank > ranks[t]:
                    ranks[t] = row_rank


def recommend(profile: dict | Profile) -> dict:
    """Validate an intake profile (RULES.md §1) and return the recommendation (RULES.md §2).

    The result is a JSON-ready dict: `rules_version`, `refer`, `refer_rules` and `areas` (one
    entry per affected area, in the order of `AREAS`, each with `hdss`, `top`, `options` and
    `rules`). Every list of rule ids is sorted. Raises `ProfileError` for an invalid profile.
    Deterministic: the same profile always gives the same result.
    """
    if not isinstance(profile, Profile):
        profile = validate_profile(profile)
    return evaluate(profile)
