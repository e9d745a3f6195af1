"""The product over HTTP only: what the frontend and an operator see."""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import requests

from tests.e2e.conftest import E2E_TIMEOUT_SECONDS, INPUT_CONTAINER, SIM_KEY
from tests.e2e.helpers import (
    ANALYZER,
    DOC,
    HOST_KEY_HEADER,
    analyze,
    final_answer,
    instance_count,
    poll,
    principal,
    results,
    start,
    submit_to_service,
)
from tests.support import blob_container, wait_until


def test_seed_test_1_submit_then_processing_then_result(stack):
    response = analyze(stack, f"{DOC}?sim_duration=2")
    assert response.status_code == 202
    body = response.json()
    operation_id = body["operationId"]
    assert body["status"] == "submitted"
    assert body["analyzerId"] == ANALYZER
    assert body["resultsEndpoint"] == f"/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"
    assert response.headers["Location"] == body["resultsEndpoint"]
    assert int(response.headers["Retry-After"]) > 0

    # The POST did not wait for the analysis: it is still processing right after.
    first = results(stack, operation_id)
    assert first.status_code == 202
    processing = first.json()
    assert processing["status"] == "processing"
    assert isinstance(processing["elapsed_seconds"], int | float)
    assert set(processing["progress"]) >= {"azureStatus", "attempts", "lastCheckedAt", "phase", "filesTotal"}
    assert first.headers["Retry-After"]

    final = poll(stack, operation_id)[-1]
    assert final.status_code == 200
    result = final.json()
    assert result["status"] == "Succeeded"
    assert result["id"]
    assert result["result"]["contents"][0]["fields"]
    assert "usage" in result


