"""get_status / operation_for_id against the simulator over HTTP."""

from __future__ import annotations

import pickle

import pytest
import requests

from content_understanding import (
    ContentUnderstandingClient,
    PermanentServiceError,
    TransientServiceError,
)
from tests.content_understanding.stubs import TEST_KEY, CannedResponse
from tests.support import wait_until
from tools.simulator import start_simulator

TERMINAL = ("Succeeded", "Failed", "Canceled")

DOC = "https://example.com/doc.pdf"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param("sim_duration=1000&sim_outcome=stuck", ("NotStarted", False, None), id="not-started"),
        pytest.param("sim_duration=0&sim_outcome=stuck", ("Running", False, None), id="running"),
        pytest.param("sim_duration=0&sim_outcome=canceled", ("Canceled", True, None), id="canceled"),
    ],
)
def test_status_without_a_result_body(sim, make_client, scenario, expected):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-invoice", f"{DOC}?{scenario}")
    status = client.get_status(op)
    assert (status.status, status.status in TERMINAL, status.body) == expected


def test_succeeded_returns_the_full_body_unchanged(sim, make_client):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-invoice", f"{DOC}?sim_duration=0.2")

    status = wait_until(lambda: (s := client.get_status(op)).status in TERMINAL and s, timeout=5)

    assert status.status == "Succeeded"
    assert status.error_code is None
    raw = requests.get(op.operation_location, headers={"Ocp-Apim-Subscription-Key": TEST_KEY}).json()
    assert status.body == raw
    assert status.body["result"]["contents"][0]["fields"]["InvoiceId"]["valueString"] == "INV-100"


def test_failed_is_a_status_not_an_exception(sim, make_client):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=0&sim_outcome=failed")
    status = client.get_status(op)
    assert status.status == "Failed"
    assert status.status in TERMINAL
    assert status.body is None
    assert status.error_code == "InvalidContent"
    assert status.error_message


def test_lower_case_status_is_canonicalised(scripted, make_client):
    server = scripted([CannedResponse(200, {"id": "x", "status": "succeeded"})])
    status = make_client(server.base_url).get_status(f"{server.base_url}/contentunderstanding/analyzerResults/x")
    assert status.status == "Succeeded"
    assert status.status in TERMINAL


def test_unknown_status_value_is_kept_as_sent(scripted, make_client):
    server = scripted([CannedResponse(200, {"id": "x", "status": "Paused"})])
    status = make_client(server.base_url).get_status(f"{server.base_url}/r/x")
    assert (status.status, status.status in TERMINAL) == ("Paused", False)


def test_get_status_accepts_the_operation_location_string(sim, make_client):
    client = make_client(sim.base_url)
    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=0")
    assert client.get_status(op.operation_location).status == "Succeeded"


def test_operation_for_id_builds_the_ga_polling_url(sim, make_client):
    client = make_client(sim.base_url)
    submitted = client.submit("prebuilt-read", f"{DOC}?sim_duration=0")

    rebuilt = client.operation_for_id(submitted.operation_id)

    assert rebuilt.operation_location == submitted.operation_location
    assert client.get_status(rebuilt).status == "Succeeded"


def test_unknown_operation_is_permanent_not_found(sim, make_client):
    client = make_client(sim.base_url)
    with pytest.raises(PermanentServiceError) as info:
        client.get_status(client.operation_for_id("00000000-0000-0000-0000-000000000000"))
    assert (info.value.http_status, info.value.code) == (404, "NotFound")
    assert sim.stats()["status_calls"] == 1  # permanent errors are not retried


def test_wrong_key_is_permanent_401():
    with start_simulator(port=0, quiet=True, key="the-right-key") as sim:
        client = ContentUnderstandingClient(sim.base_url, key="a-wrong-key")
        with pytest.raises(PermanentServiceError) as info:
            client.submit("prebuilt-read", DOC)
        assert (info.value.http_status, info.value.code) == (401, "401")
        assert sim.stats()["analyze_calls"] == 0  # rejected before reaching the analyze handler


def test_errors_survive_pickling_with_their_attributes():
    error = TransientServiceError("boom", code="ReadTimeout", http_status=None, retry_after=3.0, ambiguous=True)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.retry_after, copy.ambiguous, str(copy)) == (
        TransientServiceError,
        "ReadTimeout",
        3.0,
        True,
        str(error),
    )
