"""Activity: send one input file to Content Understanding.

Answers an ActivityResult: ok with the service's operation id and polling URL, transient (the orchestrator
retries on a durable timer) or permanent (the service refused: the operation fails with its code). Anything
else it raises is a crash, which the orchestrator counts as a transient failure (run_activities).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import azure.durable_functions as df

from config.service_clients import content_understanding_client, input_sas_factory
from content_understanding import PermanentServiceError, TransientServiceError
from domain.activity_result import ActivityResult
from domain.caller_scope import scope_key
from domain.orchestration_data import InputFile, Scope, SubmitAccepted, SubmitRequest
from domain.times import parse_time
from input_files.sas_urls import InputFileError
from observability.log_context import log_context

bp = df.Blueprint()
log = logging.getLogger("analysis.activities")


def resolve_input_url(item: InputFile, scope: Scope) -> str:
    """A URL passes through unchanged; a file id becomes a read-only SAS URL minted now, inside the caller's scope."""
    if "url" in item:
        return item["url"]
    factory = input_sas_factory()
    if factory is None:
        raise InputFileError("file ids need INPUT_CONTAINER_URL to be configured")
    return factory.url_for(item["fileId"], scope)


def seconds_left(deadline: str, now: datetime | None = None) -> float:
    moment = parse_time(deadline)
    if moment is None:
        raise ValueError(f"not an ISO 8601 deadline: {deadline!r}")
    return (moment - (now or datetime.now(timezone.utc))).total_seconds()


@bp.activity_trigger(input_name="request")
def submit_analysis(request: SubmitRequest) -> dict:
    with log_context(
        operationId=request["operationId"], analyzerId=request["analyzerId"], scope=scope_key(request["scope"])
    ):
        return _submit(request)


def _submit(request: SubmitRequest) -> dict:
    operation_id, index = request["operationId"], request["fileIndex"]
    left = seconds_left(request["deadline"])
    if left <= 0:
        return ActivityResult.transient(
            {"code": "DeadlinePassed", "message": "The analysis deadline passed."}
        ).to_dict()
    try:
        url = resolve_input_url(request["input"], request["scope"])
        operation = content_understanding_client().submit(
            request["analyzerId"],
            url,
            pages=request["pages"],
            time_budget_seconds=left,
        )
    except InputFileError as exc:
        return ActivityResult.permanent({"code": "InvalidFileId", "message": str(exc)}).to_dict()
    except PermanentServiceError as exc:
        log.warning(
            "[AnalyzeContent] Submit rejected for operation: %s file %d (%s, inner %s)",
            operation_id,
            index,
            exc.code,
            exc.inner_code,
        )
        return ActivityResult.permanent(exc.detail()).to_dict()
    except TransientServiceError as exc:
        log.warning(
            "[AnalyzeContent] Submit failed transiently for operation: %s file %d (%s, ambiguous=%s)",
            operation_id,
            index,
            exc.code or exc.http_status,
            exc.ambiguous,
        )
        return ActivityResult.transient(exc.detail(), exc.retry_after).to_dict()
    log.info(
        "[AnalyzeContent] Submitted operation: %s file %d as service operation %s",
        operation_id,
        index,
        operation.operation_id,
        extra={"serviceOperationId": operation.operation_id, "fileIndex": index},
    )
    value: SubmitAccepted = {
        "serviceOperationId": operation.operation_id,
        "operationLocation": operation.operation_location,
    }
    return ActivityResult.ok(value).to_dict()
