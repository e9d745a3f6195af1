"""Activity: one status check of a submitted analysis.

Never raises for service trouble: a transient error comes back as data so that the orchestrator can
record it and keep polling, and a permanent one so that it can end the analysis with the service's code.
"""

from __future__ import annotations

import azure.durable_functions as df

from config.service_clients import content_understanding_client
from content_understanding import AnalysisOperation, PermanentServiceError, TransientServiceError

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
def check_analysis_status(request: dict) -> dict:
    operation = AnalysisOperation.from_dict(request["operation"])
    try:
        status = content_understanding_client().get_status(operation)
    except TransientServiceError as exc:
        return {"kind": "transient_error", "error": _error(exc), "retryAfter": exc.retry_after}
    except PermanentServiceError as exc:
        return {"kind": "permanent_error", "error": _error(exc)}
    error = None
    if status.error_code or status.error_message:
        error = {"code": status.error_code or "AnalysisFailed", "message": status.error_message or ""}
    return {
        "kind": "status",
        "status": status.status,
        "retryAfter": status.retry_after,
        "result": status.body if status.status == "Succeeded" else None,
        "error": error,
    }


def _error(exc: Exception) -> dict:
    code = getattr(exc, "code", None) or (
        f"HTTP{exc.http_status}" if getattr(exc, "http_status", None) else "ServiceUnavailable"
    )
    return {"code": code, "message": getattr(exc, "message", None) or str(exc)}
