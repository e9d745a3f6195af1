"""What an analysis ended as, and the small progress record shown while it runs.

The orchestrator builds its output and custom status only through these functions, so the results
endpoint and the orchestrator agree on one shape.
"""

from __future__ import annotations

SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
TIMEOUT = "timeout"

_OUTCOME_BY_SERVICE_STATUS = {"succeeded": SUCCEEDED, "failed": FAILED, "canceled": CANCELED}


def outcome_for_service_status(service_status: str | None) -> str | None:
    """The outcome for a terminal Content Understanding status, None while it is still going."""
    return _OUTCOME_BY_SERVICE_STATUS.get((service_status or "").lower())


def analysis_output(
    outcome: str,
    *,
    analyzer_id: str,
    azure_operation_id: str | None,
    attempts: int,
    elapsed_seconds: float,
    completed_at: str,
    result: dict | None = None,
    error: dict | None = None,
) -> dict:
    """The orchestration's output: the service body when it succeeded, a code and message when not."""
    return {
        "outcome": outcome,
        "analyzerId": analyzer_id,
        "azureOperationId": azure_operation_id,
        "attempts": attempts,
        "elapsedSeconds": round(elapsed_seconds, 3),
        "completedAt": completed_at,
        "result": result if outcome == SUCCEEDED else None,
        "error": None if outcome == SUCCEEDED else (error or default_error(outcome)),
    }


def default_error(outcome: str) -> dict:
    messages = {
        FAILED: ("AnalysisFailed", "The analysis failed."),
        CANCELED: ("Canceled", "The analysis was canceled."),
        TIMEOUT: ("Timeout", "The analysis did not finish in time."),
    }
    code, message = messages.get(outcome, ("AnalysisFailed", "The analysis failed."))
    return {"code": code, "message": message}


def progress_status(
    phase: str,
    *,
    azure_status: str | None,
    attempts: int,
    last_checked_at: str | None,
    elapsed_seconds: float,
    last_error: dict | None = None,
) -> dict:
    """The orchestration's custom status: a few fields, never the result (custom status is capped at 16 KB)."""
    status = {
        "phase": phase,
        "azureStatus": azure_status,
        "attempts": attempts,
        "lastCheckedAt": last_checked_at,
        "elapsedSeconds": round(elapsed_seconds, 3),
    }
    if last_error:
        status["lastError"] = {
            "code": str(last_error.get("code"))[:100],
            "message": str(last_error.get("message"))[:300],
        }
    return status
