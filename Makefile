# Baodao developer commands. `make` (or `make help`) lists them.
#
# Everything runs from the project's own virtual environment in .venv, created with the
# first Python >= 3.12 that scripts/find-python finds (set PYTHON=... to choose one).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.baodao-installed
HOST        ?= 127.0.0.1
PORT        ?= 8000
PYTEST_ARGS ?=
LOCALES     := -l zh_Hans -l en

# Background jobs started beside the web server by `make run`: one Celery worker with the beat
# inside it. Without REDIS_URL/CELERY_BROKER_URL it uses the embedded broker in var/celery, so no
# external service is needed. Set RUN_WORKER= (empty) to serve the site alone.
RUN_WORKER ?= $(VENV)/bin/celery -A portal worker --beat --pool threads --concurrency 2 -l info
export RUN_WORKER

.PHONY: help venv install run test e2e lint fmt messages clean

help: ## Show this help
	@echo "Baodao — make targets:"
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: PYTHON=<interpreter for a new .venv>  PYTEST_ARGS='-k name -x'  HOST=$(HOST) PORT=$(PORT)"
	@echo "Environment: DATABASE_URL (default SQLite in var/), REDIS_URL, CELERY_BROKER_URL — see docs/operations.md"

venv: ## Create .venv (Python >= 3.12) and install the project with dev extras
	@if ! "$(PY)" -c 'import sys; raise SystemExit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		python="$$(scripts/find-python)"; \
		echo "==> creating $(VENV) with $$python ($$("$$python" -V 2>&1))"; \
		rm -rf "$(VENV)"; \
		"$$python" -m venv "$(VENV)"; \
	fi
	@if [ ! -f "$(STAMP)" ] || [ pyproject.toml -nt "$(STAMP)" ]; then \
		echo "==> installing the project into $(VENV)"; \
		"$(PY)" -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
		touch "$(STAMP)"; \
	fi

install: venv ## Same as venv

run: export DJANGO_DEBUG := 1
run: venv ## Migrate, seed demo data and serve on http://127.0.0.1:8000 (Ctrl-C stops all)
	"$(PY)" manage.py migrate --noinput
	"$(PY)" manage.py seed_demo
	@pids=""; \
	trap 'kill $$pids 2>/dev/null || true; wait' EXIT; \
	trap 'exit 130' INT TERM; \
	if [ -n "$${RUN_WORKER:-}" ]; then \
		echo "==> background jobs: $$RUN_WORKER"; \
		$$RUN_WORKER & pids="$$pids $$!"; \
	fi; \
	echo "==> serving on http://$(HOST):$(PORT)/  (Ctrl-C stops everything)"; \
	"$(PY)" manage.py runserver "$(HOST):$(PORT)"

test: venv ## Run the tests with coverage (PYTEST_ARGS='...' passes options through)
	"$(PY)" -m pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

e2e: venv ## Run the browser tests only (headless Chromium)
	"$(PY)" -m pytest tests/e2e $(PYTEST_ARGS)

lint: venv ## Check lint (including the S security rules) and formatting with ruff (changes nothing)
	"$(VENV)/bin/ruff" check .
	"$(VENV)/bin/ruff" format --check .

fmt: venv ## Apply ruff's safe fixes and format the code
	"$(VENV)/bin/ruff" check --fix --exit-zero .
	"$(VENV)/bin/ruff" format .

messages: venv ## Update locale/*.po for zh_Hans and en, then compile the .mo files (committed)
	"$(VENV)/bin/django-admin" makemessages $(LOCALES) --ignore=.venv --ignore=staticfiles --ignore=var
	"$(PY)" manage.py compilemessages --ignore=.venv

clean: ## Remove .venv, var/ (local database!), staticfiles and caches; never source
	rm -rf "$(VENV)" var staticfiles htmlcov .coverage .coverage.* .pytest_cache .ruff_cache test-results build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
