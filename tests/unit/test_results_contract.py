"""The JSON the frontend sees, for every state an operation can be in."""

import pytest

from domain.analysis_outcome import analysis_output, file_error
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
    assert answer == ResultsToRead("op-1", (LOCATION,), 42.25)


def test_one_files_result_is_the_service_body_unchanged():
    assert merged_result("op-1", [BODY]) is BODY


def single_input_body(name, pages, contents=1, warnings=()):
    """A GA single-input result: every content is `input1`, whatever the file."""
    return {
        "id": f"svc-{name}",
        "status": "Succeeded",
        "result": {
            "analyzerId": "a",
            "apiVersion": "2025-11-01",
            "createdAt": f"2026-01-01T00:00:0{pages}Z",
            "stringEncoding": "codePoint",
            "warnings": [{"code": w, "message": w} for w in warnings],
            "contents": [{"path": "input1", "markdown": f"{name}-{i}"} for i in range(contents)],
        },
        "usage": {"documentPagesStandard": pages, "tokens": {"gpt-4.1-input": 10}},
    }


def test_several_files_merge_into_the_service_shape_labelled_by_input_like_pro_mode():
    bodies = [
        single_input_body("first", 2, contents=2, warnings=["W1"]),
        single_input_body("second", 3, warnings=["W2"]),
    ]
    merged = merged_result("op-1", bodies)
    assert (merged["id"], merged["status"]) == ("op-1", "Succeeded")
    contents = merged["result"]["contents"]
    assert [(c["path"], c["markdown"]) for c in contents] == [
        ("input1", "first-0"),
        ("input1", "first-1"),
        ("input2", "second-0"),
    ]
    assert [(w["path"], w["code"]) for w in merged["result"]["warnings"]] == [("input1", "W1"), ("input2", "W2")]
    assert merged["result"]["stringEncoding"] == "codePoint"
    assert merged["result"]["createdAt"] == "2026-01-01T00:00:02Z"
    assert merged["usage"] == {"documentPagesStandard": 5, "tokens": {"gpt-4.1-input": 20}}
    assert bodies[1]["result"]["contents"][0]["path"] == "input1"  # the service's bodies are not changed


def test_a_sub_path_keeps_its_tail_and_a_missing_path_is_added():
    first = single_input_body("a", 1)
    second = single_input_body("b", 1)
    second["result"]["contents"] = [{"path": "input1/page2"}, {"kind": "document"}]
    merged = merged_result("op-1", [first, second])
    assert [c["path"] for c in merged["result"]["contents"]] == ["input1", "input2/page2", "input2"]


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


def test_an_ended_operation_answers_the_same_on_every_get():
    """The elapsed time of an ended operation comes from stored times, never from the clock of the GET."""
    custom = {"phase": "polling", "elapsedSeconds": 9.6, "checks": 3}
    first = answer_for_orchestration("Terminated", "Canceled by the caller.", custom, "op-1", "a", 9.61, 5)
    again = answer_for_orchestration("Terminated", "Canceled by the caller.", custom, "op-1", "a", 9.61, 5)
    assert first == again and first.body["elapsed_seconds"] == 9.6


def test_the_file_that_decided_the_outcome_is_named_in_the_500():
    error = file_error(1, {"url": "https://x.example/b.pdf?sig=s"}, {"code": "InvalidContent", "message": "bad"})
    answer = orchestration("Completed", output("failed", error=error))
    assert answer.body["file"] == 1
    assert answer.body["message"].startswith("inputFiles[1] (https://x.example/b.pdf) failed: bad")
    assert "sig=" not in answer.body["message"]


def test_a_service_side_cancel_has_its_own_code_and_message():
    error = file_error(0, {"url": "https://x.example/a.pdf"}, None, outcome="canceled")
    answer = orchestration("Completed", output("canceled", error=error))
    assert (answer.body["status"], answer.body["error"]) == ("canceled", "Analysis canceled")
    assert answer.body["code"] == "ServiceCanceled"
    assert answer.body["message"] == "inputFiles[0] (https://x.example/a.pdf) was canceled by Content Understanding."
    caller = orchestration("Terminated", "Canceled by the caller.")
    assert caller.body["code"] == "Canceled" and caller.body["code"] != answer.body["code"]


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
