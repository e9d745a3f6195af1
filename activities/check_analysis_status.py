"""Activity: one status check of one submitted file.

Answers an ActivityResult: ok with the service's status (and its error when it failed), transient (the
orchestrator records it and keeps polling) or permanent (the operation fails with the service's code). A crash
costs one check (the orchestrator's run_activities counts it as transient).
The result body is not returned: it is read from the service when the caller asks for it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import azure.durable_functions as df

from config.service_clients import content_understanding_client
from content_understanding import PermanentServiceError, TransientServiceError
from domain.activity_result import ActivityResult
from domain.orchestration_data import CheckedStatus, CheckRequest
from observability.log_context import log_context

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
def check_analysis_status(request: CheckRequest) -> dict:
    with log_context(operationId=request["operationId"], serviceOperationId=request["serviceOperationId"]):
        return _check(request)


def _check(request: CheckRequest) -> dict:
    try:
        # A fresh x-ms-client-request-id per check, logged by the client with this operation's id (log context).
        status = content_understanding_client().get_status(request["operationLocation"])
    except TransientServiceError as exc:
        return ActivityResult.transient(exc.detail(), exc.retry_after).to_dict()
    except PermanentServiceError as exc:
        return ActivityResult.permanent(exc.detail()).to_dict()
    value: CheckedStatus = {
        "status": status.status,
        "error": status.error_detail(),
        "retryAfter": status.retry_after,
        "checkedAt": datetime.now(timezone.utc).isoformat(),
    }
    return ActivityResult.ok(value).to_dict()
