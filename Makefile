# The two commands of the README: `make run` and `make test` (which builds the manual strictly: mkdocs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-test postgres browser lint bench migration docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e '.[docs]'

setup-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'

# The store tests need PostgreSQL's server binaries (Debian's package, or PG_BIN); the tests start the
# server themselves. Installing the package needs root; without root and binaries the PostgreSQL tests
# are skipped (and fail under CI=true).
postgres:
	@if [ -n "$$PG_BIN" ] && [ -x "$$PG_BIN/initdb" ]; then :; \
	elif ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
	  echo "make postgres: no PostgreSQL server binaries, and installing Debian's package needs root:"; \
	  echo "  run 'sudo make postgres' once, or set PG_BIN=/path/to/postgresql/bin;"; \
	  echo "  without them the PostgreSQL tests are skipped (CI=true fails them instead)."; \
	fi

# The console's browser tests drive Debian's chromium (Playwright pointed at /usr/bin/chromium; no browser
# download) and need a CJK font to render Chinese. Installed only when missing.
browser:
	@(test -x /usr/bin/chromium && fc-list :lang=zh 2>/dev/null | grep -qi "noto") || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# The manual (docs/, mkdocs.yml) into site/, which `make run` serves at /docs/. Needs the test extra (mkdocs).
docs: setup-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The manual as `make run` serves it: rebuilt when a page, the configuration or the changelog changed.
site/index.html: mkdocs.yml CHANGELOG.md $(shell find docs -type f -not -path '*/__pycache__/*')
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --quiet

# Another port: PORT=9000 make run. Serves the API, the console (/console/) and the manual (/docs/).
run: setup site/index.html
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
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/python -m pytest -q

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: setup-test
	$(BIN)/python -m bench.engine

# A new revision of the store's schema from the change to store/tables.py (CONTRIBUTING.md): the
# revisions so far are run on a scratch SQLite file, then Alembic writes what store/tables.py adds.
MIGRATION_DB := var/migration-head.db
migration: setup-test
	@test -n "$(NAME)" || { echo 'usage: make migration NAME="add the webhook outbox"'; exit 2; }
	@mkdir -p var && rm -f $(MIGRATION_DB)
	$(BIN)/alembic -x url=sqlite:///$(MIGRATION_DB) upgrade head
	$(BIN)/alembic -x url=sqlite:///$(MIGRATION_DB) revision --autogenerate -m "$(NAME)" \
	  --rev-id $$($(BIN)/python -c "from store.schema import head_revision; print(f'{int(head_revision()) + 1:04d}')")
	@rm -f $(MIGRATION_DB)
