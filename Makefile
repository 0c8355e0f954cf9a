# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-test postgres browser lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e .

setup-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'

# The store tests need a PostgreSQL server binary (Debian's package); the tests start it themselves.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# The console's browser tests drive Debian's chromium (Playwright pointed at /usr/bin/chromium; no browser
# download) and need a CJK font to render Chinese. Installed only when missing.
browser:
	@(test -x /usr/bin/chromium && fc-list :lang=zh 2>/dev/null | grep -qi "noto") || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

run: setup
	$(BIN)/python app.py

test: setup-test postgres browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/complaints check policies.yaml
	$(BIN)/complaints fmt --check policies.yaml
	$(BIN)/complaints lint policies.yaml
	$(BIN)/complaints test policies.yaml --tests policies.tests.yaml --require-coverage --min-coverage 100
	$(BIN)/python -m pytest -q

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: setup-test
	$(BIN)/python -m bench.engine
