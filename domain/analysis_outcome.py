"""What an operation ended as, and the small progress record shown while it runs.

An operation analyses each input file separately (GA analyzes one input per request). These functions
decide the operation's outcome from its files, and build its output and custom status, so the results
endpoint and the orchestrator agree on one shape. The service's status and our outcome are kept apart:
`serviceStatus` is what Content Understanding said, `outcome` is how the operation ended.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from domain.orchestration_data import AnalysisOutput, ErrorDetail, FileState, InputFile, Progress

SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TIMEOUT = "timeout"

# Content Understanding's statuses, spelled as the service spells them, in the order an analysis goes through
# them; the last three are terminal.
SERVICE_STATUSES = ("NotStarted", "Running", "Succeeded", "Failed", "Canceled")
_OUTCOME_BY_SERVICE_STATUS = {"succeeded": SUCCEEDED, "failed": FAILED, "canceled": CANCELED}
_PROGRESS_ORDER = SERVICE_STATUSES[:3]


def outcome_for_service_status(service_status: str | None) -> str | None:
    """The outcome for a terminal Content Understanding status, None while it is still going."""
    return _OUTCOME_BY_SERVICE_STATUS.get((service_status or "").lower())


def new_file_states(count: int) -> list[FileState]:
    """One record per input file, in input order."""
    return [
        {"serviceOperationId": None, "operationLocation": None, "serviceStatus": None, "error": None}
        for _ in range(count)
    ]


def operation_outcome(files: list[FileState]) -> tuple[str | None, int | None]:
    """(outcome, index of the file that decided it): failed or canceled as soon as one file is; succeeded
    when all are; (None, None) while any is still going."""
    for index, file in enumerate(files):
        outcome = outcome_for_service_status(file["serviceStatus"])
        if outcome in (FAILED, CANCELED):
            return outcome, index
    if files and all(outcome_for_service_status(f["serviceStatus"]) == SUCCEEDED for f in files):
        return SUCCEEDED, None
    return None, None


def operation_service_status(files: list[FileState]) -> str | None:
    """One service status for the whole operation: the least advanced of its files."""
    statuses = [f["serviceStatus"] for f in files if f["serviceStatus"]]
    if not statuses:
        return None
    for status in statuses:
        if status not in _PROGRESS_ORDER:
            return status  # Failed / Canceled / something new: show it
    return min(statuses, key=_PROGRESS_ORDER.index)


def describe_input(item: InputFile) -> str:
    """How an input is named in messages and logs: the file id, or the URL without its query (SAS lives there)."""
    if "fileId" in item:
        return str(item["fileId"])
    try:
        parts = urlsplit(str(item.get("url", "")))
        return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
    except ValueError:
        return "<url>"


MODEL_DEPLOYMENTS_HINT = (
    " This resource has no default model deployment for what the analyzer needs: deploy the models (e.g. "
    "gpt-4.1, gpt-4.1-mini, text-embedding-3-large) and set them once with PATCH "
    "{endpoint}/contentunderstanding/defaults?api-version=2025-11-01 (see docs/real-resource.md)."
)


def service_error_hint(error: ErrorDetail) -> str:
    """What an operator should do about a service error we recognise; empty when we have nothing to add."""
    inner = str(error.get("innerCode") or "")
    if inner == "ModelDeploymentNotFound" or error.get("target") == "modelDeployments":
        return MODEL_DEPLOYMENTS_HINT
    return ""


SERVICE_CANCELED_CODE = "ServiceCanceled"


def file_error(
    index: int,
    item: InputFile,
    error: ErrorDetail | None,
    default_code: str = "AnalysisFailed",
    *,
    outcome: str = FAILED,
) -> ErrorDetail:
    """The operation's error when one file decided it: names the file and keeps the service's code.

    A file Content Understanding canceled (not our caller) has its own code, `ServiceCanceled`, and says so; the
    service's code, if it gave one, stays in the message.
    """
    error = error or {}
    code = str(error.get("code") or default_code)
    inner = error.get("innerCode")
    reason = f"{code}/{inner}" if inner else code
    if outcome == CANCELED:
        detail = f": {error['message']}" if error.get("message") else "."
        reason_text = f" [{reason}]" if error.get("code") else ""
        message = (
            f"inputFiles[{index}] ({describe_input(item)}) was canceled by Content Understanding{detail}{reason_text}"
        )
        code = SERVICE_CANCELED_CODE
    else:
        detail = str(error.get("message") or "The analysis failed.")
        message = f"inputFiles[{index}] ({describe_input(item)}) failed: {detail} [{reason}]{service_error_hint(error)}"
    result: ErrorDetail = {"code": code, "message": message, "file": index}
    for key in ("target", "innerCode"):
        if error.get(key):
            result[key] = error[key]
    return result


def analysis_output(
    outcome: str,
    *,
    analyzer_id: str,
    files: list[FileState],
    checks: int,
    elapsed_seconds: float,
    completed_at: str,
    error: ErrorDetail | None = None,
) -> AnalysisOutput:
    """The orchestration's output (never the analysis result); `error` says why when it did not succeed."""
    return {
        "outcome": outcome,
        "analyzerId": analyzer_id,
        "files": [
            {
                "serviceOperationId": f["serviceOperationId"],
                "operationLocation": f["operationLocation"],
                "serviceStatus": f["serviceStatus"],
            }
            for f in files
        ],
        "checks": checks,
        "elapsedSeconds": round(elapsed_seconds, 3),
        "completedAt": completed_at,
        "error": None if outcome == SUCCEEDED else error,
    }


def timeout_error(timeout_seconds: float) -> ErrorDetail:
    """Why an operation ended as TIMEOUT."""
    return {"code": "Timeout", "message": f"The analysis did not finish within {timeout_seconds:g} seconds."}


def progress_status(
    phase: str,
    *,
    files: list[FileState],
    checks: int,
    last_checked_at: str | None,
    elapsed_seconds: float,
    outcome: str | None = None,
    last_error: ErrorDetail | None = None,
    next_check_at: str | None = None,
    expected_completion_at: str | None = None,
) -> Progress:
    """The orchestration's custom status: a few fields, never the result (custom status is capped at 16 KB)."""
    status: Progress = {
        "phase": phase,
        "serviceStatus": operation_service_status(files),
        "outcome": outcome,
        "checks": checks,
        "lastCheckedAt": last_checked_at,
        "elapsedSeconds": round(elapsed_seconds, 3),
        "filesTotal": len(files),
        "filesDone": sum(1 for f in files if outcome_for_service_status(f["serviceStatus"]) is not None),
    }
    if next_check_at and phase == "polling":
        status["nextCheckAt"] = next_check_at
    if expected_completion_at and phase == "polling":
        status["expectedCompletionAt"] = expected_completion_at
    if last_error:
        status["lastError"] = {
            "code": str(last_error.get("code"))[:100],
            "message": str(last_error.get("message"))[:300],
        }
    return status
