# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8192
# The settings are production-safe by default (DEBUG off: SECRET_KEY, DATABASE_URL and REDIS_URL
# required). These targets are development, so they turn DEBUG on unless the environment says.
export DEBUG ?= true
# Migration and seed chatter only with VERBOSE=1.
VERBOSE ?=
QUIET := $(if $(VERBOSE),,-v 0)
Q := $(if $(VERBOSE),,@)

.PHONY: run serve test lint format contract schema migrate seed worker beat bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(Q)$(PY) -m pip install --quiet -r requirements-dev.txt
	$(Q)touch $(STAMP)

migrate: $(STAMP)
	$(Q)$(PY) manage.py migrate --noinput $(QUIET)

seed: migrate
	$(Q)$(PY) manage.py seed_plans $(QUIET)
	$(Q)$(PY) manage.py seed_demo $(QUIET)

# Seeds the demo itself and ends with the banner (URLs, logins, the Server API key when created,
# a curl to try). NEW_KEY=1 replaces the demo key; VERBOSE=1 shows every step.
run: migrate
	$(Q)$(PY) manage.py seed_plans $(if $(VERBOSE),,>/dev/null)
	$(Q)DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py rundemo $(HOST):$(PORT) $(if $(NEW_KEY),--new-key)

# The production process set from the Procfile (gunicorn, Celery workers, beat) with DEBUG off, against
# DATABASE_URL and REDIS_URL (it names what is missing). SIGTERM / Ctrl-C drains. See README, Production.
serve: $(STAMP)
	$(Q)HOST=$(HOST) PORT=$(PORT) DEBUG=false exec $(PY) -m ringnity.ops.serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports  # the layer contracts in pyproject.toml

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

schema: $(STAMP)
	mkdir -p var
	$(PY) manage.py spectacular --format openapi-json --file var/schema.json

contract: schema
	$(PY) tools/contract_coverage.py docs/contract/ringnity-openapi.json var/schema.json

worker: $(STAMP)
	$(VENV)/bin/celery -A ringnity worker -Q celery,webhooks --loglevel=info

beat: $(STAMP)
	$(VENV)/bin/celery -A ringnity beat --loglevel=info

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
