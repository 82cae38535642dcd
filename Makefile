# The two commands (see README): `make run` and `make test`.
.PHONY: run test lint format

run:  ## set up, load the demo clinic, run web + worker + beat (SQLite, embedded broker)
	bash bin/run.sh

test:  ## set up (PostgreSQL, Redis, Chromium), run ruff and the whole suite on PostgreSQL
	bash bin/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .
