# The two commands a newcomer needs: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-func test test-all-pythons lint format bench clean browser-deps azurite-deps

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

# The suite waits on its hosts, timers and browsers far more than it computes (one process: about 27 % of a core),
# so two worker processes (pytest-xdist), each taking whole test files, halve its time on 2 cores.
# PYTEST_WORKERS=0 runs it in this one process (where pytest -s shows what the tests print).
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

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

# Headless Chromium and its driver, for the browser e2e test (tests/e2e/browser), from Debian's packages. CI runs
# this; without apt-get (or the packages) the test skips. Needs root, or sudo.
CHROMIUM_PACKAGES := chromium chromium-driver
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
		echo "browser-deps: /usr/bin/chromium and /usr/bin/chromedriver are installed"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser-deps: no apt-get here; install Chromium and the ChromeDriver of the same version yourself" \
			"(CHROMIUM=..., CHROMEDRIVER=... name them), or the browser test skips"; \
	else \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES); \
	fi

# Azurite (the Azure Storage emulator) from npm, pinned in tools/azurite/package-lock.json, into tools/azurite/
# (no global install). `make run` starts it when present; the storage tests need it (they skip without it, CI
# requires it). Needs Node.js and npm.
azurite-deps:
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "azurite-deps: npm is not on PATH; install Node.js (with npm), or make run uses no storage and the storage tests skip"; \
		exit 1; \
	fi
	cd tools/azurite && npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) .venv-* .devhost .azurite .pytest_cache .ruff_cache
