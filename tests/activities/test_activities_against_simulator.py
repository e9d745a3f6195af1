"""The two activities over real HTTP against the Content Understanding simulator."""

from __future__ import annotations

import pytest

from activities.check_analysis_status import check_analysis_status
from activities.submit_analysis import submit_analysis
from config.service_clients import reset_service_clients
from config.settings import get_settings
from content_understanding import TransientServiceError
from tests.support import wait_until
from tools.simulator import start_simulator

SUBMIT = submit_analysis.build().get_user_function()
CHECK = check_analysis_status.build().get_user_function()


@pytest.fixture
def sim(monkeypatch):
    handle = start_simulator(port=0, quiet=True, duration=0.3, key="sim-key")
    monkeypatch.setenv("CONTENT_UNDERSTANDING_ENDPOINT", handle.base_url)
    monkeypatch.setenv("CONTENT_UNDERSTANDING_KEY", "sim-key")
    monkeypatch.setenv("INPUT_CONTAINER_URL", "http://127.0.0.1:10000/devstoreaccount1/pro-input-files")
    monkeypatch.setenv("INPUT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    get_settings.cache_clear()
    reset_service_clients()
    yield handle
    handle.stop()
    get_settings.cache_clear()
    reset_service_clients()


def job(*inputs, analyzer="prebuilt-invoice", group=None):
    return {
        "operationId": "op-1",
        "analyzerId": analyzer,
        "inputs": list(inputs),
        "groupId": group,
        "pages": None,
    }


def poll_to_end(operation):
    return wait_until(
        lambda: (
            (c := CHECK({"operationId": "op-1", "operation": operation}))["status"]
            in ("Succeeded", "Failed", "Canceled")
            and c
        ),
        timeout=10,
    )


def test_submit_then_checks_reach_succeeded_with_fields(sim):
    submitted = SUBMIT(job({"url": "https://files.example.com/invoice.pdf"}))
    assert submitted["ok"] is True
    operation = submitted["operation"]
    assert operation["operation_location"].startswith(f"{sim.base_url}/contentunderstanding/analyzerResults/")
    first = CHECK({"operationId": "op-1", "operation": operation})
    assert first["kind"] == "status" and first["status"] in ("NotStarted", "Running", "Succeeded")
    done = poll_to_end(operation)
    assert done["status"] == "Succeeded"
    assert done["result"]["id"] == operation["operation_id"]
    assert done["result"]["result"]["contents"][0]["fields"]


def test_file_ids_are_sent_as_read_only_sas_urls(sim):
    submitted = SUBMIT(job({"fileId": "invoices/a.pdf"}, group="ABCDEF1234"))
    assert submitted["ok"] is True
    done = poll_to_end(submitted["operation"])
    assert done["status"] == "Succeeded"


def test_failed_analysis_is_a_status_with_the_service_error(sim):
    submitted = SUBMIT(job({"url": "https://files.example.com/a.pdf?sim_outcome=failed&sim_duration=0.1"}))
    done = poll_to_end(submitted["operation"])
    assert done["kind"] == "status" and done["status"] == "Failed"
    assert done["error"]["code"] and done["error"]["message"]
    assert done["result"] is None


def test_unknown_analyzer_is_a_permanent_submit_failure(sim):
    submitted = SUBMIT(job({"url": "https://files.example.com/a.pdf"}, analyzer="no-such-analyzer"))
    assert submitted["ok"] is False
    assert submitted["error"]["code"]
    assert sim.stats()["operations"] == 0


def test_transient_submit_failure_is_raised_for_the_durable_retry(sim):
    sim.configure(submit_fail=100)
    with pytest.raises(TransientServiceError):
        SUBMIT(job({"url": "https://files.example.com/a.pdf"}))


def test_throttled_check_comes_back_as_data_with_retry_after(sim):
    submitted = SUBMIT(job({"url": "https://files.example.com/a.pdf?sim_throttle=50&sim_retry_after=1"}))
    check = CHECK({"operationId": "op-1", "operation": submitted["operation"]})
    # The client retries 429s within its attempt budget; then the activity returns data, not an error.
    assert check["kind"] == "transient_error"
    assert check["error"]["code"]
    assert check["retryAfter"] == 1
    assert sim.stats()["responses_by_status"]["429"] >= 2


def test_vanished_operation_is_a_permanent_check_failure(sim):
    submitted = SUBMIT(job({"url": "https://files.example.com/a.pdf"}))
    sim.reset()
    check = CHECK({"operationId": "op-1", "operation": submitted["operation"]})
    assert check["kind"] == "permanent_error"
    assert check["error"]["code"]
