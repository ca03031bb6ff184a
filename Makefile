# The two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The second test run: PostgreSQL (row locks are real there) and the Redis channel layer.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/supervision
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-sqlite test-postgres bench lint sysdeps install install-test messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

sysdeps:
	@PYTHON=$(PYTHON) scripts/sysdeps.sh

install: sysdeps $(VENV)/.installed

install-test: sysdeps $(VENV)/.installed-test

# tick (cycles, lights, reminders) runs every minute in the background, as cron does in
# production, and one task worker (db_worker: documents, imports, outgoing messages) beside it;
# the demo's group robots and webhook point at receive_messages on 127.0.0.1:8025, which prints
# what they would have received (e-mails print to the console). All stop with the server.
# The settings default to production; this target is the development server, so it says so.
run: export DEBUG = 1
# Links in the e-mails and robot messages point at this server.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py tick
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@(while sleep 60; do $(BIN)/python manage.py tick; done) & TICK=$$!; \
	$(BIN)/python manage.py db_worker --queue-name '*' --no-reload & WORKER=$$!; \
	$(BIN)/python manage.py receive_messages --port 8025 & RECEIVER=$$!; \
	trap 'kill $$TICK $$WORKER $$RECEIVER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# The state-machine property test (tests/test_state_machine_property.py) walks 1,000 random
# campaigns on SQLite; it is single-threaded and never meets a row lock, so the PostgreSQL run
# walks fewer, to keep `make test` within its quarter of an hour on two cores.
TEST_POSTGRES_SM_EXAMPLES ?= 300
# Both runs at once: each is one Python process, and the machine has two cores. The PostgreSQL
# run's output is kept in var/ and printed after the SQLite run's; either failing fails the target.
test: install-test lint
	@mkdir -p var; reachable=$$($(BIN)/python scripts/services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)) || exit 1; \
	if [ "$$reachable" = yes ]; then \
		echo "Running the suite on SQLite and, beside it, on PostgreSQL with the Redis channel layer"; \
		( DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SM_EXAMPLES=$(TEST_POSTGRES_SM_EXAMPLES) \
			$(BIN)/python -m pytest -p no:cacheprovider \
			> var/test-postgres.log 2>&1; echo $$? > var/test-postgres.rc ) & PG=$$!; \
	else \
		echo "PostgreSQL or Redis not reachable: only the SQLite run (set TEST_DATABASE_URL / TEST_REDIS_URL)."; \
	fi; \
	$(BIN)/python -m pytest; sqlite=$$?; \
	if [ "$$reachable" = yes ]; then \
		wait $$PG; echo; echo "=== PostgreSQL + Redis run ==="; cat var/test-postgres.log; pg=$$(cat var/test-postgres.rc); \
	else pg=0; fi; \
	echo "SQLite run: exit $$sqlite; PostgreSQL run: exit $$pg"; \
	[ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]

test-sqlite:
	$(BIN)/python -m pytest

test-postgres:
	@reachable=$$($(BIN)/python scripts/services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)) || exit 1; \
	if [ "$$reachable" = yes ]; then \
		echo "Running the suite again on PostgreSQL and the Redis channel layer"; \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest; \
	else \
		echo "PostgreSQL or Redis not reachable: skipped the second run (set TEST_DATABASE_URL / TEST_REDIS_URL)."; \
	fi

# Measured as deployed: PostgreSQL, and the Redis channel layer carrying the live pushes.
bench: install-test
	@reachable=$$(CI= $(BIN)/python scripts/services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)); \
	if [ "$$reachable" = yes ]; then REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/run.py; \
	else echo "Redis not reachable: pushes go through the in-memory layer."; $(BIN)/python bench/run.py; fi

# Needs GNU gettext (Debian package gettext). The compiled catalog is committed, so running
# the app never needs it.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --no-wrap -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=1 $(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
