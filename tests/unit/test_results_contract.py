"""The JSON the frontend sees, for every state an operation can be in."""

import pytest

from domain.analysis_outcome import analysis_output
from domain.results_contract import (
    ResultsToRead,
    answer_for_orchestration,
    answer_for_service_status,
    error_answer,
    merged_result,
    submitted_answer,
)

BODY = {
    "id": "azure-1",
    "status": "Succeeded",
    "result": {"contents": [{"fields": {"A": {"type": "string"}}}]},
    "usage": {},
}


LOCATION = "https://cu.example/contentunderstanding/analyzerResults/azure-1?api-version=2025-11-01"
FILES = [{"serviceOperationId": "azure-1", "operationLocation": LOCATION, "serviceStatus": "Succeeded"}]


def output(outcome, **kwargs):
    return analysis_output(
        outcome,
        analyzer_id="prebuilt-invoice",
        files=FILES,
        checks=3,
        elapsed_seconds=42.25,
        completed_at="2026-11-29T12:00:42+00:00",
        **kwargs,
    )


def orchestration(runtime_status, out=None, custom=None, elapsed=12.34):
    return answer_for_orchestration(runtime_status, out, custom, "op-1", "prebuilt-invoice", elapsed, 5)


def test_submitted_answer_is_what_the_seed_promised():
    answer = submitted_answer("op-1", "prebuilt-invoice", 5)
    assert answer.status == 202
    assert answer.body["status"] == "submitted"
    assert answer.body["operationId"] == "op-1"
    assert answer.body["resultsEndpoint"] == "/pro-mode/content-analyzers/prebuilt-invoice/results/op-1"
    assert answer.headers == {"Location": answer.body["resultsEndpoint"], "Retry-After": "5"}


@pytest.mark.parametrize("runtime_status", ["Pending", "Running", "ContinuedAsNew", "Suspended"])
def test_running_operations_answer_202_processing_with_progress(runtime_status):
    custom = {
        "phase": "polling",
        "serviceStatus": "Running",
        "outcome": None,
        "checks": 4,
        "lastCheckedAt": "2026-11-29T12:00:10+00:00",
        "filesTotal": 2,
        "filesDone": 1,
    }
    answer = orchestration(runtime_status, custom=custom)
    assert answer.status == 202
    assert answer.body["status"] == "processing"
    assert answer.body["elapsed_seconds"] == 12.3
    assert answer.body["progress"] == {
        "phase": "polling",
        "azureStatus": "Running",
        "attempts": 4,
        "lastCheckedAt": "2026-11-29T12:00:10+00:00",
        "filesTotal": 2,
        "filesDone": 1,
        "nextCheckAt": None,
        "expectedCompletionAt": None,
    }
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["Location"].endswith("/results/op-1")


@pytest.mark.parametrize(
    ("seconds_to_next_check", "retry_after"),
    [(3.2, "4"), (0.2, "1"), (-0.3, "1"), (-0.6, "2"), (-1.2, "2"), (-4, "4"), (-30, "10"), (42, "10"), (9.4, "10")],
)
def test_retry_after_says_when_the_next_check_lands(seconds_to_next_check, retry_after):
    """Before the check: until it lands. Overdue (a late timer): the lateness, never below the floor of 2 s."""
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
    next_check = (now + timedelta(seconds=seconds_to_next_check)).isoformat()
    expected = (now + timedelta(seconds=60)).isoformat()
    custom = {"phase": "polling", "checks": 2, "nextCheckAt": next_check, "expectedCompletionAt": expected}
    answer = answer_for_orchestration("Running", None, custom, "op-1", "prebuilt-invoice", 10.0, 5, now)
    assert answer.headers["Retry-After"] == retry_after
    assert answer.body["progress"]["nextCheckAt"] == next_check
    assert answer.body["progress"]["expectedCompletionAt"] == expected
    assert answer.body["progress"]["attempts"] == 2  # the existing fields stay


def test_pending_without_custom_status_still_has_a_progress_object():
    answer = orchestration("Pending")
    assert answer.body["progress"]["azureStatus"] is None
    assert (answer.body["progress"]["phase"], answer.body["progress"]["attempts"]) == ("submitting", 0)


