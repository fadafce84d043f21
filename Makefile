# Two commands, each complete on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test setup browser bench clean

run: setup
	$(PY) app.py

test: setup browser
	TETHER_TEST_POSTGRES_URL="$$(scripts/ensure-postgres.sh)" \
	TETHER_CHROMIUM="$(CHROMIUM)" TETHER_SCHEDULER=off \
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP) node_modules/.package-lock.json

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  echo "installing Chromium from Debian's packages…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

bench: setup
	for script in bench/*_bench.py; do $(PY) -m bench.$$(basename $$script .py); done

clean:
	rm -rf $(VENV) node_modules .pytest_cache
