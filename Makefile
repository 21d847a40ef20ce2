# newsroom: `make run` serves the demo site, `make test` runs every check. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/newsroom
# Tests and the demo run with debug on only where said so: these are development commands.
DEV := DJANGO_DEBUG=true

.PHONY: help install run migrate seed test lint check test-sqlite test-postgres import-bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable . --group dev
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

migrate: $(STAMP) ## Apply database migrations
	$(DEV) $(PY) manage.py migrate --noinput

seed: $(STAMP) ## Load the demo content (idempotent)
	$(DEV) $(PY) manage.py seed_demo

run: $(STAMP) ## Migrate, load demo content and serve the site at http://127.0.0.1:8000/
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py seed_demo
	$(DEV) $(PY) manage.py runserver $(ADDR)

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(STAMP) ## Django system checks and missing migrations
	$(DEV) $(PY) manage.py check
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

test-sqlite: $(STAMP) ## The test suite on SQLite
	$(BIN)/pytest -n auto

test-postgres: $(STAMP) ## The test suite on PostgreSQL (DATABASE_URL, default $(POSTGRES_URL))
	@if $(PY) scripts/postgres_ready.py "$${DATABASE_URL:-$(POSTGRES_URL)}"; then \
		DATABASE_URL="$${DATABASE_URL:-$(POSTGRES_URL)}" $(BIN)/pytest -n auto; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is unreachable and CI=true: failing."; exit 1; \
	else \
		echo "PostgreSQL is unreachable: the PostgreSQL run is SKIPPED (it is required under CI=true)."; \
	fi

test: lint check test-sqlite test-postgres ## Every check: lint, Django checks, the suite on SQLite then PostgreSQL

import-bench: $(STAMP) ## Not in `make test`: import a generated 100,000-post Disqus export on SQLite, then PostgreSQL
	$(PY) scripts/import_bench.py --database sqlite
	@if $(PY) scripts/postgres_ready.py "$${DATABASE_URL:-$(POSTGRES_URL)}"; then \
		$(PY) scripts/import_bench.py --database "$${DATABASE_URL:-$(POSTGRES_URL)}"; \
	else \
		echo "PostgreSQL is unreachable: its import bench is SKIPPED."; \
	fi

clean: ## Delete the virtualenv, the SQLite database and uploaded media
	rm -rf $(VENV) db.sqlite3 media staticfiles
