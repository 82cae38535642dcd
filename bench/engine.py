"""The rules engine's throughput: ``treatments.rules.recommend`` over generated valid profiles,
in one process pinned to one core (QUALITY.md P: >= 10,000 profiles per second)."""

from __future__ import annotations

import os
import random
import statistics
import time

GOAL_PROFILES_PER_SECOND = 10_000


def generate_profiles(count: int, seed: int = 42) -> list[dict]:
    """``count`` varied intake profiles, valid by construction (RULES.md §1); deterministic."""
    from treatments.rules import vocab

    rng = random.Random(seed)
    profiles = []
    for _ in range(count):
        age = rng.randint(6, 85)
        generalized = rng.random() < 0.08
        k = rng.choice((0, 1, 1, 1, 2, 2, 3, 4)) if generalized else rng.randint(1, 4)
        areas = {a: rng.choice(vocab.HDSS_SCORES) for a in rng.sample(vocab.AREAS, k)}
        onset = rng.randint(0, min(age, 40))
        profile = {
            "age": age,
            "areas": areas,
            "onset_age": onset,
            "duration_months": min(1440, (age - onset) * 12 + rng.randint(0, 11)),
            "family_history": rng.random() < 0.4,
        }
        if generalized:
            profile["generalized"] = True
        if age >= 14 and rng.random() < 0.06:
            profile[rng.choice(("pregnant", "breastfeeding"))] = True
        for key, p in (
            ("bilateral_symmetric", 0.9),
            ("weekly_episodes", 0.9),
            ("sweats_during_sleep", 0.1),
        ):
            value = rng.random() < p
            if value != (p > 0.5):
                profile[key] = value

        def some(options, p, most=2):
            return rng.sample(options, rng.randint(1, most)) if rng.random() < p else None

        for key, options, p in (
            ("red_flags", vocab.RED_FLAGS, 0.05),
            ("electronic_implants", vocab.ELECTRONIC_IMPLANTS, 0.03),
            ("metal_implants", vocab.METAL_SITES, 0.08),
            ("conditions", vocab.CONDITIONS, 0.3),
            ("allergies", vocab.TREATMENTS, 0.05),
            ("medications", vocab.MEDICATIONS, 0.15),
        ):
            chosen = some(options, p)
            if chosen:
                profile[key] = chosen
        if rng.random() < 0.1:
            profile["iud"] = rng.choice(vocab.IUD_TYPES)
        if rng.random() < 0.1 and areas:
            profile["skin"] = {rng.choice(list(areas)): rng.choice(vocab.SKIN_STATES)}
        if rng.random() < 0.5:
            profile["tried"] = [
                {
                    "treatment": rng.choice(vocab.TREATMENTS),
                    "outcome": rng.choice(vocab.OUTCOMES),
                    "sessions": rng.randint(0, 20),
                    "weeks": rng.randint(0, 52),
                    **({"area": rng.choice(list(areas))} if areas and rng.random() < 0.5 else {}),
                }
                for _ in range(rng.randint(1, 3))
            ]
        profiles.append(profile)
    return profiles


def run(*, count: int = 20_000, repetitions: int = 5, seed: int = 42, log=print) -> dict:
    from treatments.rules import RULES_VERSION, recommend, validate_profile

    profiles = generate_profiles(count, seed)
    for profile in profiles:  # raises if the generator ever makes an invalid profile
        validate_profile(profile)
    pinned = None
    if hasattr(os, "sched_setaffinity"):
        before = os.sched_getaffinity(0)
        pinned = min(before)
        os.sched_setaffinity(0, {pinned})
    try:
        for profile in profiles[:1000]:  # warm-up
            recommend(profile)
        rates = []
        for _ in range(repetitions):
            t0 = time.perf_counter()
            for profile in profiles:
                recommend(profile)
            rates.append(count / (time.perf_counter() - t0))
    finally:
        if pinned is not None:
            os.sched_setaffinity(0, before)
    rate = statistics.median(rates)
    log(f"  rules engine: {rate:,.0f} profiles/s (goal {GOAL_PROFILES_PER_SECOND:,})")
    return {
        "profiles": count,
        "repetitions": repetitions,
        "profiles_per_second": round(rate),
        "rounds": [round(r) for r in rates],
        "goal": GOAL_PROFILES_PER_SECOND,
        "meets_goal": rate >= GOAL_PROFILES_PER_SECOND,
        "pinned_cpu": pinned,
        "rules_version": RULES_VERSION,
    }
