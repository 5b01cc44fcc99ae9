# The README's commands. `make reports` and `make test` each create .venv/ when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
RUN ?= demo

.PHONY: reports test lint bench clean-reports setup lock lab spark-setup

# The project's Jupyter settings (jupyter_server_config.py: notebooks/ saved without outputs),
# linked where every Jupyter server of .venv/ reads them.
JUPYTER_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.py

setup: $(STAMP) $(JUPYTER_CONFIG)

$(JUPYTER_CONFIG): | $(STAMP)
	mkdir -p $(dir $@)
	ln -sf $(CURDIR)/jupyter_server_config.py $@

# (Re)install when pyproject.toml or the lock changes: exactly the versions the tests passed with.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) -e ".[dev]"
	touch $(STAMP)

## PySpark (--engine spark) in its own environment, .venv-spark/: with PySpark importable, pandera
## imports pyspark.pandas, which the reports of .venv/ should never meet. Same lock, plus the spark extra.
SPARK_VENV := .venv-spark
SPARK_STAMP := $(SPARK_VENV)/.installed

spark-setup: $(SPARK_STAMP)

$(SPARK_STAMP): pyproject.toml $(LOCK)
	test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --constraint $(LOCK) --upgrade pip
	$(SPARK_VENV)/bin/python -m pip install --quiet --constraint $(LOCK) -e ".[dev,spark]"
	touch $(SPARK_STAMP)

## Refresh requirements.lock on purpose: the newest versions pyproject.toml allows, resolved in
## a fresh environment. Then `make test` (it reinstalls from the new lock) and commit the lock.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[dev,spark]"
	{ echo "# Versions the tests passed with. make setup installs exactly these (pip --constraint)."; \
	  echo "# Refresh on purpose with 'make lock', then 'make test', then commit. Do not edit by hand."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -vE "^(setuptools|wheel)=="; } > $(LOCK)
	rm -rf .venv-lock
	@echo "$(LOCK) refreshed: run 'make test' before committing it"

## Every notebook, headless, on the built-in demo company: reports/$(RUN)/index.html
reports: $(STAMP)
	$(BIN)/workbench run --all --out reports/$(RUN)

## The whole test suite (real-data tests skip when ../shared/data/real is absent); the Spark tests
## run in .venv-spark/ (they skip in .venv/, which has no PySpark) and skip there without Java.
## Test files run in parallel (pytest-xdist, one process per core, at most 4; a file stays on one
## process so its server and notebook fixtures are started once): the notebook matrix keeps both
## cores busy only part of the time, the unit tests fill the rest.
TEST_PROCESSES ?= auto
test: setup spark-setup
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --maxprocesses 4 --dist loadfile
	$(SPARK_VENV)/bin/python -m pytest tests/test_spark.py

## JupyterLab on the notebooks; saving never writes outputs into notebooks/
lab: setup
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check workbench tests bench notebooks

## Benchmarks (not part of the tests): see bench/README.md
bench: $(STAMP)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_rfm.py

clean-reports:
	rm -rf reports/*/
