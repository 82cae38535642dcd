"""The clinic's benchmark (QUALITY.md, section P).

Run it with ``make bench`` or ``python -m bench`` (see ``python -m bench --help``). It seeds a
large deterministic clinic (``seed_clinic``), times every page in-process through the WSGI app
with production settings, compares with the peer package django-appointment, runs an HTTP smoke
through gunicorn + wrk, and writes a Markdown and a JSON report under ``bench/results/``.

This package must stay importable without Django (the peer runner imports ``bench.timing`` from
another virtualenv), so nothing is imported here.
"""
