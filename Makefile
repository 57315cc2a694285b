# Callcenter developer entry points.
#
#   make run        start the app (web server + Celery worker + beat) with demo data, as users see it
#                   (DEBUG off: the app's own error pages, static files through WhiteNoise)
#   make dev        the same with DEBUG on (Django's debug pages, code reloading), for development
#   make test       run the whole test suite (what CI runs, after make lint, through .ci/run)
#   make test-fast  the suite without the browser, worker and schema-fuzz tests, for the edit-test loop
#   make lint       ruff (lint and format), import layers, no model change without a migration
#   make bench      run the benchmarks in bench/*.py, one JSON object per line on stdout
#   make stop       stop the project-local PostgreSQL/Redis, if started
#   make clean      forget the dependency stamps (next run reinstalls requirements)
#
# PostgreSQL and Redis are found or started by tools/services.sh: DATABASE_URL /
# REDIS_URL from the environment win, then servers on the standard local ports,
# then project-local servers (Redis under .local/; PostgreSQL under .local/ too,
# or under /var/lib/callcenter-dev/ when run as root: see tools/services.sh).
# pytest arguments go in PYTEST_ARGS, e.g. make test-fast PYTEST_ARGS="-x scripts".
# Before committing, ruff runs through pre-commit: .venv/bin/pre-commit install

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?=

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

# Each recipe runs as one bash script (.ONESHELL) that stops at the first error,
# so variables such as the exported service URLs carry from line to line.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:

# Find/start the services and export their URLs into the recipe's shell.
# (An assignment first, so that a failure of services.sh stops the recipe:
# a bare eval "$(...)" would swallow it.)
define SERVICES
svc_env="$$(tools/services.sh)"
eval "$$svc_env"
endef

.PHONY: help run dev test test-fast lint bench stop clean services

help:
	@sed -n 's/^#   //p' Makefile

# ------------------------------------------------------------ virtualenv
# Requirements are installed only when a requirements file is newer than its
# stamp, so a second `make test` starts at once. The stamps live inside .venv:
# a fresh venv has none and gets everything installed.
# tools/venv.sh installs python3.X-venv when Debian/Ubuntu lack it (as root), or says what to install.
$(PY):
	@tools/venv.sh "$(PYTHON)" $(VENV)

$(VENV)/.stamp-runtime: requirements.txt | $(PY)
	@echo "==> installing runtime requirements" >&2
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(PY)
	@echo "==> installing development requirements" >&2
	$(PIP) -r requirements-dev.txt
	touch $@

# ------------------------------------------------------------ targets
# Print the service URLs, for a shell of your own: eval "$(make -s services)"
services:
	@tools/services.sh

# Migrations, translations and the demo data once per database, then the three processes.
define START
$(SERVICES)
mkdir -p .local
$(PY) manage.py migrate --noinput
$(PY) manage.py compile_translations
# Demo data only on the first run against this database: one stamp per DATABASE_URL.
seed_stamp=".local/seeded-$$(printf %s "$$DATABASE_URL" | md5sum | cut -c1-12)"
if [ ! -f "$$seed_stamp" ]; then
	$(PY) manage.py seed_demo
	touch "$$seed_stamp"
fi
# exec: the supervisor replaces this shell, so make's signals reach it directly.
PY="$(PY)" PORT="$(PORT)" exec tools/run.sh
endef

# As users see it: DEBUG off, so a wrong address or a crash shows the app's own pages in the
# user's language, never Django's debug page. Plain http on this machine (no HTTPS redirect, no
# secure-only cookies), a secret key made once for this checkout, mail printed to the console.
run: $(VENV)/.stamp-runtime
	mkdir -p .local
	[ -s .local/secret_key ] || $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > .local/secret_key
	export DEBUG=0 SECRET_KEY="$${SECRET_KEY:-$$(cat .local/secret_key)}"
	export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0
	export EMAIL_BACKEND="$${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
	$(PY) manage.py collectstatic --noinput -v 0
	$(START)

# For development: Django's debug pages and the code reloader.
dev: $(VENV)/.stamp-runtime
	export DEBUG=1
	$(START)

test: $(VENV)/.stamp-dev
	@$(SERVICES)
	# Chromium for the browser tests; PgBouncer for the dispatch and outcome tests through a pooler;
	# PostgreSQL's server binaries for the streaming-replica tests (they start a primary and a standby).
	tools/apt-ensure.sh chromium fonts-ipafont-gothic kamailio kamailio-websocket-modules kamailio-autheph-modules pgbouncer postgresql
	$(PY) manage.py compile_translations
	# make itself exits 2 on any failure; it prints pytest's own code in its "Error N" line.
	$(PY) -m pytest $(PYTEST_ARGS)

# No browser (Chromium through Playwright) and no real Celery worker: the markers of pytest.ini.
test-fast: $(VENV)/.stamp-dev
	@$(SERVICES)
	tools/apt-ensure.sh pgbouncer postgresql
	$(PY) manage.py compile_translations
	$(PY) -m pytest -m "not browser and not worker and not fuzz" $(PYTEST_ARGS)

# Every check runs, then the failed ones are named. makemigrations needs the database (it checks
# the migration history), hence the services.
lint: $(VENV)/.stamp-dev
	@$(SERVICES)
	failed=()
	echo "==> ruff check" >&2
	$(VENV)/bin/ruff check . || failed+=("ruff check")
	echo "==> ruff format --check" >&2
	$(VENV)/bin/ruff format --check . || failed+=("ruff format")
	echo "==> import layers (lint-imports, contracts in pyproject.toml)" >&2
	$(VENV)/bin/lint-imports --no-logo || failed+=("lint-imports")
	echo "==> makemigrations --check" >&2
	$(PY) manage.py makemigrations --check --dry-run || failed+=("makemigrations: a model change has no migration")
	if [ $${#failed[@]} -gt 0 ]; then
		printf 'lint: FAILED: %s\n' "$${failed[@]}" >&2
		exit 1
	fi

bench: $(VENV)/.stamp-dev
	@$(SERVICES)
	export DJANGO_SETTINGS_MODULE=callcenter.settings
	# `python bench/x.py` puts bench/ first on sys.path; the project root is needed too.
	export PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}"
	shopt -s nullglob
	failed=()
	ran=0
	for f in bench/*.py; do
		case "$$(basename "$$f")" in _*) continue ;; esac  # _*.py are shared helpers
		echo "==> $$f" >&2
		ran=$$((ran + 1))
		$(PY) "$$f" || failed+=("$$f")
	done
	[ "$$ran" -gt 0 ] || echo "bench: no bench/*.py to run" >&2
	if [ $${#failed[@]} -gt 0 ]; then
		echo "bench: FAILED: $${failed[*]}" >&2
		exit 1
	fi

stop:
	@tools/services.sh stop

clean:
	@rm -f $(VENV)/.stamp-*
