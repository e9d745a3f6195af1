"""submit(): request shape, Operation-Location handling, and which failures it retries."""

from __future__ import annotations

import time
import uuid

import pytest

from content_understanding import PermanentServiceError, TransientServiceError
from tests.content_understanding.stubs import TEST_KEY, CannedResponse, closed_port_url
from tests.support import start_simulator_with_aliased_signed_locations
from tools.simulator import start_simulator

DOC = "https://example.com/doc.pdf"
ACCEPTED = CannedResponse(
    202,
    {"id": "op-1", "status": "NotStarted"},
    {"Operation-Location": "{base}/contentunderstanding/analyzerResults/op-1?api-version=2025-11-01"},
)


def test_request_shape_follows_ga(scripted, make_client):
    server = scripted([ACCEPTED])
    client = make_client(server.base_url)

    request_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    client.submit("prebuilt-invoice", DOC, pages="1-3", processing_location="dataZone", request_id=request_id)
    client.submit("prebuilt-invoice", DOC)

    first, second = server.requests
    assert first.method == "POST"
    assert first.path == (
        "/contentunderstanding/analyzers/prebuilt-invoice:analyze?api-version=2025-11-01&processingLocation=dataZone"
    )
    assert first.json() == {"inputs": [{"url": DOC, "range": "1-3"}]}  # one input per request, as GA requires
    assert first.headers["Ocp-Apim-Subscription-Key"] == TEST_KEY
    assert first.headers["x-ms-useragent"] == "content-analysis-functions"
    assert first.headers["x-ms-client-request-id"] == request_id  # traceable in a support case
    assert uuid.UUID(second.headers["x-ms-client-request-id"])  # a fresh one when the caller has none
    assert second.json() == {"inputs": [{"url": DOC}]}


def test_operation_comes_from_body_id_and_header_as_returned(sim, make_client):
    op = make_client(sim.base_url).submit("prebuilt-read", DOC)
    assert (
        op.operation_location
        == f"{sim.base_url}/contentunderstanding/analyzerResults/{op.operation_id}?api-version=2025-11-01"
    )


def test_operation_id_falls_back_to_the_location_url(scripted, make_client):
    server = scripted(
        [
            CannedResponse(
                202,
                b"",
                {"Operation-Location": "{base}/contentunderstanding/analyzerResults/op-9?api-version=x"},
            )
        ]
    )
    op = make_client(server.base_url).submit("prebuilt-read", DOC)
    assert op.operation_id == "op-9"
    assert op.operation_location == f"{server.base_url}/contentunderstanding/analyzerResults/op-9?api-version=x"


def test_operation_location_is_followed_exactly_as_returned(make_client):
    """The service may answer with another host alias and extra query parameters; both must survive."""
    with start_simulator_with_aliased_signed_locations() as sim:
        client = make_client(sim.base_url)
        op = client.submit("prebuilt-read", DOC)
        assert op.operation_location.startswith(f"http://localhost:{sim.port}/")
        assert "&sim_sig=" in op.operation_location

        # Only the URL travels through the orchestration: polling it as a plain string must work.
        assert client.get_status(op.operation_location).status == "Succeeded"
        assert sim.stats()["status_hosts"] == {f"localhost:{sim.port}": 1}


def test_submit_retries_503_until_accepted(make_client, sleeps):
    with start_simulator(port=0, quiet=True, submit_fail=2) as sim:
        op = make_client(sim.base_url).submit("prebuilt-read", DOC)
        assert op.operation_id
        assert sim.stats()["analyze_calls"] == 3
        assert sim.stats()["operations"] == 1
    assert len(sleeps.delays) == 2


def test_submit_retries_429_honouring_retry_after(make_client, sleeps):
    with start_simulator(port=0, quiet=True, submit_throttle=2, submit_retry_after=3) as sim:
        make_client(sim.base_url).submit("prebuilt-read", DOC)
        assert sim.stats()["analyze_calls"] == 3
    assert sleeps.delays == [3.0, 3.0]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_submit_is_not_retried_on_ambiguous_status(sim, make_client, sleeps, status):
    sim.configure(submit_fail=1, submit_fail_status=status)
    client = make_client(sim.base_url)

    with pytest.raises(TransientServiceError) as info:
        client.submit("prebuilt-read", DOC)

    assert info.value.ambiguous is True
    assert info.value.http_status == status
    assert sim.stats()["analyze_calls"] == 1
    assert sleeps.delays == []


