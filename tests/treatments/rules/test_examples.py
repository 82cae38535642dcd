"""The worked examples of RULES.md reproduce exactly (rule-id lists compared as sets)."""

import json
from pathlib import Path

import pytest

from treatments.rules import recommend

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.json"))


def _comparable(result: dict) -> dict:
    """Drop the free `rules_version`; turn every rule-id list into a set (README.md)."""
    return {
        "refer": result["refer"],
        "refer_rules": set(result["refer_rules"]),
        "areas": {
            area: {
                "hdss": entry["hdss"],
                "top": entry["top"],
                "rules": set(entry["rules"]),
                "options": [
                    (o["treatment"], o["status"], frozenset(o["rules"])) for o in entry["options"]
                ],
            }
            for area, entry in result["areas"].items()
        },
    }


def test_all_eight_examples_are_present():
    assert len(EXAMPLES) == 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_result_matches_expected(path):
    example = json.loads(path.read_text())
    result = recommend(example["profile"])
    assert _comparable(result) == _comparable(example["expected"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_result_has_exactly_the_documented_keys(path):
    example = json.loads(path.read_text())
    result = recommend(example["profile"])
    assert set(result) == set(example["expected"])
    assert isinstance(result["rules_version"], str)
    for area, entry in result["areas"].items():
        assert set(entry) == set(example["expected"]["areas"][area])
        for got in entry["options"]:
            assert set(got) == {"treatment", "status", "rules"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_result_is_json_serialisable_and_stable(path):
    example = json.loads(path.read_text())
    first = recommend(example["profile"])
    assert json.loads(json.dumps(first)) == first
    assert recommend(example["profile"]) == first
