"""The two activities over real HTTP against the Content Understanding simulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from activities.check_analysis_status import check_analysis_status
from activities.submit_analysis import submit_analysis
from config.service_clients import content_understanding_client
from tests.support import blob_container, wait_until
from tools.simulator import start_simulator

SUBMIT = submit_analysis.build().get_user_function()
CHECK = check_analysis_status.build().get_user_function()
GROUP = {"kind": "group", "id": "0a1b2c3d-0000-4000-8000-00000000abcd"}
USER = {"kind": "user", "id": "u1"}


@pytest.fixture
def sim(app_settings):
    handle = start_simulator(port=0, quiet=True, duration=0.3, key="sim-key")
    app_settings(
        CONTENT_UNDERSTANDING_ENDPOINT=handle.base_url,
        CONTENT_UNDERSTANDING_KEY="sim-key",
    )
    yield handle
    handle.stop()


def request(item, analyzer="prebuilt-invoice", scope=USER, deadline=None):
    """A SubmitRequest as the orchestrator sends it."""
    deadline = deadline or (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    return {
        "operationId": "an-0123456789abcdef0123456789abcdef",
        "fileIndex": 0,
        "input": item,
        "analyzerId": analyzer,
        "scope": scope,
        "pages": None,
        "deadline": deadline,
    }


def check(submitted):
    value = submitted["value"]
    return CHECK(
        {
            "operationId": "an-1",
            "fileIndex": 0,
            "operationLocation": value["operationLocation"],
            "serviceOperationId": value["serviceOperationId"],
        }
    )


def poll_to_end(submitted):
    return wait_until(
        lambda: (c := check(submitted))["value"]["status"] in ("Succeeded", "Failed", "Canceled") and c,
        timeout=10,
    )


def test_submit_then_checks_reach_succeeded(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/invoice.pdf"}))
    assert submitted["kind"] == "ok"
    location = submitted["value"]["operationLocation"]
    assert location.startswith(f"{sim.base_url}/contentunderstanding/analyzerResults/")
    first = check(submitted)
    assert first["kind"] == "ok" and first["value"]["status"] in ("NotStarted", "Running", "Succeeded")
    assert first["value"]["checkedAt"]
    done = poll_to_end(submitted)
    assert done["value"]["status"] == "Succeeded"
    assert "result" not in done["value"]  # the result is read on GET, never carried through history
    body = content_understanding_client().fetch_result(location)
    assert submitted["value"]["serviceOperationId"].encode() in body


def test_file_ids_are_sent_as_read_only_sas_urls_in_the_scopes_container(sim, azurite, app_settings, monkeypatch):
    app_settings(
        CONTENT_UNDERSTANDING_ENDPOINT=sim.base_url,
        CONTENT_UNDERSTANDING_KEY="sim-key",
        INPUT_CONTAINER_URL=azurite.container_url("pro-input-files"),
        INPUT_STORAGE_CONNECTION_STRING=azurite.connection_string,
    )
    container = blob_container(azurite, f"pro-input-files-g-{GROUP['id']}")
    container.upload_blob("invoices/a b.pdf", b"%PDF-1.7 an invoice", overwrite=True)
    client = content_understanding_client()
    sent = []
    original = client.submit
    monkeypatch.setattr(client, "submit", lambda analyzer, url, **kw: sent.append(url) or original(analyzer, url, **kw))
    submitted = SUBMIT(request({"fileId": "invoices/a b.pdf"}, scope=GROUP))
    assert submitted["kind"] == "ok"
    parts = urlsplit(sent[0])
    assert parts.path == f"/devstoreaccount1/pro-input-files-g-{GROUP['id']}/invoices/a%20b.pdf"
    query = parse_qs(parts.query)
    assert query["sp"] == ["r"] and query["sr"] == ["b"] and query["sig"][0] and query["se"][0]
    assert poll_to_end(submitted)["value"]["status"] == "Succeeded"


def test_failed_analysis_is_a_status_with_the_service_error(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf?sim_outcome=failed&sim_duration=0.1"}))
    done = poll_to_end(submitted)
    assert done["kind"] == "ok" and done["value"]["status"] == "Failed"
    assert done["value"]["error"]["code"] and done["value"]["error"]["message"]


def test_unknown_analyzer_is_a_permanent_submit_failure(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf"}, analyzer="no-such-analyzer"))
    assert submitted["kind"] == "permanent"
    assert submitted["error"]["code"]
    assert sim.stats()["operations"] == 0


def test_transient_submit_failure_comes_back_as_data_for_the_durable_retry(sim):
    sim.configure(submit_fail=100)
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf"}))
    assert submitted["kind"] == "transient"
    assert submitted["error"]["code"] == "ServiceUnavailable"


def test_submit_after_the_deadline_sends_nothing(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf"}, deadline="2020-01-01T00:00:00+00:00"))
    assert submitted["kind"] == "transient" and submitted["error"]["code"] == "DeadlinePassed"
    assert sim.stats()["analyze_calls"] == 0


def test_throttled_check_comes_back_as_data_with_retry_after(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf?sim_throttle=50&sim_retry_after=1"}))
    answer = check(submitted)
    # The client retries 429s within its attempt budget; then the activity returns data, not an error.
    assert answer["kind"] == "transient"
    assert answer["error"]["code"]
    assert answer["retryAfter"] == 1
    assert sim.stats()["responses_by_status"]["429"] >= 2


def test_vanished_operation_is_a_permanent_check_failure(sim):
    submitted = SUBMIT(request({"url": "https://files.example.com/a.pdf"}))
    sim.reset()
    answer = check(submitted)
    assert answer["kind"] == "permanent"
    assert answer["error"]["code"]
