# The two commands (see README): `make run` and `make test`.
.PHONY: run test lint format messages compile-messages

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

messages:  ## collect translatable text into locale/es (translate it, then `make compile-messages`)
	.venv/bin/python manage.py makemessages -l es --add-location=file --no-obsolete \
	  --ignore=.venv --ignore=bench --ignore=tests --ignore=static/vendor --ignore=var \
	  --ignore=test-artifacts --ignore=node_modules

compile-messages:  ## compile locale/*/django.po into the committed .mo (needs GNU gettext)
	.venv/bin/python manage.py compilemessages --ignore=.venv
