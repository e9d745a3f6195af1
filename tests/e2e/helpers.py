"""What the e2e tests do over HTTP, the way the frontend and an operator would."""

from __future__ import annotations

import base64
import json

import requests

from tests.e2e.conftest import E2E_HOST_KEY, SIM_KEY
from tests.support import wait_until

DOC = "https://files.example.com/invoice.pdf"
ANALYZER = "prebuilt-invoice"


def analyze(stack, *files, analyzer=ANALYZER, headers=None, **extra):
    body = {"analyzerId": analyzer, "inputFiles": list(files or [DOC]), "analysisMode": "pro", **extra}
    return requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{analyzer}:analyze",
        json=body,
        headers=headers,
        timeout=10,
    )


def results(stack, operation_id, analyzer=ANALYZER, headers=None, base_url=None):
    url = f"{base_url or stack.base_url}/pro-mode/content-analyzers/{analyzer}/results/{operation_id}"
    return requests.get(url, params={"api-version": "2025-05-01-preview"}, headers=headers, timeout=10)


def poll(stack, operation_id, *, timeout=30, interval=0.25, **kwargs):
    """Poll like the frontend (time-compressed); return every response until the first non-202."""
    seen = []

    def done():
        response = results(stack, operation_id, **kwargs)
        seen.append(response)
        return response.status_code != 202

    wait_until(done, timeout=timeout, interval=interval, message=f"operation {operation_id} still running")
    return seen


def final_answer(url: str, timeout: float = 30, headers: dict | None = None) -> requests.Response:
    """GET url until it stops answering 202; return that answer (a 500 is a falsy Response, hence the list)."""
    answers = []

    def ended():
        answers.append(requests.get(url, headers=headers, timeout=5))
        return answers[-1].status_code != 202

    wait_until(ended, timeout, 0.25, f"{url} still answers 202")
    return answers[-1]


def principal(oid: str, *groups: str) -> dict:
    """The X-MS-CLIENT-PRINCIPAL header App Service Authentication adds for a signed-in user."""
    claims = [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": oid}]
    claims += [{"typ": "groups", "val": g} for g in groups]
    claims += [{"typ": "http://schemas.microsoft.com/identity/claims/scope", "val": "Analysis.Run"}]
    document = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(document).encode()).decode()}


HOST_KEY_HEADER = {"x-functions-key": E2E_HOST_KEY}


def instance_count(host) -> int:
    """How many orchestrations the local host holds (its Durable management API, as Core Tools serves it)."""
    answer = requests.get(
        f"{host.ready_url}/runtime/webhooks/durabletask/instances", headers=HOST_KEY_HEADER, timeout=10
    )
    answer.raise_for_status()
    return len(answer.json())


def orchestration_input(host, operation_id: str) -> dict:
    """The input the starter gave an orchestration (the Durable management API answers it as JSON or as text)."""
    answer = requests.get(
        f"{host.ready_url}/runtime/webhooks/durabletask/instances/{operation_id}?showInput=true",
        headers=HOST_KEY_HEADER,
        timeout=10,
    )
    answer.raise_for_status()
    given = answer.json()["input"]
    return given if isinstance(given, dict) else json.loads(given)


def submit_to_service(simulator_url: str, url: str) -> str:
    """Start an analysis directly at the service, as the old backend did; its id is a bare GUID."""
    submitted = requests.post(
        f"{simulator_url}/contentunderstanding/analyzers/{ANALYZER}:analyze",
        params={"api-version": "2025-11-01"},
        json={"inputs": [{"url": url}]},
        headers={"Ocp-Apim-Subscription-Key": SIM_KEY},
        timeout=10,
    )
    return submitted.json()["id"]


def start(stack, *files, **kwargs) -> str:
    response = analyze(stack, *files, **kwargs)
    assert response.status_code == 202, response.text
    return response.json()["operationId"]
