"""`manage.py recommend -`: run the rules engine on profiles read as JSON.

Reads one profile object, or a list of profile objects, from standard input (`-`) or from a
file, and prints the result object (or the list of results) as JSON. Any invalid input exits
with status 2 and one line on standard error, e.g.
`recommend: profile 3: field 'tried[0].sessions': must be an integer 0-1000, got 3.5`
(profile indexes count from 0, like the indexes in field paths). Nothing is printed on standard
output unless every profile is valid.
"""

import json
import sys

from django.core.management.base import BaseCommand

from treatments.rules import ProfileError, recommend

EXIT_INVALID = 2


class _InputError(Exception):
    """Input that cannot be read or parsed; the message is shown after `recommend: `."""


def _reject_duplicate_keys(pairs: list) -> dict:
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _InputError(f"invalid JSON: duplicate key {json.dumps(key)[:60]}")
        obj[key] = value
    return obj


def _reject_constant(name: str):
    raise _InputError(f"invalid JSON: {name} is not a JSON number")


def _parse(text: str) -> object:
    try:
        return json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise _InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise _InputError("invalid JSON: nested too deeply") from None


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise _InputError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    return _decode(data, repr(path))


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _InputError(f"cannot read {where}: not UTF-8 text") from None


def _one_line(message: str) -> str:
    return " ".join(message.split())


def run(stdin_text: str | bytes | None = None, *, path: str = "-") -> tuple[int, str, str]:
    """The command without Django: returns (exit status, standard output, standard error).

    `path` is `-` to use `stdin_text`, or a file to read. Exit status 0 with the JSON result(s)
    on standard output, or 2 with a single line on standard error.
    """
    try:
        if path == "-":
            if stdin_text is None:
                stdin_text = ""
            if isinstance(stdin_text, bytes):
                stdin_text = _decode(stdin_text, "standard input")
            text = stdin_text
        else:
            text = _read(path)
        data = _parse(text)
        if isinstance(data, dict):
            output = _recommend(data, None)
        elif isinstance(data, list):
            output = [_recommend(profile, index) for index, profile in enumerate(data)]
        else:
            raise _InputError("input must be a JSON object (one profile) or a list of profiles")
    except _InputError as exc:
        return EXIT_INVALID, "", f"recommend: {_one_line(str(exc))}\n"
    return 0, json.dumps(output, indent=2) + "\n", ""


def _recommend(profile: object, index: int | None) -> dict:
    try:
        return recommend(profile)
    except ProfileError as exc:
        where = "" if index is None else f"profile {index}: "
        raise _InputError(where + str(exc)) from None


class Command(BaseCommand):
    help = (
        "Run the treatment rules engine on intake profiles (RULES.md §1) read as JSON from "
        "standard input ('-') or a file; print the results (RULES.md §2) as JSON. Invalid input "
        "exits with status 2 and one line on standard error naming the profile (counted from 0) "
        "and the field."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "source",
            nargs="?",
            default="-",
            help="'-' (the default) to read standard input, or the path of a JSON file",
        )

    def handle(self, *args, **options):
        source = options["source"]
        stdin_text = None
        if source == "-":
            stream = getattr(sys.stdin, "buffer", sys.stdin)
            try:
                stdin_text = stream.read()
            except (OSError, UnicodeDecodeError) as exc:
                self.stderr.write(f"recommend: cannot read standard input: {_one_line(str(exc))}")
                sys.exit(EXIT_INVALID)
        code, out, err = run(stdin_text, path=source)
        if out:
            self.stdout.write(out, ending="")
        if code:
            self.stderr.write(err, ending="")
            sys.exit(code)
