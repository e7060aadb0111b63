# The commands people type. `make serve` and `make test` each build .venv from nothing.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=

.PHONY: serve test lint install clean bench browser

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

test: $(VENV)/.installed-test  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

browser:  ## Chromium from Debian's packages, for the inspector's browser tests (Playwright drives it)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

bench: $(VENV)/.installed-test  ## the benchmarks of docs/performance.md (wrk from Debian's packages)
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python bench/wire.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/organizer.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
