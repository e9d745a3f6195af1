"""When the durable backend cannot be reached, every endpoint says 503 with a JSON body, never a bare 500.

The functions get the same durable client binding the host passes, pointing at a closed loopback port,
so the real DurableOrchestrationClient fails over real HTTP.
"""

import asyncio
import json
import socket

import azure.functions as func
import pytest

from http_api.analysis_results import cancel_analysis, get_analysis_results
from http_api.analyze_starter import start_analysis
from tools.devhost.durable import client_binding_json


@pytest.fixture
def dead_backend() -> str:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return client_binding_json(f"http://127.0.0.1:{port}", "Hub")


@pytest.mark.parametrize(
    ("function", "method", "route_params", "body"),
    [
        (
            start_analysis,
            "POST",
            {"analyzerId": "prebuilt-invoice"},
            b'{"inputFiles": ["https://a.example.com/x.pdf"]}',
        ),
        (get_analysis_results, "GET", {"analyzerId": "prebuilt-invoice", "operationId": "op-1"}, b""),
        (cancel_analysis, "DELETE", {"analyzerId": "prebuilt-invoice", "operationId": "op-1"}, b""),
    ],
)
def test_unreachable_task_hub_answers_503_with_retry_after(dead_backend, function, method, route_params, body):
    request = func.HttpRequest(
        method, "http://localhost/pro-mode/x", headers={}, params={}, route_params=route_params, body=body
    )
    response = asyncio.run(function.build().get_user_function()(req=request, client=dead_backend))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.get_body())["code"] == "ServiceUnavailable"
