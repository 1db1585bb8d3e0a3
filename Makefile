# fapai — the two Quick start commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: install install-dev run serve demo test test-postgres test-sqlite lint typecheck checks audit prodlike messages screenshots clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "fapai needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv

$(VENV)/.installed-base: requirements/base.lock | $(BIN)/python
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/base.lock
	@rm -f $(VENV)/.installed-dev; touch $@

$(VENV)/.installed-dev: requirements/dev.lock | $(BIN)/python
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/dev.lock
	@touch $(VENV)/.installed-base $@

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, load the demo and serve web + clock on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_valuation_demo
	$(BIN)/python manage.py load_bidding_demo
	$(BIN)/python manage.py load_distribution_demo
	PORT=$(PORT) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile.dev

## make test: install the dev tools and run the whole suite (PostgreSQL + Redis when reachable, then SQLite)
# Two workers (pytest-xdist; each its own database, Redis prefix and media): half the wall time on two
# cores, since many tests wait on real servers. The authorisation matrix, the anonymity proof and the
# fuzzers prove the production configuration and run in the first pass only.
TEST_WORKERS ?= 2
test: install-dev
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
	DJANGO_SETTINGS_MODULE=config.settings.test FAPAI_TEST_DB=sqlite FAPAI_TEST_DB_NAME=sqlite \
	  $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not postgres" --ignore=tests/security

checks: install-dev
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test FAPAI_TEST_DB=sqlite $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) FAPAI_IDENTITY_KEY=$$(head -c 48 /dev/urandom | base64) \
	  DJANGO_ALLOWED_HOSTS=fapai.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

## make prodlike: production settings on this machine: two daphne processes behind a proxy, the clock, on http://127.0.0.1:8000
prodlike: install
	$(BIN)/python scripts/prodlike.py --port $(PORT)

## make audit: known vulnerabilities in the locked dependencies (pip-audit, offline safety-db, PyPI JSON)
audit: install-dev
	$(BIN)/python scripts/audit_deps.py

messages: install-dev
	for app in core auction valuation settlement bidding; do (cd $$app && PYTHONPATH=$(CURDIR) ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete); done
	$(BIN)/python manage.py compilemessages --ignore=.venv

## make screenshots: photograph the main pages with the system Chromium (docs/screenshots/)
screenshots: install-dev
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
