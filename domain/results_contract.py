"""The JSON the existing frontend understands, as plain data: status code, body and headers.

202 means "still running" (the frontend reads only `progress`), 200 carries the Content Understanding
body unchanged (its normaliser needs top-level `id` and `status`), anything else is shown as a failure
with the body's message. Every error body has the old backend's shape: `error` is a short string,
`message` a top-level sentence a person can read, `code` the machine-readable reason; other fields add
detail. A frontend written against `{"error": "Analysis failed", "message": "..."}` reads all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from domain.analysis_outcome import CANCELED, FAILED, SUCCEEDED, TIMEOUT, outcome_for_service_status
from domain.orchestration_data import ErrorDetail, Progress
from domain.times import parse_time

MAX_RETRY_AFTER_SECONDS = 10
# A check that is overdue (the backend picks timers up late: the Azure Storage provider polls its queues with
# back-off up to 30 s) is answered with a Retry-After that grows with the lateness, never below this floor.
OVERDUE_RETRY_AFTER_FLOOR_SECONDS = 2
RUNNING_RUNTIME_STATUSES = frozenset({"Pending", "Running", "ContinuedAsNew", "Suspended"})


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: dict | bytes  # bytes: the service's own result body, passed on unchanged
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultsToRead:
    """The operation succeeded: the 200 body is read from Content Understanding at these polling URLs, in
    input order (the orchestration history never carries results, which can be megabytes)."""

    operation_id: str
    locations: tuple[str, ...]
    elapsed_seconds: float = 0.0  # from the POST to the end of the analysis (the orchestration's output)


def results_path(analyzer_id: str, operation_id: str) -> str:
    return f"/pro-mode/content-analyzers/{analyzer_id}/results/{operation_id}"


ERROR_TITLES = {
    400: "Invalid request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
}
OUTCOME_TITLES = {FAILED: "Analysis failed", CANCELED: "Analysis canceled", TIMEOUT: "Analysis timed out"}


def error_body(status: int, code: str, message: str, **detail: object) -> dict:
    """The one error shape: string `error`, top-level `message`, then `code` and any detail."""
    return {"error": ERROR_TITLES.get(status, "Error"), "message": message, "code": code, **detail}


def error_answer(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpAnswer:
    return HttpAnswer(status, error_body(status, code, message), headers or {})


def unavailable_answer() -> HttpAnswer:
    """503 when the durable backend cannot be reached; nothing was started or changed."""
    message = "The analysis service is temporarily unavailable; try again shortly."
    return error_answer(503, "ServiceUnavailable", message, {"Retry-After": "5"})


def submitted_answer(
    operation_id: str, analyzer_id: str, retry_after_seconds: int, *, existing: bool = False
) -> HttpAnswer:
    path = results_path(analyzer_id, operation_id)
    message = (
        "This Idempotency-Key already started this analysis; poll resultsEndpoint for the result."
        if existing
        else "Analysis submitted; poll resultsEndpoint for the result."
    )
    body = {
        "status": "submitted",
        "operationId": operation_id,
        "analyzerId": analyzer_id,
        "resultsEndpoint": path,
        "message": message,
    }
    return HttpAnswer(202, body, {"Location": path, "Retry-After": str(retry_after_seconds)})


def canceling_answer(operation_id: str, analyzer_id: str) -> HttpAnswer:
    """202 to a DELETE: the orchestration is being terminated; GETs then answer the canceled 500."""
    path = results_path(analyzer_id, operation_id)
    body = {"status": "canceling", "operationId": operation_id, "analyzerId": analyzer_id, "resultsEndpoint": path}
    return HttpAnswer(202, body, {"Location": path})


def processing_answer(
    operation_id: str,
    analyzer_id: str,
    elapsed_seconds: float,
    progress: Progress | dict | None,
    retry_after_seconds: int,
    now: datetime | None = None,
) -> HttpAnswer:
    """202 while running. With the orchestrator's next check known, Retry-After says when a new answer is likely:
    the seconds until that check (plus half a second for it to land), between 1 and MAX_RETRY_AFTER_SECONDS.
    Once that check is overdue, the seconds it is late, between OVERDUE_RETRY_AFTER_FLOOR_SECONDS and the
    maximum: a late backend is asked less and less often instead of every second."""
    progress = progress or {}
    next_check = parse_time(progress.get("nextCheckAt"))
    if next_check is not None and now is not None:
        seconds = (next_check - now).total_seconds() + 0.5
        if seconds > 0:
            retry_after_seconds = min(max(math.ceil(seconds), 1), MAX_RETRY_AFTER_SECONDS)
        else:
            late = math.ceil(-seconds + 0.5)
            retry_after_seconds = min(max(late, OVERDUE_RETRY_AFTER_FLOOR_SECONDS), MAX_RETRY_AFTER_SECONDS)
    body = {
        "status": "processing",
        "message": "The analysis is running; poll this endpoint again.",
        "elapsed_seconds": round(max(elapsed_seconds, 0.0), 1),
        "operationId": operation_id,
        "analyzerId": analyzer_id,
        "progress": {
            "phase": progress.get("phase") or "submitting",
            "azureStatus": progress.get("serviceStatus"),
            "attempts": progress.get("checks", 0),
            "lastCheckedAt": progress.get("lastCheckedAt"),
            "filesTotal": progress.get("filesTotal"),
            "filesDone": progress.get("filesDone", 0),
            "nextCheckAt": progress.get("nextCheckAt"),
            "expectedCompletionAt": progress.get("expectedCompletionAt"),
        },
    }
    if isinstance(progress.get("lastError"), dict):  # why it is taking long: the last transient trouble
        body["progress"]["lastError"] = progress["lastError"]
    headers = {"Retry-After": str(retry_after_seconds), "Location": results_path(analyzer_id, operation_id)}
    return HttpAnswer(202, body, headers)


def ended_answer(outcome: str, error: dict | None, operation_id: str, elapsed_seconds: float) -> HttpAnswer:
    """The 500 body for an analysis that ended without a result."""
    status = outcome if outcome in (FAILED, CANCELED, TIMEOUT) else FAILED
    error = error or {}
    body = {
        "error": OUTCOME_TITLES[status],
        "message": str(error.get("message") or "The analysis failed."),
        "code": str(error.get("code") or "AnalysisFailed"),
        "status": status,
        "operationId": operation_id,
        "elapsed_seconds": round(max(elapsed_seconds, 0.0), 1),
    }
    if isinstance(error.get("file"), int) and not isinstance(error.get("file"), bool):
        body["file"] = error["file"]  # the index in inputFiles of the file that decided the outcome
    return HttpAnswer(500, body)


def answer_for_orchestration(
    runtime_status: str,
    output: object,
    custom_status: object,
    operation_id: str,
    analyzer_id: str,
    elapsed_seconds: float,
    retry_after_seconds: int,
    now: datetime | None = None,
) -> HttpAnswer | ResultsToRead:
    """Map a durable instance (runtime status + output) to the frontend's contract.

    `elapsed_seconds` comes from the instance's stored times: for a running one up to now, for an ended one up
    to its last update, so an ended operation's 500 is the same on every GET.
    """
    progress = custom_status if isinstance(custom_status, dict) else None
    # A backend may restart the instance's creation time when it continues as new; the orchestrator's
    # own count of elapsed time (from the POST) never goes backwards.
    reported = (progress or {}).get("elapsedSeconds")
    if isinstance(reported, int | float) and not isinstance(reported, bool):
        elapsed_seconds = max(elapsed_seconds, float(reported))
    if runtime_status in RUNNING_RUNTIME_STATUSES:
        return processing_answer(operation_id, analyzer_id, elapsed_seconds, progress, retry_after_seconds, now)
    if runtime_status == "Completed" and isinstance(output, dict):
        elapsed = float(output.get("elapsedSeconds") or elapsed_seconds)
        files = output.get("files") if isinstance(output.get("files"), list) else []
        locations = tuple(str(f.get("operationLocation") or "") for f in files if isinstance(f, dict))
        if output.get("outcome") == SUCCEEDED and locations and all(locations):
            return ResultsToRead(operation_id, locations, elapsed)
        if output.get("outcome") != SUCCEEDED:
            return ended_answer(str(output.get("outcome")), output.get("error"), operation_id, elapsed)
    if runtime_status in ("Terminated", "Canceled"):
        reason = output if isinstance(output, str) and output else "The analysis was canceled."
        return ended_answer(CANCELED, {"code": "Canceled", "message": reason}, operation_id, elapsed_seconds)
    # Failed, or Completed without the expected output: the workflow itself broke.
    return ended_answer(
        FAILED,
        {
            "code": "OrchestrationFailed",
            "message": "The analysis workflow failed unexpectedly; see the service logs.",
        },
        operation_id,
        elapsed_seconds,
    )


def answer_for_service_status(
    service_status: str,
    body: dict | None,
    error: ErrorDetail | None,
    operation_id: str,
    analyzer_id: str,
    retry_after_seconds: int,
) -> HttpAnswer:
    """Map one direct Content Understanding status (an operation this app did not start) the same way."""
    outcome = outcome_for_service_status(service_status)
    if outcome is None:
        progress = {"azureStatus": service_status, "attempts": 1}
        return processing_answer(operation_id, analyzer_id, 0.0, progress, retry_after_seconds)
    if outcome == SUCCEEDED and isinstance(body, dict):
        return HttpAnswer(200, body)
    return ended_answer(outcome, error, operation_id, 0.0)


def merged_result(operation_id: str, bodies: list[dict]) -> dict:
    """The 200 body: one file's service body unchanged; several files' bodies merged into the service's shape
    (top-level id = our operation id, status, result.contents[] in input order, usage summed).

    Each single-input result calls its input `input1`; merged, every content and warning is labelled with its
    file's position the way the retired pro mode (several inputs per request) did: `path: "inputN"`, N from 1
    in inputFiles order (a sub-path such as `input1/...` keeps its tail).
    """
    if len(bodies) == 1:
        return bodies[0]
    results = [b.get("result") if isinstance(b.get("result"), dict) else {} for b in bodies]
    first = results[0] if results else {}
    merged = {key: first[key] for key in MERGED_RESULT_KEYS if key in first}
    merged["warnings"] = [
        _labelled(w, n) for n, r in enumerate(results, 1) for w in (r.get("warnings") or []) if isinstance(w, dict)
    ]
    merged["contents"] = [
        _labelled(c, n) for n, r in enumerate(results, 1) for c in (r.get("contents") or []) if isinstance(c, dict)
    ]
    usage: dict = {}
    for body in bodies:
        _add_usage(usage, body.get("usage") if isinstance(body.get("usage"), dict) else {})
    return {"id": operation_id, "status": "Succeeded", "result": merged, "usage": usage}


# What every file's result shares (the first file's values are taken).
MERGED_RESULT_KEYS = ("analyzerId", "apiVersion", "createdAt", "stringEncoding")
_SINGLE_INPUT_PATH = "input1"


def _labelled(item: dict, number: int) -> dict:
    """The item with `path` naming its input (`inputN`), as a multi-input request's result would."""
    path = item.get("path")
    if isinstance(path, str) and (path == _SINGLE_INPUT_PATH or path.startswith(_SINGLE_INPUT_PATH + "/")):
        label = f"input{number}" + path[len(_SINGLE_INPUT_PATH) :]
    else:
        label = f"input{number}"
    return {**item, "path": label}


def _add_usage(total: dict, usage: dict) -> None:
    for key, value in usage.items():
        if isinstance(value, dict):
            _add_usage(total.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value


def result_unavailable_answer(operation_id: str, elapsed_seconds: float) -> HttpAnswer:
    """The service no longer holds a result we saw succeed (it keeps results 24 hours)."""
    error = {
        "code": "ResultUnavailable",
        "message": "The analysis succeeded, but Content Understanding no longer holds its result; run it again.",
    }
    return ended_answer(FAILED, error, operation_id, elapsed_seconds)


def result_too_large_answer(operation_id: str, elapsed_seconds: float, size: int, limit: int) -> HttpAnswer:
    """The result is larger than this service serves (MAX_RESULT_BYTES): no frontend could handle it anyway."""
    error = {
        "code": "ResultTooLarge",
        "message": (
            f"The analysis succeeded, but its result ({size / 1_048_576:.1f} MB) is larger than this service serves "
            f"({limit / 1_048_576:.1f} MB, MAX_RESULT_BYTES); analyse fewer files or pages at a time."
        ),
    }
    return ended_answer(FAILED, error, operation_id, elapsed_seconds)
