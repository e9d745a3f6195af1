#!/usr/bin/env bash
# `make test-all-pythons`: the whole suite once per supported Python, each in its own .venv-3.X.
# Finds python3.X on PATH or under pyenv; a version that is not installed is skipped (and said so).
# Prints one summary line per version; exits non-zero if any version fails.
set -uo pipefail
cd "$(dirname "$0")/.."

VERSIONS=${PYTHON_VERSIONS:-"3.10 3.11 3.12 3.13"}
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}

find_python() {
  local version=$1 candidate
  if candidate=$(command -v "python$version" 2>/dev/null) && "$candidate" -c 'import sys' 2>/dev/null; then
    echo "$candidate"
    return 0
  fi
  # Highest patch release pyenv has of this minor version.
  for candidate in $(ls -d "$PYENV_ROOT"/versions/"$version".* 2>/dev/null | sort -t. -k3 -n -r); do
    if [ -x "$candidate/bin/python$version" ]; then
      echo "$candidate/bin/python$version"
      return 0
    fi
  done
  return 1
}

summaries=()
failed=0
for version in $VERSIONS; do
  venv=".venv-$version"
  if ! python=$(find_python "$version"); then
    summaries+=("$version  SKIPPED  python$version is not installed (not on PATH, not under $PYENV_ROOT/versions)")
    continue
  fi
  log="$venv/test-run.log"
  echo "== Python $version ($python) -> $venv"
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" || { summaries+=("$version  FAILED   could not create $venv"); failed=1; continue; }
  fi
  stamp="$venv/.installed"
  if [ ! -f "$stamp" ] || [ -n "$(find requirements.txt requirements-dev.txt tools/requirements.txt -newer "$stamp" 2>/dev/null)" ]; then
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >"$venv/pip.log" 2>&1; then
      summaries+=("$version  FAILED   pip install -r requirements-dev.txt (see $venv/pip.log)")
      failed=1
      continue
    fi
    touch "$stamp"
  fi
  start=$(date +%s)
  "$venv/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-} >"$log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - start ))
  result=$(grep -E '^=+ .* in [0-9.]+s' "$log" | tail -1 | sed -E 's/^=+ //; s/ =+$//')
  [ -n "$result" ] || result=$(tail -1 "$log")
  full=$("$venv/bin/python" -c 'import platform; print(platform.python_version())')
  if [ "$status" -eq 0 ]; then
    summaries+=("$version  PASSED   Python $full: $result (wall ${seconds}s)")
  else
    summaries+=("$version  FAILED   Python $full: $result (wall ${seconds}s, log $log)")
    failed=1
  fi
done

echo
echo "Summary (one line per Python version):"
printf '  %s\n' "${summaries[@]}"
exit $failed