def test_success_says_where_to_read_the_result():
    answer = orchestration("Completed", output("succeeded"))
    assert answer == ResultsToRead("op-1", (LOCATION,))


def test_one_files_result_is_the_service_body_unchanged():
    assert merged_result("op-1", [BODY]) is BODY


def test_several_files_merge_into_the_service_shape_in_input_order():
    def body(name, pages):
        return {
            "id": f"svc-{name}",
            "status": "Succeeded",
            "result": {"analyzerId": "a", "apiVersion": "2025-11-01", "warnings": [], "contents": [{"path": name}]},
            "usage": {"documentPagesStandard": pages, "tokens": {"gpt-4.1-input": 10}},
        }

    merged = merged_result("op-1", [body("first", 2), body("second", 3)])
    assert (merged["id"], merged["status"]) == ("op-1", "Succeeded")
    assert [c["path"] for c in merged["result"]["contents"]] == ["first", "second"]
    assert merged["usage"] == {"documentPagesStandard": 5, "tokens": {"gpt-4.1-input": 20}}


@pytest.mark.parametrize(
    ("outcome", "error", "code"),
    [
        ("failed", {"code": "InvalidContent", "message": "corrupt"}, "InvalidContent"),
        ("canceled", {"code": "Canceled", "message": "The service canceled it."}, "Canceled"),
        ("timeout", {"code": "Timeout", "message": "too slow"}, "Timeout"),
    ],
)
def test_ended_without_result_answers_500_with_the_error(outcome, error, code):
    answer = orchestration("Completed", output(outcome, error=error))
    assert answer.status == 500
    assert answer.body["status"] == outcome
    assert answer.body["code"] == code
    assert answer.body["operationId"] == "op-1"
    assert answer.body["elapsed_seconds"] == 42.2


def test_terminated_orchestration_reads_as_canceled():
    answer = orchestration("Terminated", "Canceled by the caller.")
    assert answer.status == 500
    assert answer.body["status"] == "canceled"
    assert (answer.body["code"], answer.body["message"]) == ("Canceled", "Canceled by the caller.")
    assert answer.body["error"] == "Analysis canceled"


def test_failed_orchestration_does_not_leak_internals():
    answer = orchestration("Failed", "Traceback (most recent call last): ... secret")
    assert answer.status == 500
    assert answer.body["status"] == "failed"
    assert answer.body["code"] == "OrchestrationFailed"
    assert "Traceback" not in str(answer.body)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("NotStarted", 202), ("running", 202), ("Succeeded", 200), ("Failed", 500), ("canceled", 500)],
)
def test_direct_service_status_maps_the_same_way(status, expected):
    answer = answer_for_service_status(
        status, BODY, {"code": "Bad", "message": "bad input"}, "op-9", "prebuilt-invoice", 5
    )
    assert answer.status == expected
    if expected == 200:
        assert answer.body == BODY
    if expected == 500:
        assert (answer.body["code"], answer.body["message"]) == ("Bad", "bad input")
        assert answer.body["error"] == {"failed": "Analysis failed", "canceled": "Analysis canceled"}[status.lower()]


@pytest.mark.parametrize("outcome", ["failed", "canceled", "timeout"])
def test_ended_body_reads_like_the_old_backend_failure(outcome):
    """The old frontend reads a string `error` and a top-level `message`: "[object Object]" must be impossible."""
    answer = orchestration("Completed", output(outcome, error={"code": "X", "message": "Readable reason."}))
    assert isinstance(answer.body["error"], str) and answer.body["error"].startswith("Analysis ")
    assert answer.body["message"] == "Readable reason."
    assert answer.body["code"] == "X"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 429, 500, 502, 503])
def test_every_error_answer_has_the_same_shape(status):
    answer = error_answer(status, "SomeCode", "What went wrong.")
    assert answer.status == status
    assert isinstance(answer.body["error"], str) and answer.body["error"]
    assert (answer.body["message"], answer.body["code"]) == ("What went wrong.", "SomeCode")
