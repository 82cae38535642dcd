"""The engine benchmark's profiles: valid, varied and the same for the same seed."""

from bench.engine import generate_profiles
from treatments.rules import recommend, validate_profile


def test_generated_profiles_are_valid_and_deterministic():
    profiles = generate_profiles(500, seed=7)
    assert profiles == generate_profiles(500, seed=7)
    assert profiles != generate_profiles(500, seed=8)
    for profile in profiles:
        validate_profile(profile)
    results = [recommend(p) for p in profiles[:100]]
    assert len({r["refer"] for r in results}) == 2  # some referred, some not
    assert len({len(p["areas"]) for p in profiles}) >= 4  # 0..4 areas (generalized: 0)
