# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make demo   -- create .venv, install the package, run the workflow on the demo data
#   make test   -- create .venv with every extra, lint, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export MPLBACKEND := Agg

.PHONY: demo test test-min lint format bench clean install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/python -m sklearn_workflow run --out workflow-output

lint: install-test
	$(BIN)/ruff check sklearn_workflow tests benchmarks
	$(BIN)/ruff format --check sklearn_workflow tests benchmarks

format: install-test
	$(BIN)/ruff check --fix sklearn_workflow tests benchmarks
	$(BIN)/ruff format sklearn_workflow tests benchmarks

test: install-test lint
	$(BIN)/python -m pytest

# The same suite on the oldest versions pyproject.toml allows (no lint).
MIN_VENV := .venv-min
$(MIN_VENV)/.installed: pyproject.toml .ci/min-versions.txt
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python -m pip install --quiet -c .ci/min-versions.txt -e ".[all,test]"
	touch $@

test-min: $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/python -m pytest -p no:cacheprovider

bench: install-test
	$(BIN)/python -m pip install --quiet -e ".[all,test,bench]"
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(MIN_VENV) workflow-output build *.egg-info .pytest_cache .ruff_cache
