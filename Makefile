# Everything a fresh machine needs, from Python 3.11+ and make alone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck train bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake serve

test: $(STAMP)
	bash .ci/system-deps.sh
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

train: $(STAMP)
	$(BIN)/intake train triage/data/labelled/*.jsonl

bench: $(STAMP)
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/pii.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
