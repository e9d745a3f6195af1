"""What the frontend (POST, then a GET every 5 s) and support see, over HTTP against the local stack: one file's
result as the service's body byte for byte, merged results labelled by input, ended answers that never change,
a service-side cancel told apart from the caller's, the file that decided an outcome, one client request id per
Content Understanding request, processingLocation, and a path the host matches the way the Functions host does."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.conftest import SIM_KEY
from tests.e2e.helpers import ANALYZER, DOC, poll, results, start
from tests.support import wait_until


def sim_stats(stack) -> dict:
    return requests.get(f"{stack.simulator_url}/_sim/stats", timeout=5).json()


def test_two_files_merge_labelled_by_input_like_pro_mode(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=0.4", "https://files.example.com/receipt.pdf?sim_duration=0.1")
    body = poll(stack, operation_id)[-1].json()
    contents = body["result"]["contents"]
    assert [c["path"] for c in contents] == ["input1", "input2"]  # each single-input result said "input1"
    assert body["result"]["stringEncoding"] == "codePoint"


def test_one_files_result_is_the_services_body_byte_for_byte(stack):
    if not stack.simulator_url:
        pytest.skip("needs the simulator's URL (E2E_SIMULATOR_URL) to read the service's body")
    operation_id = start(stack, f"{DOC}?sim_duration=0.2")
    ours = poll(stack, operation_id)[-1]
    assert ours.status_code == 200
    service = requests.get(
        f"{stack.simulator_url}/contentunderstanding/analyzerResults/{ours.json()['id']}",
        params={"api-version": "2025-11-01"},
        headers={"Ocp-Apim-Subscription-Key": SIM_KEY},
        timeout=10,
    )
    assert service.status_code == 200
    assert ours.content == service.content


def test_an_ended_operations_500_is_the_same_on_every_get(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=30")
    url = f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"
    assert requests.delete(url, timeout=10).status_code == 202
    first = poll(stack, operation_id)[-1]
    time.sleep(1.2)  # the stored times, not the clock of the GET, decide elapsed_seconds
    again = results(stack, operation_id)
    assert first.status_code == again.status_code == 500
    assert first.json() == again.json()
    assert (first.json()["code"], first.json()["status"]) == ("Canceled", "canceled")


def test_a_cancel_by_the_service_is_not_a_failure_nor_the_callers_cancel(stack):
    operation_id = start(stack, DOC, "https://files.example.com/b.pdf?sim_outcome=canceled&sim_duration=0.2")
    body = poll(stack, operation_id)[-1].json()
    assert (body["error"], body["status"], body["code"]) == ("Analysis canceled", "canceled", "ServiceCanceled")
    assert body["file"] == 1
    assert body["message"].startswith(
        "inputFiles[1] (https://files.example.com/b.pdf) was canceled by Content Understanding"
    )


def test_a_failed_file_is_named_in_the_500s_file_field(stack):
    operation_id = start(stack, "https://files.example.com/broken.pdf?sim_outcome=failed&sim_duration=0.1")
    body = poll(stack, operation_id)[-1].json()
    assert (body["status"], body["file"], body["code"]) == ("failed", 0, "InvalidContent")


def test_every_content_understanding_request_has_its_own_client_request_id(stack):
    if not stack.simulator_url:
        pytest.skip("needs the simulator's URL (E2E_SIMULATOR_URL)")
    operation_id = start(stack, f"{DOC}?sim_duration=0.6", "https://files.example.com/b.pdf?sim_duration=0.3")
    assert poll(stack, operation_id)[-1].status_code == 200
    assert results(stack, operation_id).json()["id"] == operation_id  # the results are read again
    sent = [rid for _method, path, rid in sim_stats(stack)["client_requests"] if rid is not None]
    # 2 submits, at least 2 checks, 2 result reads: each request its own id (never one per operation)
    assert len(sent) >= 6 and all(uuid.UUID(rid) for rid in sent)
    assert len(set(sent)) == len(sent), "a client request id was sent twice"


def test_the_processing_location_setting_goes_on_every_analyze(private_host, stack):
    host = private_host(CONTENT_UNDERSTANDING_PROCESSING_LOCATION="dataZone")
    before = sim_stats(stack)["processing_locations"].get("dataZone", 0)
    response = requests.post(
        f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze",
        json={"inputFiles": [f"{DOC}?sim_duration=0", DOC]},
        timeout=10,
    )
    assert response.status_code == 202
    wait_until(lambda: sim_stats(stack)["processing_locations"].get("dataZone", 0) == before + 2, 20, 0.1)


def test_a_bad_analyzer_id_reaches_the_app_whatever_its_case_folding(stack):
    """`ß` folds to `ss` in full case folding; the Functions host compares ordinally, and so does devhost."""
    for method, path in [
        ("POST", "/pro-mode/content-analyzers/%C3%9F:analyze"),
        ("GET", "/pro-mode/content-analyzers/%C3%9F/results/an-0123"),
        ("DELETE", "/pro-mode/content-analyzers/stra%C3%9Fe/results/an-0123"),
    ]:
        response = requests.request(method, f"{stack.base_url}{path}", json={"inputFiles": [DOC]}, timeout=10)
        assert response.status_code == 400, (method, path, response.status_code, response.text)
        assert response.json()["code"] == "InvalidAnalyzerId"
