# The two commands a newcomer needs: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-func test test-all-pythons lint format bench clean

# Python versions Azure Functions supports for new apps; test-all-pythons runs the suite on each one installed.
PYTHON_VERSIONS ?= 3.10 3.11 3.12 3.13

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt tools/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m tools.devhost.local_stack

# The same app under Azure Functions Core Tools + Azurite + the simulator (needs `func`; says how to get it).
run-func: $(STAMP)
	PY=$(PY) tools/run-func.sh

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite once per supported Python (.venv-3.X each); skips versions not installed, fails if any fails.
test-all-pythons:
	PYTHON_VERSIONS="$(PYTHON_VERSIONS)" PYTEST_ARGS="$(PYTEST_ARGS)" tools/test-all-pythons.sh

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	tools/lint-workflows.sh

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(STAMP)
	$(PY) -m tools.benchmarks

clean:
	rm -rf $(VENV) .venv-* .devhost .azurite .pytest_cache .ruff_cache
