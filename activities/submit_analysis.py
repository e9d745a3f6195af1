"""Activity: send one input file to Content Understanding.

Answers an ActivityResult: ok with the service's operation id and polling URL, transient (the orchestrator
retries on a durable timer) or permanent (the service refused: the operation fails with its code).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import azure.durable_functions as df

from config.service_clients import content_understanding_client, input_sas_factory
from content_understanding import PermanentServiceError, TransientServiceError
from domain.activity_result import ActivityResult
from input_files.sas_urls import InputFileError
from observability.log_context import log_context, scope_property

bp = df.Blueprint()
log = logging.getLogger("analysis.activities")


def resolve_input_url(item: dict, scope: dict | None) -> str:
    """A URL passes through unchanged; a file id becomes a read-only SAS URL minted now, inside the caller's scope."""
    if "url" in item:
        return item["url"]
    factory = input_sas_factory()
    if factory is None:
        raise InputFileError("file ids need INPUT_CONTAINER_URL to be configured")
    return factory.url_for(item["fileId"], scope)


def seconds_left(deadline: str | None, now: datetime | None = None) -> float | None:
    if not deadline:
        return None
    moment = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
    return (moment - (now or datetime.now(timezone.utc))).total_seconds()


@bp.activity_trigger(input_name="job")
def submit_analysis(job: dict) -> dict:
    with log_context(
        operationId=job.get("operationId"), analyzerId=job.get("analyzerId"), scope=scope_property(job.get("scope"))
    ):
        return _submit(job)


def _submit(job: dict) -> dict:
    operation_id, index = job["operationId"], job.get("fileIndex", 0)
    left = seconds_left(job.get("deadline"))
    if left is not None and left <= 0:
        return ActivityResult.transient(
            {"code": "DeadlinePassed", "message": "The analysis deadline passed."}
        ).to_dict()
    try:
        url = resolve_input_url(job["input"], job.get("scope"))
        operation = content_understanding_client().submit(
            job["analyzerId"],
            url,
            pages=job.get("pages"),
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
    except Exception as exc:  # a bug or an SDK surprise: one failed attempt, retried like any transient failure
        log.exception("[AnalyzeContent] Submit crashed for operation: %s file %d", operation_id, index)
        return ActivityResult.transient({"code": "SubmitCrashed", "message": type(exc).__name__}).to_dict()
    log.info(
        "[AnalyzeContent] Submitted operation: %s file %d as service operation %s",
        operation_id,
        index,
        operation.operation_id,
        extra={"serviceOperationId": operation.operation_id, "fileIndex": index},
    )
    value = {"serviceOperationId": operation.operation_id, "operationLocation": operation.operation_location}
    return ActivityResult.ok(value).to_dict()
