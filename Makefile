# The README's commands. `make reports` and `make test` each create .venv/ when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN ?= demo

.PHONY: reports test lint bench clean-reports setup

setup: $(STAMP)

# (Re)install when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Every notebook, headless, on the built-in demo company: reports/$(RUN)/index.html
reports: $(STAMP)
	$(BIN)/workbench run --all --out reports/$(RUN)

## The whole test suite (real-data tests skip when ../shared/data/real is absent)
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check workbench tests bench notebooks

## Benchmarks (not part of the tests): see bench/README.md
bench: $(STAMP)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_rfm.py

clean-reports:
	rm -rf reports/*/
