# newsroom: `make run` serves the demo site, `make test` runs every check. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Two install stamps: running the site needs the project's dependencies only; the checks add the dev group.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
PORT ?= 8000
ADDR ?= 127.0.0.1:$(PORT)
# The development site's address, for the links it puts in e-mail (real environment variables win over .env).
BASE_URL := http://$(ADDR)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/newsroom
# The checks run with debug on only where said so (a development checkout gets it from the .env that `make run` writes).
DEV := DJANGO_DEBUG=true
# The real-client tests drive Debian's Chromium (Playwright never downloads a browser here).
CHROMIUM := /usr/bin/chromium
NODE_STAMP := node_modules/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo -n)

.PHONY: help install catalogues messages tools run worker cron migrate seed test lint check test-sqlite test-postgres import-bench clean bench \
	bench-ours bench-peer bench-editor bench-queue bench-archive bench-megathread bench-live bench-api load backup backup-check search-bench lockwait \
	stack stack-down load-stack

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(RUN_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable .
	touch $@

$(STAMP): $(RUN_STAMP)
	$(PY) -m pip install --quiet --editable . --group dev
	touch $@

install: $(STAMP) catalogues ## Create .venv and install the project with its dev tools

# The translation catalogues: newsroom/locale/*/LC_MESSAGES/*.po are the source, their .mo files are built here (Debian's
# gettext: `make tools` installs it).
catalogues: $(RUN_STAMP) ## Compile the translation catalogues (.po into .mo)
	$(DEV) $(PY) manage.py compilemessages

messages: $(RUN_STAMP) ## Update the catalogues from the code (makemessages), then translate the new entries and compile
	$(DEV) $(PY) manage.py makemessages --domain django
	$(DEV) $(PY) manage.py makemessages --domain djangojs
	$(DEV) $(PY) manage.py compilemessages

# A development checkout's settings: written once from .env.example (debug on), then the developer's to change,
# so `.venv/bin/python manage.py <command>` works without exports. Production never reads this file's values.
.env:
	cp .env.example $@
	@echo "Wrote .env with development settings (from .env.example)."

# Only what is missing, so a second `make test` installs nothing. Without root (and no sudo) the browser and validator
# tests skip saying what is missing; under CI=true (root) a failed install fails the run.
tools: ## Install what the real-server tests need from Debian (Chromium, Java, Node.js, nginx, Redis, Varnish, PostgreSQL 15, PgBouncer, gettext) and npm
	@missing=""; \
	test -x $(CHROMIUM) || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	test -x /usr/sbin/varnishd || missing="$$missing varnish"; \
	test -n "$$(find /usr/lib -name libvmod_xkey.so -print -quit 2>/dev/null)" || missing="$$missing varnish-modules"; \
	test -x /usr/lib/postgresql/15/bin/pg_basebackup || missing="$$missing postgresql-15"; \
	test -x /usr/sbin/pgbouncer || missing="$$missing pgbouncer"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian:$$missing"; \
		if ! { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; then \
			if [ "$$CI" = "true" ]; then echo "Could not install$$missing and CI=true: failing."; exit 1; fi; \
			echo "Could not install$$missing: the tests that need it are SKIPPED (they are required under CI=true)."; \
		fi; \
	fi
	@$(MAKE) --no-print-directory $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

migrate: $(RUN_STAMP) .env ## Apply database migrations
	$(PY) manage.py migrate --noinput

seed: $(RUN_STAMP) .env ## Load the demo content (idempotent)
	NEWSROOM_BASE_URL=$(BASE_URL) $(PY) manage.py seed_demo

# Tasks (e-mail, image renditions) run at once inside the request here: .env sets no TASKS_URL. With TASKS_URL set to
# a Redis, run `make worker` beside it, as docker compose and production do (docs/deployment.md).
run: $(RUN_STAMP) .env catalogues ## Migrate, load the demo and serve http://127.0.0.1:8000/ (another port: PORT=8101)
	$(PY) manage.py migrate --noinput
	NEWSROOM_BASE_URL=$(BASE_URL) $(PY) manage.py seed_demo
	NEWSROOM_BASE_URL=$(BASE_URL) $(PY) manage.py runserver $(ADDR)

worker: $(RUN_STAMP) .env ## An RQ worker for the tasks on TASKS_URL (a Redis): what docker compose's worker service runs
	NEWSROOM_BASE_URL=$(BASE_URL) $(PY) manage.py rqworker --with-scheduler --job-class django_tasks_rq.Job default

cron: $(RUN_STAMP) .env ## RQ's cron scheduler: enqueues newsroom/cron.py's tasks on TASKS_URL for the workers (one per site)
	$(PY) manage.py rqcron newsroom.cron

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(STAMP) ## Django system checks and missing migrations
	$(DEV) $(PY) manage.py check
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

test-sqlite: $(STAMP) catalogues ## The test suite on SQLite
	env -u DATABASE_URL $(BIN)/pytest -n auto

test-postgres: $(STAMP) catalogues ## The test suite on PostgreSQL (DATABASE_URL, default $(POSTGRES_URL))
	@if $(PY) scripts/postgres_ready.py "$${DATABASE_URL:-$(POSTGRES_URL)}"; then \
		DATABASE_URL="$${DATABASE_URL:-$(POSTGRES_URL)}" $(BIN)/pytest -n auto; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is unreachable and CI=true: failing."; exit 1; \
	else \
		echo "PostgreSQL is unreachable: the PostgreSQL run is SKIPPED (it is required under CI=true)."; \
	fi

test: tools lint check test-sqlite test-postgres ## Every check: lint, Django checks, the suite on SQLite then PostgreSQL

import-bench: $(STAMP) ## Not in `make test`: import a generated 100,000-post Disqus export on SQLite, then PostgreSQL
	$(PY) scripts/import_bench.py --database sqlite
	@if $(PY) scripts/postgres_ready.py "$${DATABASE_URL:-$(POSTGRES_URL)}"; then \
		$(PY) scripts/import_bench.py --database "$${DATABASE_URL:-$(POSTGRES_URL)}"; \
	else \
		echo "PostgreSQL is unreachable: its import bench is SKIPPED."; \
	fi

search-bench: $(STAMP) ## Not in `make test`: the search page over 100,000 generated stories, SQLite then PostgreSQL
	$(PY) scripts/search_bench.py --database sqlite
	@if $(PY) scripts/postgres_ready.py "$${DATABASE_URL:-$(POSTGRES_URL)}"; then \
		$(PY) scripts/search_bench.py --database "$${DATABASE_URL:-$(POSTGRES_URL)}"; \
	else \
		echo "PostgreSQL is unreachable: its search bench is SKIPPED."; \
	fi

# Backups (docs/deployment.md): a custom-format pg_dump, and the proof that the newest one restores.
BACKUP_DIR ?= backups

backup: $(RUN_STAMP) ## pg_dump the PostgreSQL database (DATABASE_URL, default $(POSTGRES_URL)) into backups/
	mkdir -p $(BACKUP_DIR)
	pg_dump --format=custom --no-owner --dbname="$${DATABASE_URL:-$(POSTGRES_URL)}" \
		--file="$(BACKUP_DIR)/newsroom-$$(date -u +%Y%m%dT%H%M%SZ).dump"

backup-check: $(RUN_STAMP) ## Not in `make test`: restore the newest dump in backups/ into a scratch database and check it
	$(PY) scripts/backup_check.py --dumps $(BACKUP_DIR) --server "$${DATABASE_URL:-$(POSTGRES_URL)}"

# ------------------------------------------------------------------------------
# Benchmarks (issues 6 and 13): never part of `make test`. Each uses databases of its own (a temporary SQLite file, or
# PostgreSQL databases named $(BENCH_DB_PREFIX)_*, newsroom_bench_* by default), dropped afterwards; results go to
# bench/results/. tests/bench runs the same code at a tiny size.
# ------------------------------------------------------------------------------
BENCH_VENV := .bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed
# The maintenance database of the PostgreSQL server the benchmarks create theirs on.
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
XTD_VERSION ?= 2.10.13
PG_UP = $(PY) scripts/postgres_ready.py "$(BENCH_POSTGRES_URL)"

# The peer runs from PyPI in a virtualenv of its own (with matplotlib for the chart); nothing of it is committed.
$(BENCH_STAMP): Makefile
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet "django>=5.2,<5.3" "django-comments-xtd==$(XTD_VERSION)" \
		"django-environ>=0.12" "psycopg[binary]>=3.2" "matplotlib>=3.8"
	touch $(BENCH_STAMP)

bench-ours: $(STAMP) ## Our pages, the shared-cache check, posting and the story lock, on SQLite then PostgreSQL
	$(PY) -m bench.run --db sqlite --out bench/results/ours-sqlite.json
	@if $(PG_UP); then BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" $(PY) -m bench.run --db postgres --out bench/results/ours-postgres.json; \
	else echo "PostgreSQL is unreachable: its benchmark is SKIPPED (and its old results dropped)."; \
		rm -f bench/results/ours-postgres.json; fi

bench-peer: $(STAMP) $(BENCH_STAMP) ## django-comments-xtd from PyPI, same data and measurements, then the tables
	@dbs=sqlite; if $(PG_UP); then dbs=sqlite,postgres; fi; \
	BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" $(BENCH_PY) -m bench.peer --db $$dbs --out bench/results/peer.json
	$(BENCH_PY) -m bench.report

bench: bench-ours bench-peer ## Benchmark ours and the peer side by side: tables, targets, JSON and chart in bench/results/

# A newsroom's archive (issue 15): two PostgreSQL databases, ARCHIVE_POSTGRES_URL's name + _small / _large, kept
# between runs (building the large one takes minutes); REBUILD=1 builds them afresh. Prints the table, beside the
# figures of bench/results/archive-before.json (the project before issue 15) when it is there.
ARCHIVE_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/newsroom_archive
bench-archive: $(STAMP) ## Not in `make test`: every page and write of issue 15, small database against the archive
	@$(PY) scripts/postgres_ready.py "$(ARCHIVE_POSTGRES_URL)" || { echo "PostgreSQL is unreachable: bench-archive needs it."; exit 1; }
	ARCHIVE_POSTGRES_URL="$(ARCHIVE_POSTGRES_URL)" $(PY) -m bench.archive $(if $(REBUILD),--rebuild) \
		--baseline bench/results/archive-before.json

bench-megathread: $(STAMP) ## Not in `make test`: a reply's cost at 10 to 20,000 replies in its thread, and the cap
	@$(PG_UP) || { echo "PostgreSQL is unreachable: bench-megathread needs it."; exit 1; }
	BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" CACHE_URL=redis://127.0.0.1:6379/13 $(PY) -m bench.megathread \
		--out bench/results/megathread.json

bench-live: $(STAMP) ## Not in `make test`: the live "N new comments" poll at a story of 50,000 comments, uncached
	@$(PG_UP) || { echo "PostgreSQL is unreachable: bench-live needs it."; exit 1; }
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" CACHE_URL=redis://127.0.0.1:6379/13 $(PY) -m bench.live \
		--edge --out bench/results/live.json

bench-api: $(STAMP) ## Not in `make test`: the API's first page of threads at N=100 and 10,000, SQLite then PostgreSQL
	$(PY) -m bench.api --db sqlite --out bench/results/api-sqlite.json
	@if $(PG_UP); then BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" $(PY) -m bench.api --db postgres \
		--out bench/results/api-postgres.json; \
	else echo "PostgreSQL is unreachable: its API bench is SKIPPED."; fi

bench-editor: $(STAMP) ## Not in `make test`: the story editor's script bytes and load time, against `make run`'s site
	$(PY) -m bench.editor_cost --base $(BASE_URL)

bench-queue: $(STAMP) ## Not in `make test`: posting with SMTP up/down/slow, a 24 MP upload, e-mail across a worker restart
	@db=sqlite; if $(PG_UP); then db=postgres; fi; \
	BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" $(PY) -m bench.queue --db $$db --out bench/results/queue.json

lockwait: $(STAMP) ## Not in `make test`: another story's page while a hot story is locked, sync workers vs deploy/gunicorn.conf.py
	$(PY) -m bench.lockwait

load: $(STAMP) ## gunicorn (2 sync workers) on 127.0.0.1 and wrk: requests/s, p50/p95, errors; uncached and cached
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@db=sqlite; if $(PG_UP); then db=postgres; fi; \
	BENCH_POSTGRES_URL="$(BENCH_POSTGRES_URL)" $(PY) -m bench.load --db $$db --out bench/results/load.json
	@if [ -x $(BENCH_PY) ]; then $(BENCH_PY) -m bench.report; fi

# The scale-out stack (issue 17, docs/deployment.md) on loopback: PostgreSQL primary and streaming replica (clusters of
# its own in .stack/), PgBouncer, two gunicorn nodes, an RQ worker and Varnish; Redis as running here.
stack: $(STAMP) tools ## Start the whole scale-out stack here and print its addresses (`make stack-down` stops it)
	$(PY) scripts/stack.py up

stack-down: ## Stop exactly what `make stack` started, and remove .stack/
	$(PY) scripts/stack.py down

load-stack: $(STAMP) tools ## Not in `make test`: breaking news against the stack (wrk and posting at 500/min, 3 min)
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(PY) -m bench.load_stack $(if $(DURATION),--duration $(DURATION)) $(if $(RATE),--rate $(RATE))

clean: ## Delete the virtualenvs, node_modules, the SQLite database and uploaded media
	rm -rf $(VENV) $(BENCH_VENV) node_modules db.sqlite3 media staticfiles
