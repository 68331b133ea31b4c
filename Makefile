# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make demo   -- create .venv, install the package, run the workflow on the demo data
#   make test   -- create .venv with every extra, lint, run the whole test suite
#   make docs   -- build the documentation site into docs/_build/html (offline)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export MPLBACKEND := Agg

.PHONY: demo test test-min lint format bench docs clean install install-test

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

# The site: user guide, gallery (the examples run), API reference, benchmarks,
# changelog. Any Sphinx warning fails the build; then every internal link and
# image of the built pages must resolve (checked offline).
DOCS_BUILD := docs/_build
$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all,test,docs]"
	touch $(VENV)/.installed $@

docs: $(VENV)/.installed-docs
	rm -rf $(DOCS_BUILD) docs/generated docs/auto_examples docs/api.rst
	$(BIN)/python -m sphinx -b html -W --keep-going -q -d $(DOCS_BUILD)/doctrees \
		docs $(DOCS_BUILD)/html
	$(BIN)/python docs/check_links.py $(DOCS_BUILD)/html

clean:
	rm -rf $(VENV) $(MIN_VENV) workflow-output build *.egg-info .pytest_cache .ruff_cache
	rm -rf docs/_build docs/generated docs/auto_examples docs/api.rst