def test_seed_test_2_every_poll_is_202_until_the_single_200(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=3")
    seen = poll(stack, operation_id, interval=0.25)
    codes = [response.status_code for response in seen]
    assert codes[-1] == 200
    assert set(codes[:-1]) == {202}
    assert len(codes) >= 5  # it really was polled while running
    elapsed = [response.json()["elapsed_seconds"] for response in seen[:-1]]
    assert elapsed == sorted(elapsed)


def test_results_stay_readable_after_the_first_read(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=0.5")
    first = poll(stack, operation_id)[-1]
    second = results(stack, operation_id)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


def test_failed_analysis_answers_500_with_the_service_error(stack):
    operation_id = start(stack, f"{DOC}?sim_outcome=failed&sim_duration=0.5")
    final = poll(stack, operation_id)[-1]
    assert final.status_code == 500
    body = final.json()
    assert body["status"] == "failed"
    assert body["operationId"] == operation_id
    assert body["code"] and body["message"]


def test_stuck_analysis_times_out_with_a_500_timeout_body(stack):
    # A host the tests did not start tells its compressed timeout (CI's real-host jobs do).
    timeout = E2E_TIMEOUT_SECONDS if stack.local else float(os.environ.get("E2E_ANALYSIS_TIMEOUT_SECONDS") or 0)
    if not timeout:
        pytest.skip("needs the host's compressed ANALYSIS_TIMEOUT_SECONDS (E2E_ANALYSIS_TIMEOUT_SECONDS)")
    operation_id = start(stack, f"{DOC}?sim_outcome=stuck")
    final = poll(stack, operation_id, timeout=timeout + 20)[-1]
    assert final.status_code == 500
    body = final.json()
    assert body["status"] == "timeout"
    assert body["code"] == "Timeout"
    assert body["elapsed_seconds"] >= timeout


def test_cancel_terminates_and_later_gets_say_canceled(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=30")
    url = f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"
    canceled = requests.delete(url, timeout=10)
    assert canceled.status_code == 202
    final = poll(stack, operation_id)[-1]
    assert final.status_code == 500
    assert final.json()["status"] == "canceled"
    again = requests.delete(url, timeout=10)
    assert again.status_code == 409


def test_unknown_operation_is_404(stack):
    response = results(stack, str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["code"] == "OperationNotFound"
    assert results(stack, "not a valid id!").status_code == 404


def test_operation_ids_from_the_service_are_not_looked_up_by_default(stack):
    """Any caller holding a service operation id (it is in every 200 body) must not read it through us."""
    if not stack.simulator_url:
        pytest.skip("needs the simulator's URL (E2E_SIMULATOR_URL)")
    legacy_id = submit_to_service(stack.simulator_url, f"{DOC}?sim_duration=0")
    assert results(stack, legacy_id).status_code == 404


def test_legacy_lookup_serves_only_old_operations_to_signed_in_callers(private_host, simulator_process):
    legacy_id = submit_to_service(simulator_process.ready_url, f"{DOC}?sim_duration=0")
    cutover = datetime.now(timezone.utc).isoformat()
    host = private_host(
        AUTH_MODE="appservice",
        LEGACY_RESULTS_LOOKUP="true",
        LEGACY_RESULTS_CUTOVER=cutover,
        LEGACY_LOOKUP_PER_MINUTE="2",
    )
    alice = principal("alice-oid")
    assert results(None, legacy_id, base_url=host.ready_url).status_code == 401  # not signed in
    served = results(None, legacy_id, base_url=host.ready_url, headers=alice)
    assert served.status_code == 200 and served.json()["id"] == legacy_id
    # An operation this app submitted after the cutover is never readable through its service id.
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    ours = requests.post(f"{base}:analyze", json={"inputFiles": [DOC]}, headers=alice, timeout=10).json()
    done = final_answer(f"{base}/results/{ours['operationId']}", headers=alice)
    service_id = done.json()["id"]
    assert results(None, service_id, base_url=host.ready_url, headers=alice).status_code == 404
    # Lookups are rate-limited per caller: two a minute were used above, the third is refused.
    throttled = results(None, str(uuid.uuid4()), base_url=host.ready_url, headers=alice)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "LEGACY_LOOKUP_PER_MINUTE" in throttled.json()["message"]  # the one 429 of the per-caller limits


def test_a_caller_cannot_act_for_a_group_it_is_not_in(private_host):
    host = private_host(
        AUTH_MODE="appservice", INPUT_CONTAINER_URL="https://acct.blob.core.windows.net/pro-input-files"
    )
    url = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze"
    before = instance_count(host)
    mallory = {**principal("mallory-oid", "group-m"), "X-Group-ID": "group-a"}
    refused = requests.post(url, json={"inputFiles": ["invoices/a.pdf"]}, headers=mallory, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "GroupNotGranted"
    unsigned = requests.post(url, json={"inputFiles": ["invoices/a.pdf"]}, timeout=10)
    assert unsigned.status_code == 401 and unsigned.headers["WWW-Authenticate"].startswith("Bearer")
    assert instance_count(host) == before  # nothing started
    # A member acts for the group; the operation is then invisible to everybody else, even other members' users.
    alice = {**principal("alice-oid", "group-a"), "X-Group-ID": "group-a"}
    operation_id = requests.post(url, json={"inputFiles": ["invoices/a.pdf"]}, headers=alice, timeout=10).json()[
        "operationId"
    ]
    read = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"
    assert requests.get(read, headers=alice, timeout=10).status_code in (200, 202)
    assert requests.get(read, headers=principal("alice-oid"), timeout=10).status_code == 404  # her own scope
    assert requests.get(read, headers=mallory, timeout=10).status_code == 403
    assert (
        requests.delete(
            read, headers={**principal("bob-oid", "group-b"), "X-Group-ID": "group-b"}, timeout=10
        ).status_code
        == 404
    )


def test_a_group_id_that_names_no_legacy_container_is_refused_before_anything_starts(private_host):
    host = private_host(
        AUTH_MODE="appservice",
        INPUT_CONTAINER_URL="https://acct.blob.core.windows.net/pro-input-files",
        INPUT_CONTAINER_LAYOUT="legacy-group-prefix",
    )
    url = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze"
    before = instance_count(host)
    underscored = {**principal("alice-oid", "team_one"), "X-Group-ID": "team_one"}  # `pro-input-files-group-team_one`
    refused = requests.post(url, json={"inputFiles": ["invoices/a.pdf"]}, headers=underscored, timeout=10)
    assert refused.status_code == 400 and refused.json()["code"] == "InvalidGroupId"
    assert instance_count(host) == before
    # URLs need no container: the same caller may still send them.
    assert requests.post(url, json={"inputFiles": [DOC]}, headers=underscored, timeout=10).status_code == 202
    fine = {**principal("alice-oid", "teamone1"), "X-Group-ID": "teamone1"}
    assert requests.post(url, json={"inputFiles": ["invoices/a.pdf"]}, headers=fine, timeout=10).status_code == 202


def test_analyzer_and_group_must_match_the_operation(stack):
    group = {"X-Group-ID": "team-one-123"}
    operation_id = start(stack, f"{DOC}?sim_duration=0.5", headers=group)
    assert results(stack, operation_id, headers=group).status_code in (200, 202)
    assert results(stack, operation_id).status_code == 404
    assert results(stack, operation_id, headers={"X-Group-ID": "team-two-456"}).status_code == 404
    assert results(stack, operation_id, analyzer="prebuilt-layout", headers=group).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"inputFiles": []}, "InvalidInputFiles"),
        ({"analyzerId": "other"}, "AnalyzerIdMismatch"),
        ({"inputFiles": ["https://169.254.169.254/latest/meta-data"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://elsewhere.org/a.pdf"]}, "InputHostNotAllowed"),
        ({"inputFiles": ["../etc/passwd"]}, "InvalidFileId"),
        ({"inputFiles": [DOC], "pages": "3-1"}, "InvalidRequest"),
    ],
)
def test_invalid_requests_are_400_and_start_nothing(stack, body, code):
    counting = stack.host is not None
    before = instance_count(stack.host) if counting else 0
    payload = {"analyzerId": ANALYZER, "inputFiles": [DOC], **body}
    response = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze", json=payload, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    if counting:
        assert instance_count(stack.host) == before


def test_invalid_json_and_bad_analyzer_ids_are_400(stack):
    url = f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze"
    assert requests.post(url, data=b"{nope", timeout=10).json()["code"] == "InvalidJson"
    bad = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/bad$id:analyze", json={"inputFiles": [DOC]}, timeout=10
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "InvalidAnalyzerId"


def test_idempotency_key_gives_one_operation_even_when_requests_race(stack):
    key = {"Idempotency-Key": f"order-{uuid.uuid4()}"}
    before = requests.get(f"{stack.simulator_url}/_sim/stats", timeout=5).json() if stack.simulator_url else None
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: analyze(stack, f"{DOC}?sim_duration=1", headers=key), range(6)))
    assert {r.status_code for r in responses} == {202}
    ids = {r.json()["operationId"] for r in responses}
    assert len(ids) == 1
    operation_id = ids.pop()
    assert poll(stack, operation_id)[-1].status_code == 200
    if before is not None:
        after = requests.get(f"{stack.simulator_url}/_sim/stats", timeout=5).json()
        assert after["status_calls_by_operation"].keys() - before["status_calls_by_operation"].keys() == {
            results(stack, operation_id).json()["id"]
        }
    # The same key with a different request is refused, not silently merged.
    conflict = analyze(stack, "https://files.example.com/other.pdf", headers=key)
    assert conflict.status_code == 409
    # Another group may use the same key independently.
    other = analyze(stack, f"{DOC}?sim_duration=0.5", headers={**key, "X-Group-ID": "another-group"})
    assert other.status_code == 202 and other.json()["operationId"] != operation_id


def test_fifty_analyses_at_once_all_complete(stack):
    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = list(pool.map(lambda i: start(stack, f"{DOC}?n={i}&sim_duration=1"), range(50)))
    assert len(set(ids)) == 50
    pending = set(ids)

    def all_done():
        for operation_id in list(pending):
            response = results(stack, operation_id)
            assert response.status_code in (200, 202), response.text
            if response.status_code == 200:
                pending.discard(operation_id)
        return not pending

    wait_until(all_done, timeout=90, interval=0.5, message=f"{len(pending)} analyses did not complete")


def test_host_killed_mid_analysis_finishes_after_restart(private_host):
    host = private_host()
    response = requests.post(
        f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze",
        json={"inputFiles": [f"{DOC}?sim_duration=3"]},
        timeout=10,
    )
    operation_id = response.json()["operationId"]
    status_url = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"
    wait_until(lambda: (requests.get(status_url, timeout=5).json().get("progress") or {}).get("attempts", 0) >= 1)
    host.kill()  # SIGKILL: no chance to flush or say goodbye

    restarted = private_host()  # same state dir
    final = final_answer(f"{restarted.ready_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}")
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "Succeeded"


def test_no_key_or_sas_signature_reaches_the_logs(stack):
    if not stack.local:
        pytest.skip("reads the local host's output")
    marker = f"sig-{uuid.uuid4().hex}"
    file_id = f"invoices/{uuid.uuid4().hex}.pdf"
    if stack.azurite is not None:  # the blob exists: the operation succeeds; without Azurite it cannot be read
        blob_container(stack.azurite, INPUT_CONTAINER).upload_blob(file_id, b"%PDF-1.7 an invoice")
    operation_id = start(stack, f"{DOC}?sv=2024-01-01&sig={marker}&sim_duration=0.3", file_id)
    assert poll(stack, operation_id)[-1].status_code == (200 if stack.azurite is not None else 500)
    ended = "returning results for" if stack.azurite is not None else "Analysis failed for"
    completed = f"{ended} {operation_id}"
    # A log line may arrive after the HTTP answer: wait for the last one this operation writes.
    output = wait_until(lambda: text if completed in (text := "\n".join(stack.host.lines)) else None, timeout=10)
    assert operation_id in output  # the operator can follow the operation...
    assert marker not in output  # ...but never sees the caller's SAS signature,
    assert "sig=" not in output  # nor the one minted for the file id,
    assert SIM_KEY not in output  # nor the Content Understanding key.


def test_each_file_is_its_own_analysis_and_the_200_merges_them_in_input_order(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=0.6", "https://files.example.com/receipt.pdf?sim_duration=0.2")
    final = poll(stack, operation_id)[-1]
    assert final.status_code == 200, final.text
    body = final.json()
    assert (body["id"], body["status"]) == (operation_id, "Succeeded")
    contents = body["result"]["contents"]
    assert len(contents) == 2 and all(c["fields"] for c in contents)
    assert body["usage"]["documentPagesStandard"] == 2  # summed over the two analyses


def test_a_single_file_operation_returns_the_service_body_unchanged(stack):
    operation_id = start(stack, f"{DOC}?sim_duration=0.2")
    body = poll(stack, operation_id)[-1].json()
    assert body["id"] != operation_id and len(body["id"]) == 36  # the service's own operation id
    assert body["result"]["contents"][0]["fields"]


def test_a_failed_file_fails_the_operation_naming_the_file(stack):
    failing = "https://files.example.com/broken.pdf?sim_outcome=failed&sim_duration=0.2"
    operation_id = start(stack, f"{DOC}?sim_duration=5", failing)
    final = poll(stack, operation_id)[-1]
    assert final.status_code == 500
    body = final.json()
    assert (body["error"], body["status"]) == ("Analysis failed", "failed")
    assert "inputFiles[1] (https://files.example.com/broken.pdf)" in body["message"]
    assert "sim_outcome" not in body["message"]  # no query string (a SAS lives there) in messages


def test_purge_removes_finished_operations_and_keeps_running_ones(private_host):
    host = private_host(RESULT_TTL_SECONDS="1")
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    finished = requests.post(f"{base}:analyze", json={"inputFiles": [f"{DOC}?sim_duration=0.2"]}, timeout=10)
    running = requests.post(f"{base}:analyze", json={"inputFiles": [f"{DOC}?sim_outcome=stuck"]}, timeout=10)
    finished_url = f"{base}/results/{finished.json()['operationId']}"
    running_url = f"{base}/results/{running.json()['operationId']}"
    wait_until(lambda: requests.get(finished_url, timeout=5).status_code == 200)

    def purged() -> bool:
        purge = f"{host.ready_url}/admin/functions/purge_finished_operations"
        requests.post(purge, json={}, headers=HOST_KEY_HEADER, timeout=5)
        return requests.get(finished_url, timeout=5).status_code == 404

    wait_until(purged, timeout=20, interval=0.5, message="the finished operation was never purged")
    assert requests.get(running_url, timeout=5).status_code == 202
    wait_until(lambda: "[Retention] Purged" in "\n".join(host.lines), timeout=10, message="no purge log line")


def test_service_refusing_the_app_is_reported_not_hidden(private_host):
    cutover = datetime.now(timezone.utc).isoformat()
    host = private_host(
        CONTENT_UNDERSTANDING_KEY="wrong-key",
        AUTH_MODE="appservice",
        LEGACY_RESULTS_LOOKUP="true",
        LEGACY_RESULTS_CUTOVER=cutover,
    )
    alice = principal("alice-oid")
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    # A permanent submit failure ends the operation as failed, with the service's code and message.
    operation_id = requests.post(f"{base}:analyze", json={"inputFiles": [DOC]}, headers=alice, timeout=10).json()[
        "operationId"
    ]
    final = final_answer(f"{base}/results/{operation_id}", headers=alice)
    assert final.status_code == 500
    assert final.json()["status"] == "failed"
    assert final.json()["code"] == "401"
    assert "inputFiles[0]" in final.json()["message"]
    # A direct status check the service refuses is a 502, not a misleading 404.
    legacy = requests.get(f"{base}/results/{uuid.uuid4()}", headers=alice, timeout=10)
    assert legacy.status_code == 502
    assert legacy.json()["message"]


def test_health_tells_anonymous_callers_only_its_status(stack, private_host):
    """Issue 16 item 9: anonymous /health told authMode, environment and the credential kind."""
    healthy = requests.get(f"{stack.base_url}/health", timeout=10)
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok"}
    refused = private_host(CONTENT_UNDERSTANDING_KEY="wrong-key", AUTH_MODE="appservice")
    degraded = requests.get(f"{refused.ready_url}/health", timeout=10)  # anonymous even when callers must sign in
    assert degraded.status_code == 200
    assert degraded.json() == {"status": "degraded"}
    signed_in = requests.get(f"{refused.ready_url}/health", headers=principal("ops-user"), timeout=10)
    details = signed_in.json()
    assert details["status"] == "degraded"
    assert details["taskHub"]["reachable"] is True
    assert details["contentUnderstanding"]["credentialsAccepted"] is False
    assert details["app"]["authMode"] == "appservice"
    assert "wrong-key" not in signed_in.text


def test_health_details_can_be_opened_to_anonymous_callers_by_a_setting(private_host):
    opened = private_host(HEALTH_DETAILS_ANONYMOUS="true")
    body = requests.get(f"{opened.ready_url}/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["contentUnderstanding"]["credentialsAccepted"] is True
    assert SIM_KEY not in json.dumps(body)


def test_missing_model_deployments_say_how_to_set_them(stack):
    if not stack.simulator_url:
        pytest.skip("needs the simulator's URL (E2E_SIMULATOR_URL) to remove its default model deployments")
    defaults = f"{stack.simulator_url}/contentunderstanding/defaults?api-version=2025-11-01"
    key = {"Ocp-Apim-Subscription-Key": SIM_KEY}
    saved = requests.get(defaults, headers=key, timeout=10).json()["modelDeployments"]
    requests.patch(defaults, json={"modelDeployments": dict.fromkeys(saved)}, headers=key, timeout=10)
    try:
        final = poll(stack, start(stack, f"{DOC}?sim_duration=0.2"))[-1]
    finally:
        requests.patch(defaults, json={"modelDeployments": saved}, headers=key, timeout=10)
    assert final.status_code == 500
    message = final.json()["message"]
    assert "ModelDeploymentNotFound" in message
    assert "PATCH {endpoint}/contentunderstanding/defaults" in message


def test_analyzer_ids_are_validated_on_get_and_delete_and_never_echoed(stack):
    for method in ("GET", "DELETE"):
        answer = requests.request(
            method, f"{stack.base_url}/pro-mode/content-analyzers/bad$id<x>/results/an-1", timeout=10
        )
        assert (answer.status_code, answer.json()["code"]) == (400, "InvalidAnalyzerId")
        assert "Location" not in answer.headers


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(stack):
    body = b'{"inputFiles": ["' + b"x" * (2 * 1024 * 1024) + b'"]}'
    answer = requests.post(f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze", data=body, timeout=30)
    assert answer.status_code == 413
    assert (answer.json()["error"], answer.json()["code"]) == ("Request too large", "RequestTooLarge")
