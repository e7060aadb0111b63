# The commands people type. `make serve` and `make test` each build .venv from nothing.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=

.PHONY: serve test lint install clean bench quickstart-check compatibility browser postgres postgres-installed test-postgresql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when the project's metadata changes.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

serve: $(VENV)/.installed  ## start the emulator on its defaults (ARGS="--port 0 --store :memory:" to change)
	$(BIN)/ews-propose serve $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# The JavaScript Graph SDK for tests/test_graph_js.py, from npm's registry (lock file pinned).
tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	if command -v npm >/dev/null; then cd tests/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: tests/test_graph_js.py will be skipped"; fi

# ews-javascript-api (the EWS Managed API's JavaScript port) for tests/test_ews_js.py.
tests/ews_js/node_modules/.installed: tests/ews_js/package.json tests/ews_js/package-lock.json
	cd tests/ews_js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

test: $(VENV)/.installed-test tests/js/node_modules/.installed tests/ews_js/node_modules/.installed  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# PostgreSQL from Debian's packages: the server binaries only (tests/pg_server.py makes
# its own throwaway cluster as the postgres user, on a temporary directory and a free port).
POSTGRES_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
postgres-installed:
	@if [ -z "$(POSTGRES_INITDB)" ] && ! command -v initdb >/dev/null; then \
	  echo "PostgreSQL is missing; installing Debian's package: apt-get install -y postgresql (needs root)"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)); fi

postgres: $(VENV)/.installed-test postgres-installed  ## a throwaway PostgreSQL server for --store (prints its URL; Ctrl-C stops it)
	$(BIN)/python -m tests.pg_server $(ARGS)

test-postgresql: $(VENV)/.installed-test tests/js/node_modules/.installed tests/ews_js/node_modules/.installed postgres-installed  ## the whole test suite on PostgreSQL
	$(BIN)/python -m pytest --store-backend=postgresql $(PYTEST_ARGS)

browser:  ## Chromium from Debian's packages, for the inspector's browser tests (Playwright drives it)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)


# The README's first command on a fresh copy of the tree and a fresh HOME (slow: a new venv).
quickstart-check: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m quickstart tests/test_quickstart.py $(PYTEST_ARGS)

bench: $(VENV)/.installed-test  ## the benchmarks of docs/performance.md (needs wrk, from Debian's packages)
	@command -v wrk >/dev/null || { echo "make bench: wrk (an HTTP load generator) is missing;" \
	  "installing Debian's package: apt-get install -y wrk (needs root)"; apt-get install -y wrk; }
	$(BIN)/python bench/wire.py
	$(BIN)/python bench/hot_path.py --profile
	$(BIN)/python bench/fixture_start.py
	$(BIN)/python bench/first_requests.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/organizer.py

compatibility: $(VENV)/.installed-test  ## exchangelib's own suite against the emulator -> docs/compatibility.md
	$(BIN)/python -m tests.exchangelib_suite $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
