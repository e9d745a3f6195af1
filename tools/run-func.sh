#!/usr/bin/env bash
# `make run-func`: the same app under Azure Functions Core Tools, with Azurite (storage) and the Content
# Understanding simulator. Creates local.settings.json from the example when missing; stops the helpers on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if ! command -v func >/dev/null 2>&1; then
  cat >&2 <<'MSG'
make run-func needs Azure Functions Core Tools 4 (the `func` command), which is not on PATH. Install it
with npm (Node.js 18 or newer; the package downloads the Functions host while it installs):
`npm install -g azure-functions-core-tools@4 --unsafe-perm true`, or with Microsoft's package for your
system (winget / Homebrew `azure/functions/azure-functions-core-tools@4` / the apt package
`azure-functions-core-tools-4`, see https://learn.microsoft.com/azure/azure-functions/functions-run-local),
then run `make run-func` again. Azurite comes from npm as well (`make azurite-deps`). Without Core Tools,
`make run` runs the same app on the local host in tools/devhost.
MSG
  exit 2
fi

if [ ! -f local.settings.json ]; then
  cp local.settings.json.example local.settings.json
  echo "created local.settings.json from local.settings.json.example"
fi
CORS_ALLOWED_ORIGINS=${CORS_ALLOWED_ORIGINS:-$("$PY" -c 'import json; print(json.load(open("local.settings.json"))["Values"].get("CORS_ALLOWED_ORIGINS", ""))')}

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Azurite from the project (`make azurite-deps`), else one on PATH; loopback only, telemetry off. The Functions
# host needs its blob, queue and table services (AzureWebJobsStorage).
mkdir -p .azurite
AZURITE=tools/azurite/node_modules/.bin/azurite
if [ ! -x "$AZURITE" ]; then
  AZURITE=$(command -v azurite || true)
fi
if [ -z "$AZURITE" ]; then
  echo "make run-func needs Azurite: run \`make azurite-deps\` (Node.js and npm)" >&2
  exit 2
fi
"$AZURITE" --silent --location .azurite --skipApiVersionCheck --disableTelemetry \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 &
pids+=($!)
"$PY" -m tools.simulator --port 7072 &
pids+=($!)

# Core Tools runs the worker with the python it finds first: the project's virtual environment.
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
if [ -n "$CORS_ALLOWED_ORIGINS" ]; then
  func start --cors "$CORS_ALLOWED_ORIGINS"
else
  func start
fi
