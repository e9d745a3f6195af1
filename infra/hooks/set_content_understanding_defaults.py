"""azd post-provision hook: set the default model deployments of a Content Understanding resource.

When infra/main.bicep created the AI Services resource (output CONTENT_UNDERSTANDING_CREATED=true), its
prebuilt analyzers need to know which deployment serves each model. This sends

    PATCH {endpoint}/contentunderstanding/defaults?api-version=2025-11-01
    {"modelDeployments": {"gpt-4.1": "<deployment>", "gpt-4.1-mini": "<deployment>", ...}}

with a token for https://cognitiveservices.azure.com/.default from `azd auth token` (or the Azure CLI).
The deployer was given Cognitive Services User on the new resource by the template; role assignments take
a few minutes to apply, so 401/403 answers are retried for up to five minutes.

Standard library only: it runs on the deployer's machine before any virtual environment exists.
`--dry-run` prints the request instead of sending it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

SCOPE = "https://cognitiveservices.azure.com/.default"
API_VERSION = "2025-11-01"
RETRY_STATUSES = {401, 403, 404, 409, 429, 500, 502, 503}
RETRY_FOR_SECONDS = 300


def model_deployments(deployments_json: str) -> dict[str, str]:
    """Model name -> deployment name, from the template's modelDeployments parameter (as JSON)."""
    items = json.loads(deployments_json or "[]")
    return {item["model"]: item["name"] for item in items}


def defaults_request(endpoint: str, deployments_json: str, api_version: str = API_VERSION) -> tuple[str, bytes]:
    url = f"{endpoint.rstrip('/')}/contentunderstanding/defaults?api-version={api_version}"
    body = json.dumps({"modelDeployments": model_deployments(deployments_json)}).encode()
    return url, body


def access_token() -> str:
    if shutil.which("azd"):
        done = subprocess.run(  # noqa: S603
            ["azd", "auth", "token", "--scope", SCOPE, "--output", "json"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return json.loads(done.stdout)["token"]
    if shutil.which("az"):
        done = subprocess.run(  # noqa: S603
            ["az", "account", "get-access-token", "--scope", SCOPE, "--query", "accessToken", "-o", "tsv"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    raise SystemExit("No token: sign in with `azd auth login` (or `az login`) and run `azd hooks run postprovision`.")


def send(url: str, body: bytes, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - https endpoint from the template
        url,
        data=body,
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        print(f"  {error.code}: {error.read()[:300].decode(errors='replace')}", file=sys.stderr)
        return error.code


def main(argv: list[str]) -> int:
    if os.environ.get("CONTENT_UNDERSTANDING_CREATED", "").lower() != "true":
        print("Content Understanding: existing resource; its model deployment defaults are left as they are.")
        return 0
    endpoint = os.environ["CONTENT_UNDERSTANDING_ENDPOINT"]
    url, body = defaults_request(endpoint, os.environ.get("CONTENT_UNDERSTANDING_MODEL_DEPLOYMENTS", "[]"))
    print(f"PATCH {url}\n  {body.decode()}")
    if "--dry-run" in argv:
        return 0
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        status = send(url, body, access_token())
        if 200 <= status < 300:
            print("Content Understanding default model deployments set.")
            return 0
        if status not in RETRY_STATUSES or time.monotonic() > deadline:
            print(f"Setting the defaults failed ({status}); rerun with `azd hooks run postprovision`.", file=sys.stderr)
            return 1
        print(f"  {status}: waiting for the role assignment to apply, retrying in 20 s")
        time.sleep(20)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