def test_submit_read_timeout_is_ambiguous_and_not_retried(silent, make_client):
    client = make_client(silent.base_url, read_timeout=0.3)
    with pytest.raises(TransientServiceError) as info:
        client.submit("prebuilt-read", DOC)
    assert info.value.ambiguous is True
    assert info.value.http_status is None
    assert silent.connections == 1


def test_submit_connection_refused_is_retried_then_surely_not_processed(make_client, sleeps):
    client = make_client(closed_port_url(), max_attempts=3)
    with pytest.raises(TransientServiceError) as info:
        client.submit("prebuilt-read", DOC)
    assert info.value.ambiguous is False
    assert info.value.http_status is None
    assert len(sleeps.delays) == 2


def test_submit_exhausting_503_reports_not_ambiguous(make_client, sleeps):
    with start_simulator(port=0, quiet=True, submit_fail=10) as sim:
        with pytest.raises(TransientServiceError) as info:
            make_client(sim.base_url, max_attempts=4).submit("prebuilt-read", DOC)
        assert sim.stats()["analyze_calls"] == 4
    assert (info.value.ambiguous, info.value.http_status, info.value.code) == (
        False,
        503,
        "ServiceUnavailable",
    )


def test_malformed_accept_without_location_is_ambiguous(scripted, make_client):
    server = scripted([CannedResponse(202, "<html>oops</html>")])
    with pytest.raises(TransientServiceError) as info:
        make_client(server.base_url).submit("prebuilt-read", DOC)
    assert info.value.ambiguous is True
    assert len(server.requests) == 1


def test_rejection_keeps_the_services_target_and_innererror_code(scripted, make_client):
    body = {
        "error": {
            "code": "InvalidRequest",
            "message": "Invalid request.",
            "target": "inputs[0].url",
            "innererror": {"code": "InvalidContentSource", "innererror": {"code": "InvalidContentSourceFormat"}},
        }
    }
    client = make_client(scripted([CannedResponse(400, body)]).base_url)
    with pytest.raises(PermanentServiceError) as info:
        client.submit("prebuilt-read", DOC)
    assert info.value.detail() == {
        "code": "InvalidRequest",
        "message": "Invalid request.",
        "target": "inputs[0].url",
        "innerCode": "InvalidContentSourceFormat",
    }


def test_a_time_budget_bounds_a_silent_service(silent, make_client):
    """A service that accepts connections and never answers cannot hold a submit past its budget."""
    client = make_client(silent.base_url, read_timeout=30)
    started = time.monotonic()
    with pytest.raises(TransientServiceError):
        client.submit("prebuilt-read", DOC, time_budget_seconds=0.5)
    assert time.monotonic() - started < 5  # 30 s read timeout without the budget


def test_the_processing_location_configured_for_the_client_goes_on_every_submit(scripted, make_client):
    server = scripted([ACCEPTED])
    make_client(server.base_url, processing_location="geography").submit("prebuilt-invoice", DOC)
    make_client(server.base_url).submit("prebuilt-invoice", DOC)  # unset: the service's default
    located, default = server.requests
    assert located.path.endswith("?api-version=2025-11-01&processingLocation=geography")
    assert "processingLocation" not in default.path


def test_one_request_id_per_request_kept_by_its_retries_and_logged(scripted, make_client, caplog):
    busy = CannedResponse(503, {"error": {"code": "ServiceUnavailable", "message": "busy"}}, {"Retry-After": "0"})
    status = CannedResponse(200, {"id": "op-1", "status": "Running"})
    server = scripted([busy, status, status, status])
    client = make_client(server.base_url)
    location = f"{server.base_url}/contentunderstanding/analyzerResults/op-1?api-version=2025-11-01"
    with caplog.at_level("INFO", logger="content_understanding.client"):
        client.get_status(location)  # 503 then 200: one request, retried
        client.get_status(location)
    ids = [r.headers["x-ms-client-request-id"] for r in server.requests]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert all(uuid.UUID(i) for i in ids)
    logged = [getattr(r, "clientRequestId", None) for r in caplog.records if " -> " in r.getMessage()]
    assert logged == ids
