"""Activity: one status check of one submitted file.

Answers an ActivityResult: ok with the service's status (and its error when it failed), transient (the
orchestrator records it and keeps polling) or permanent (the operation fails with the service's code).
The result body is not returned: it is read from the service when the caller asks for it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import azure.durable_functions as df

from config.service_clients import content_understanding_client
from content_understanding import PermanentServiceError, TransientServiceError
from domain.activity_result import ActivityResult
from observability.log_context import log_context

bp = df.Blueprint()
log = logging.getLogger("analysis.activities")


@bp.activity_trigger(input_name="request")
def check_analysis_status(request: dict) -> dict:
    with log_context(operationId=request.get("operationId"), serviceOperationId=request.get("serviceOperationId")):
        return _check(request)


def _check(request: dict) -> dict:
    try:
        # A fresh x-ms-client-request-id per check, logged by the client with this operation's id (log context).
        status = content_understanding_client().get_status(request["operationLocation"])
    except TransientServiceError as exc:
        return ActivityResult.transient(exc.detail(), exc.retry_after).to_dict()
    except PermanentServiceError as exc:
        return ActivityResult.permanent(exc.detail()).to_dict()
    except Exception as exc:  # a bug or an SDK surprise costs one check, not the analysis
        log.exception("[BackgroundPoll] Status check crashed for operation: %s", request.get("operationId"))
        return ActivityResult.transient({"code": "CheckCrashed", "message": type(exc).__name__}).to_dict()
    value = {
        "status": status.status,
        "error": status.error_detail(),
        "retryAfter": status.retry_after,
        "checkedAt": datetime.now(timezone.utc).isoformat(),
    }
    return ActivityResult.ok(value).to_dict()
