# The README's two commands are `make demo` and `make test`; everything else is optional.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
INTEROP = tests/interop

.PHONY: install demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/badgeservice demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Interop tests against the reference JavaScript stack are required here, never skipped.
test: lint $(INTEROP)/node_modules/.installed
	BADGESERVICE_REQUIRE_INTEROP=1 $(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.credentials

clean:
	rm -rf $(VENV) $(INTEROP)/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
