# The README's two commands are `make demo` and `make test`; everything else is optional.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
INTEROP = tests/interop
OIDC = tests/oidc
BROWSER = tests/browser
NODE_TESTS = $(INTEROP)/node_modules/.installed $(OIDC)/node_modules/.installed $(BROWSER)/node_modules/.installed
# The JavaScript stacks, the OpenID Provider and the browser tests are required here,
# never skipped (Chromium is Debian's, installed by .ci/run; Playwright never downloads one).
REQUIRE = BADGESERVICE_REQUIRE_INTEROP=1 BADGESERVICE_REQUIRE_OP=1 BADGESERVICE_REQUIRE_BROWSER=1

.PHONY: install lock audit demo test test-sqlite lint bench translations clean

# Exactly the locked dependencies (requirements.lock, with hashes), then the project itself.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund
	touch $@

$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	npm ci --prefix $(OIDC) --no-audit --no-fund
	touch $@

$(BROWSER)/node_modules/.installed: $(BROWSER)/package.json $(BROWSER)/package-lock.json
	npm ci --prefix $(BROWSER) --no-audit --no-fund
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

# pytest-xdist workers per pass: one per CPU (`make test WORKERS=0` runs in one process).
WORKERS ?= auto

# The whole suite runs on SQLite, then every database test again on PostgreSQL; each pass
# on every core, each worker on its own scratch database. Both include the fuzz tests.
test: lint $(NODE_TESTS)
	$(REQUIRE) $(BIN)/pytest -n $(WORKERS)
	$(REQUIRE) BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/pytest -n $(WORKERS) -m db

test-sqlite: lint $(NODE_TESTS)
	$(REQUIRE) $(BIN)/pytest -n $(WORKERS)

# The pages' messages: extract from the sources, merge into fi, sv and en, compile. Then
# translate what is new in each .po file (tests/web/test_translations.py fails until then)
# and run it again to compile.
translations: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o badgeservice/web/translations/messages.pot .
	$(BIN)/pybabel update -i badgeservice/web/translations/messages.pot \
		-d badgeservice/web/translations --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/pybabel compile -d badgeservice/web/translations --statistics

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.startup
	$(BIN)/python -m benchmarks.credentials
	$(BIN)/python -m benchmarks.vc_jwt
	$(BIN)/python -m benchmarks.json_reader
	$(BIN)/python -m benchmarks.public_page
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.ingest --warmup 32
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.reserve
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.learner_pages
	BADGESERVICE_TEST_DATABASE_URL=$(TEST_POSTGRES) $(BIN)/python -m benchmarks.team_pages

clean:
	rm -rf $(VENV) .venv-tools $(INTEROP)/node_modules $(OIDC)/node_modules $(BROWSER)/node_modules \
		$(BROWSER)/screenshots .pytest_cache .mypy_cache .ruff_cache .hypothesis
