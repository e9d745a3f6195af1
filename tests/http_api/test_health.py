"""GET /health: cheap for probes (the service answer is cached), honest about Content Understanding, no secrets."""

import time

import pytest

from http_api.health import HEALTH_CACHE_SECONDS, _service_state
from tests.content_understanding.stubs import CannedResponse, ScriptedServer


@pytest.fixture
def service(app_settings):
    servers = []

    def start(*answers: CannedResponse) -> ScriptedServer:
        server = ScriptedServer(list(answers))
        servers.append(server)
        app_settings(CONTENT_UNDERSTANDING_ENDPOINT=server.base_url, CONTENT_UNDERSTANDING_KEY="probe-key")
        return server

    yield start
    for server in servers:
        server.stop()


def test_the_service_is_asked_once_per_cache_period(service):
    server = service(CannedResponse(200, {"value": []}))
    now = time.monotonic()
    first = _service_state(now)
    assert _service_state(now + 1) == first
    assert len(server.requests) == 1
    assert server.requests[0].path.startswith("/contentunderstanding/analyzers?api-version=2025-11-01")
    _service_state(now + HEALTH_CACHE_SECONDS + 1)
    assert len(server.requests) == 2
    assert (first["reachable"], first["credentialsAccepted"]) == (True, True)


def test_refused_credentials_are_reported_without_the_key(service):
    service(
        CannedResponse(401, {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}})
    )
    state = _service_state()
    assert (state["reachable"], state["credentialsAccepted"], state["code"]) == (True, False, "401")
    assert "probe-key" not in str(state)


def test_an_unreachable_service_is_reported(app_settings):
    app_settings(CONTENT_UNDERSTANDING_ENDPOINT="http://127.0.0.1:9", CONTENT_UNDERSTANDING_KEY="k")
    state = _service_state()
    assert (state["reachable"], state["credentialsAccepted"]) == (False, None)
