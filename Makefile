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

# An extra, not one of the two main commands: the benchmark of QUALITY.md section P (see README).
.PHONY: bench
bench:  ## seed a 10,000-patient clinic on PostgreSQL, time every page, peer and HTTP smoke
	bash bin/bench.sh $(BENCH_ARGS)
