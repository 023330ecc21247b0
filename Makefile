# The one entry point: `make venv | run | test | lint | fmt | bench | clean`.
# CI (.ci/run) calls `make lint` and `make test` on a fresh clone.

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv run test lint fmt bench corpus clean

venv: $(STAMP)

# Reinstall only when pyproject.toml changes (or the venv is missing).
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/claims db upgrade
	$(BIN)/claims serve --load-examples examples/claims

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy engine audit llm_assist api
	$(BIN)/claims rules schema --check
	$(BIN)/claims rules lint rulesets
	$(BIN)/claims rules test rulesets --coverage --threshold 100 > /dev/null

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

corpus: venv
	$(BIN)/claims corpus --count 210 --out examples/claims

bench: venv
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/llm_guard.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
