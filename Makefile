# Two commands on a fresh Debian machine: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

# Debian packages the service and its tests need: WeasyPrint (Pango, HarfBuzz subsetting), CJK fonts,
# PDF tools used by tests (pdfsig, pdftotext, qpdf), NSS tools for pdfsig trust, SoftHSM2 for PKCS#11,
# Chromium for browser tests and the render benchmark.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk \
	poppler-utils qpdf libnss3-tools softhsm2 openssl chromium faketime

.PHONY: help setup system-packages venv keys migrate seed run serve test test-sqlite test-postgresql bench clean

help:
	@echo "make run    install what is missing, create dev keys, migrate, seed demo data, serve on :$(PORT)"
	@echo "make test   the whole suite on SQLite, and at the same time the database tests on PostgreSQL when it answers on 127.0.0.1:5432"
	@echo "make bench  the performance scripts in bench/"

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "python venv failed: apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install -q --upgrade pip wheel setuptools

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,hsm]'
	touch $@

venv: $(VENV)/.installed

setup: system-packages venv

keys: setup
	$(BIN)/mediation-svc keys init

migrate: keys
	$(BIN)/mediation-svc db upgrade

seed: migrate
	PORT=$(PORT) $(BIN)/mediation-svc seed-demo  # links and QR codes in the demo documents point at this PORT

run: seed
	@echo ""
	@echo "mediation-svc on http://127.0.0.1:$(PORT)  (API docs: /docs)"
	@echo "notifications dispatcher running beside it: SMS (signing links, one-time codes) and e-mail are printed to this log unless MEDIATION_SMS_GATEWAY / MEDIATION_MAIL_TRANSPORT say otherwise, and listed at http://127.0.0.1:$(PORT)/dev/outbox"
	export PORT=$(PORT) MEDIATION_ENVIRONMENT=$${MEDIATION_ENVIRONMENT:-development}; \
	MEDIATION_MAIL_TRANSPORT=$${MEDIATION_MAIL_TRANSPORT:-log} $(BIN)/mediation-svc notifications dispatch --loop --interval 2 & dispatcher=$$!; \
	  trap 'kill $$dispatcher 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/mediation-svc serve --port $(PORT)

serve:
	$(BIN)/mediation-svc serve --port $(PORT)

# The SQLite and the PostgreSQL runs side by side, each into var/test-logs/, both printed at the end.
test: setup
	@echo "== lint: ruff check mediation_svc (rules in pyproject.toml) =="
	$(BIN)/ruff check mediation_svc
	@echo "== types: mypy mediation_svc (every module; the strictness in pyproject.toml) =="
	$(BIN)/mypy mediation_svc
	@BIN=$(BIN) PG_TEST_URL='$(PG_TEST_URL)' bash tests/run-suites.sh $(PYTEST_ARGS)

test-sqlite: setup
	env -u MEDIATION_TEST_DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-postgresql: setup
	MEDIATION_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest -q -m "db or postgresql_only" \
	  -o cache_dir=.pytest_cache/postgresql $(PYTEST_ARGS)

bench: setup
	@rm -f var/bench-summary.tsv; mkdir -p var
	@for script in bench/[!_]*.py; do echo "== $$script"; \
	  $(BIN)/python $$script > var/bench-out.txt 2>&1; rc=$$?; cat var/bench-out.txt; \
	  cat var/bench-out.txt >> var/bench-summary.tsv; [ $$rc -eq 0 ] || exit 1; done
	@echo "== summary (every target, with the load average when it was measured) =="
	@$(BIN)/python bench/_table.py < var/bench-summary.tsv

clean:
	rm -rf $(VENV) var .pytest_cache
