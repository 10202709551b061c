# Two commands do all the set-up: `make run` and `make test`.
# Each creates .venv on first use (Python version from .python-version) and installs the project.

PY_VERSION := $(shell cat .python-version)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= flash-crash
SEED ?= 1

# Find a Python matching .python-version: pyenv if present, else pythonX.Y on PATH.
BASE_PYTHON := $(shell (command -v pyenv >/dev/null 2>&1 && pyenv prefix $(PY_VERSION) >/dev/null 2>&1 && echo "$$(pyenv prefix $(PY_VERSION))/bin/python") || command -v python$(basename $(PY_VERSION)) || command -v python3)

.PHONY: run test test-slow lint bench notebooks lab clean venv chromium docs docs-serve figures figures-full

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "creating $(VENV) with $(BASE_PYTHON)"
	$(BASE_PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/cascade run --scenario $(SCENARIO) --seed $(SEED) --force

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy model agents experiments

test: lint chromium docs
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The dashboard's browser test drives Debian's chromium (Playwright cannot download its own
# here) and never skips: install it where it is missing, through sudo when not root.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "installing chromium with apt-get (the dashboard's browser test needs it)"; \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; }

# The documentation site (mkdocs-material): --strict fails on a broken link, a missing page or
# snippet, or an API reference that does not resolve.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# Every table and figure the docs quote, stamped with the commit and the model's source digest.
# --quick takes minutes on 2 cores; figures-full adds the long experiments (hours).
figures: $(STAMP)
	$(BIN)/python -m experiments.figures --quick

figures-full: $(STAMP)
	$(BIN)/python -m experiments.figures --full

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m slow

# Execute every research notebook in full (not CASCADE_FAST) and save it with its outputs, so
# it renders on GitHub. About 1,800 CPU seconds: some 16 minutes on 2 free cores.
notebooks: $(STAMP)
	$(BIN)/python -m experiments.notebooks notebooks

# Jupyter Lab on notebooks/ (LAB_ARGS=--allow-root when running as root, e.g. in a container)
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks $(LAB_ARGS)

bench: $(STAMP)
	$(BIN)/python -m experiments.perf.benchmark

clean:
	rm -rf $(VENV) runs site .pytest_cache .ruff_cache .mypy_cache
