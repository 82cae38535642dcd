"""`manage.py recommend`: JSON in, JSON out; invalid input exits 2 with one line on stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from treatments.management.commands.recommend import run
from treatments.rules import recommend

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.json"))
PROFILE = {"age": 30, "areas": {"palmar": 3}, "onset_age": 14, "duration_months": 60}


def _bad_sessions():
    return {
        **PROFILE,
        "tried": [{"treatment": "iontophoresis", "outcome": "failed", "sessions": 3.5}],
    }


def _assert_one_line_error(code, out, err, starts):
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1
    assert "Traceback" not in err
    assert err.startswith(starts), err


# --- the core, without Django ----------------------------------------------------------


def test_one_profile_prints_its_result():
    code, out, err = run(json.dumps(PROFILE))
    assert (code, err) == (0, "")
    assert json.loads(out) == recommend(PROFILE)
    assert out.startswith('{\n  "rules_version"')  # indent 2


def test_a_list_of_profiles_prints_a_list_of_results():
    profiles = [json.loads(p.read_text())["profile"] for p in EXAMPLES]
    code, out, err = run(json.dumps(profiles))
    assert code == 0
    assert json.loads(out) == [recommend(p) for p in profiles]


def test_an_empty_list_prints_an_empty_list():
    assert run("[]") == (0, "[]\n", "")


def test_bytes_input_and_a_bom_are_read_as_utf8():
    code, out, _ = run(b"\xef\xbb\xbf" + json.dumps(PROFILE).encode())
    assert code == 0 and json.loads(out) == recommend(PROFILE)


def test_a_file_path_is_read(tmp_path):
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps([PROFILE]))
    code, out, _ = run(path=str(path))
    assert code == 0 and json.loads(out) == [recommend(PROFILE)]


def test_error_in_a_list_names_the_profile_index_and_the_field():
    profiles = [PROFILE, PROFILE, PROFILE, _bad_sessions()]
    code, out, err = run(json.dumps(profiles))
    _assert_one_line_error(
        code,
        out,
        err,
        "recommend: profile 3: field 'tried[0].sessions': must be an integer 0-1000",
    )


def test_error_in_a_single_profile_names_the_field():
    code, out, err = run(json.dumps({**PROFILE, "age": True}))
    _assert_one_line_error(code, out, err, "recommend: field 'age': must be an integer 0-120")


def test_list_entry_that_is_not_an_object_is_named():
    code, out, err = run(json.dumps([PROFILE, 3]))
    _assert_one_line_error(code, out, err, "recommend: profile 1: a profile must be a JSON object")


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("", "recommend: invalid JSON at line 1 column 1"),
        ("{", "recommend: invalid JSON at line 1"),
        ('{"age": 30,}', "recommend: invalid JSON"),
        ("{'age': 30}", "recommend: invalid JSON"),
        ('{"age": 30, "age": 31}', "recommend: invalid JSON: duplicate key"),
        ('{"age": NaN}', "recommend: invalid JSON: NaN"),
        ("[" * 100_000 + "]" * 100_000, "recommend: invalid JSON"),
        ("3", "recommend: input must be a JSON object"),
        ('"profile"', "recommend: input must be a JSON object"),
        ("null", "recommend: input must be a JSON object"),
        ("true", "recommend: input must be a JSON object"),
        (b"\xff\xfe{}", "recommend: cannot read standard input"),
        ('{"colour": "blue"}', "recommend: field 'colour': unknown key"),
        ('{"age": 30, "areas": {}}', "recommend: field 'areas'"),
        ('{"age": 30, "\\nx": 1}', "recommend: field"),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_invalid_input_exits_2_with_one_line(text, starts):
    _assert_one_line_error(*run(text), starts)


@pytest.mark.parametrize("name", ["missing.json", "."])
def test_unreadable_file_exits_2(tmp_path, name):
    _assert_one_line_error(*run(path=str(tmp_path / name)), "recommend: cannot read")


# --- the real command through manage.py ------------------------------------------------


class TestManagePy:
    def _manage(self, *args, stdin=""):
        return subprocess.run(
            [sys.executable, "manage.py", "recommend", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )

    def test_reads_a_profile_on_stdin(self):
        done = self._manage("-", stdin=json.dumps(PROFILE))
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        expected = recommend(PROFILE)
        assert result == expected

    def test_reads_a_list_from_a_file(self, tmp_path):
        path = tmp_path / "in.json"
        profiles = [json.loads(p.read_text())["profile"] for p in EXAMPLES]
        path.write_text(json.dumps(profiles))
        done = self._manage(str(path))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [recommend(p) for p in profiles]

    def test_invalid_profile_exits_2_with_one_line_and_no_traceback(self):
        done = self._manage("-", stdin=json.dumps([PROFILE, PROFILE, PROFILE, _bad_sessions()]))
        assert done.returncode == 2
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert lines == [
            "recommend: profile 3: field 'tried[0].sessions': must be an integer 0-1000, got 3.5"
        ]

    @pytest.mark.parametrize("stdin", ["{", "42"])
    def test_bad_json_exits_2_with_one_line(self, stdin):
        done = self._manage("-", stdin=stdin)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1
        assert done.stderr.startswith("recommend: ")

    def test_missing_file_exits_2_with_one_line(self, tmp_path):
        done = self._manage(str(tmp_path / "nope.json"))
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"recommend: cannot read {str(tmp_path / 'nope.json')!r}: No such file or directory"
        ]
