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
from tools.devhost.durable_bridge import close_sdk_client_session


def call(function, **kwargs):
    """Run an endpoint on a fresh loop; close the SDK's shared client session before that loop goes away."""

    async def run():
        try:
            return await function.build().get_user_function()(**kwargs)
        finally:
            await close_sdk_client_session()

    return asyncio.run(run())


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
def test_unreachable_task_hub_answers_503_with_retry_after(
    app_settings, dead_backend, function, method, route_params, body
):
    app_settings(ALLOWED_INPUT_HOSTS="*.example.com")
    request = func.HttpRequest(
        method, "http://localhost/pro-mode/x", headers={}, params={}, route_params=route_params, body=body
    )
    response = call(function, req=request, client=dead_backend)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert json.loads(response.get_body())["code"] == "ServiceUnavailable"


def test_any_other_failure_is_a_500_with_a_json_body_and_a_logged_traceback(app_settings, caplog):
    """A task hub that answers, but with nonsense, is not an outage: 500 InternalError, not a retryable 503."""
    from tests.content_understanding.stubs import CannedResponse, ScriptedServer

    server = ScriptedServer([CannedResponse(418, {"Message": "boom"})])
    try:
        binding = client_binding_json(server.base_url, "Hub")
        request = func.HttpRequest(
            "GET",
            "http://localhost/pro-mode/x",
            headers={},
            params={},
            route_params={"analyzerId": "prebuilt-invoice", "operationId": "an-1"},
            body=b"",
        )
        response = call(get_analysis_results, req=request, client=binding)
    finally:
        server.stop()
    assert response.status_code == 500
    body = json.loads(response.get_body())
    assert (body["error"], body["code"]) == ("Internal error", "InternalError")
    assert "boom" not in body["message"]
    assert any(record.exc_info for record in caplog.records if "unexpectedly" in record.getMessage())
