"""Fingerprints of the rule table and of its behaviour, for the RULES_VERSION test."""

import hashlib
import json
import random

from treatments.rules import (
    AREAS,
    CONDITIONS,
    ELECTRONIC_IMPLANTS,
    IUD_TYPES,
    MEDICATIONS,
    METAL_SITES,
    OUTCOMES,
    RED_FLAGS,
    RULES,
    SKIN_STATES,
    TREATMENTS,
    recommend,
)


def table_fingerprint() -> str:
    """Hash of every row's id, effect, treatments, areas and flags, in table order."""
    rows = [
        [r.id, r.scope, r.effect, list(r.targets), list(r.areas), r.temporary, r.late]
        for r in RULES
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def corpus(n: int = 3000, seed: int = 20261124) -> list[dict]:
    """A fixed, varied set of valid profiles (only `random()` is used: stable across Pythons)."""
    rnd = random.Random(seed)

    def pick(seq):
        return seq[int(rnd.random() * len(seq))]

    def some(seq, p):
        return [x for x in seq if rnd.random() < p]

    profiles = []
    for _ in range(n):
        age = pick([0, 3, 5, 6, 8, 9, 11, 12, 16, 17, 18, 25, 30, 45, 64, 65, 80])
        generalized = rnd.random() < 0.05
        areas = {a: pick([1, 2, 3, 4]) for a in some(AREAS, 0.4)}
        if not areas and not generalized:
            areas = {pick(AREAS): pick([2, 3])}
        profile = {
            "age": age,
            "areas": areas,
            "onset_age": min(age, pick([0, 5, 14, 24, 25, 40])),
            "duration_months": pick([0, 5, 6, 60, 240]),
            "generalized": generalized,
            "family_history": rnd.random() < 0.5,
            "bilateral_symmetric": rnd.random() < 0.9,
            "weekly_episodes": rnd.random() < 0.9,
            "sweats_during_sleep": rnd.random() < 0.05,
            "pregnant": rnd.random() < 0.08,
            "breastfeeding": rnd.random() < 0.08,
            "red_flags": some(RED_FLAGS, 0.03),
            "electronic_implants": some(ELECTRONIC_IMPLANTS, 0.05),
            "metal_implants": some(METAL_SITES, 0.04),
            "iud": pick(IUD_TYPES),
            "conditions": some(CONDITIONS, 0.04),
            "skin": {a: pick(SKIN_STATES) for a in some(AREAS, 0.3)},
            "allergies": some(TREATMENTS, 0.05),
            "medications": some(MEDICATIONS, 0.05),
            "tried": [],
        }
        for _ in range(pick([0, 0, 1, 2, 3])):
            entry = {"treatment": pick(TREATMENTS), "outcome": pick(OUTCOMES)}
            if rnd.random() < 0.6:
                entry["sessions"] = pick([0, 3, 6, 7, 12])
            if rnd.random() < 0.3:
                entry["area"] = pick(AREAS)
            profile["tried"].append(entry)
        profiles.append(profile)
    return profiles


def behaviour_fingerprint(profiles: list[dict]) -> str:
    """Hash of the results for `profiles`, without `rules_version`."""
    digest = hashlib.sha256()
    for profile in profiles:
        result = recommend(profile)
        del result["rules_version"]
        digest.update(json.dumps(result, sort_keys=True).encode())
    return digest.hexdigest()
