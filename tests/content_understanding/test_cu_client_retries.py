"""Status-call retries: throttling, 503 bursts, network failures, malformed answers, the time budget."""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timezone

import pytest

from content_understanding import PermanentServiceError, TransientServiceError
from content_understanding.retry import parse_retry_after
from tests.content_understanding.stubs import CannedResponse, closed_port_url

DOC = "https://example.com/doc.pdf"
GOOD = CannedResponse(200, {"id": "x", "status": "Running"})


def http_date(seconds_from_now: float) -> str:
    """An HTTP-date, as a Retry-After header may carry it."""
    moment = datetime.fromtimestamp(time.time() + seconds_from_now, tz=timezone.utc)
    return email.utils.format_datetime(moment, usegmt=True)


def test_429_with_retry_after_is_honoured(sim, make_client, sleeps):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=0&sim_throttle=2&sim_retry_after=2")

    status = client.get_status(op)

    assert status.status == "Succeeded"
    assert sleeps.delays == [2.0, 2.0]
    assert sim.stats()["status_calls_by_operation"][op.operation_id] == 3


def test_429_without_retry_after_backs_off_with_jitter(sim, make_client, sleeps):
    client = make_client(sim.base_url, backoff_base=0.5, backoff_max=8.0)
    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=0&sim_throttle=3&sim_retry_after=0")

    assert client.get_status(op).status == "Succeeded"

    assert len(sleeps.delays) == 3
    for attempt, delay in enumerate(sleeps.delays, start=1):
        assert 0 <= delay <= 0.5 * 2 ** (attempt - 1)


def test_503_burst_then_success(sim, make_client, sleeps):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=0&sim_fail=3")
    assert client.get_status(op).status == "Succeeded"
    assert sim.stats()["responses_by_status"]["503"] == 3
    assert len(sleeps.delays) == 3


def test_503_beyond_max_attempts_raises_transient(sim, make_client, sleeps):
    client = make_client(sim.base_url, max_attempts=3)
    op = client.submit("prebuilt-read", f"{DOC}?sim_fail=50")
    with pytest.raises(TransientServiceError) as info:
        client.get_status(op)
    assert (info.value.http_status, info.value.ambiguous) == (503, False)
    assert sim.stats()["status_calls"] == 3


def test_retry_after_beyond_the_budget_raises_at_once_with_the_hint(sim, make_client, sleeps):
    client = make_client(sim.base_url, retry_total_seconds=5)
    op = client.submit("prebuilt-read", f"{DOC}?sim_throttle=5&sim_retry_after=60")
    with pytest.raises(TransientServiceError) as info:
        client.get_status(op)
    assert (info.value.http_status, info.value.retry_after) == (429, 60.0)
    assert sleeps.delays == []


def test_connection_refused_raises_transient_not_ambiguous(make_client, sleeps):
    client = make_client(closed_port_url(), max_attempts=2)
    with pytest.raises(TransientServiceError) as info:
        client.get_status(client.operation_for_id("abc"))
    assert (info.value.ambiguous, info.value.http_status) == (False, None)
    assert len(sleeps.delays) == 1


def test_read_timeout_on_status_is_retried_then_ambiguous(silent, make_client, sleeps):
    client = make_client(silent.base_url, read_timeout=0.2, max_attempts=2)
    with pytest.raises(TransientServiceError) as info:
        client.get_status(client.operation_for_id("abc"))
    assert info.value.ambiguous is True
    assert info.value.code == "ReadTimeout"
    assert len(sleeps.delays) == 1


def test_malformed_json_is_retried_then_transient(scripted, make_client, sleeps):
    server = scripted([CannedResponse(200, "{not json", {"Content-Type": "application/json"})])
    client = make_client(server.base_url, max_attempts=3)
    with pytest.raises(TransientServiceError) as info:
        client.get_status(f"{server.base_url}/contentunderstanding/analyzerResults/x?api-version=2025-11-01")
    assert info.value.code == "MalformedResponse"
    assert len(server.requests) == 3


def test_malformed_json_then_valid_recovers(scripted, make_client):
    server = scripted([CannedResponse(200, "garbage"), CannedResponse(200, ["a", "list"]), GOOD])
    status = make_client(server.base_url).get_status(f"{server.base_url}/r/x")
    assert status.status == "Running"
    assert len(server.requests) == 3


def test_500_on_status_is_retried(scripted, make_client):
    server = scripted([CannedResponse(500, {"error": {"code": "InternalServerError", "message": "boom"}}), GOOD])
    assert make_client(server.base_url).get_status(f"{server.base_url}/r/x").status == "Running"


def test_permanent_error_falls_back_to_header_code_then_reason(scripted, make_client):
    server = scripted([CannedResponse(403, "", {"x-ms-error-code": "Forbidden"}), CannedResponse(400, "")])
    client = make_client(server.base_url)
    with pytest.raises(PermanentServiceError) as first:
        client.get_status(f"{server.base_url}/r/x")
    with pytest.raises(PermanentServiceError) as second:
        client.get_status(f"{server.base_url}/r/x")
    assert (first.value.code, first.value.http_status) == ("Forbidden", 403)
    assert second.value.code is None
    assert second.value.message == "400 Bad Request"


def test_http_date_retry_after_is_understood(scripted, make_client, sleeps):
    server = scripted([CannedResponse(429, "", {"Retry-After": http_date(7)}), GOOD])
    make_client(server.base_url).get_status(f"{server.base_url}/r/x")
    assert len(sleeps.delays) == 1
    assert 5 <= sleeps.delays[0] <= 7.5


def test_parse_retry_after_variants():
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
