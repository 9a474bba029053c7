# The README's two commands are `make demo` and `make test`; everything else is optional.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
INTEROP = tests/interop

.PHONY: install lock audit demo test test-sqlite lint bench clean

# Exactly the locked dependencies (requirements.lock, with hashes), then the project itself.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund
	touch $@

install: $(BIN)/.installed

# Refresh requirements.lock from pyproject.toml (newest releases that fit); commit it.
lock:
	.ci/lock

# Known vulnerabilities in the locked dependencies: fails unless each is accepted in
# .ci/audit-exceptions.toml with a reason and a date (exit 3: no vulnerability service
# could be reached, so nothing was audited).
audit: $(BIN)/.installed
	$(BIN)/python .ci/audit.py

demo: $(BIN)/.installed
	$(BIN)/badgeservice demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# PostgreSQL for the second pass of the database tests (trust auth on this machine).
TEST_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

# Interop tests against the reference JavaScript stack are required here, never skipped.
# The whole suite runs on SQLite, then every database test again on PostgreSQL.
test: lint $(INTEROP)/node_modules/.installed
	BADGESERVICE_REQUIRE_INTEROP=1 $(BIN)/pytest
	BADGESERVICE_REQUIRE_INTEROP=1 BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/pytest -m db

test-sqlite: lint $(INTEROP)/node_modules/.installed
	BADGESERVICE_REQUIRE_INTEROP=1 $(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.startup
	$(BIN)/python -m benchmarks.credentials
	$(BIN)/python -m benchmarks.json_reader
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.ingest --warmup 32
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.reserve

clean:
	rm -rf $(VENV) .venv-tools $(INTEROP)/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
