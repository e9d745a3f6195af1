"""Activity: send the analysis to Content Understanding.

Returns {"ok": True, "operation": ...} or, for a permanent rejection, {"ok": False, "error": ...}.
A transient failure is raised so the orchestrator retries it on a durable timer.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df

from config.service_clients import content_understanding_client, input_sas_factory
from content_understanding import PermanentServiceError, TransientServiceError
from input_files.sas_urls import InputFileError

bp = df.Blueprint()
log = logging.getLogger("analysis.activities")


def resolve_input_urls(inputs: list[dict], group_id: str | None) -> list[str]:
    """URLs pass through unchanged; file ids become read-only SAS URLs minted now."""
    factory = None
    urls = []
    for item in inputs:
        if "url" in item:
            urls.append(item["url"])
            continue
        factory = factory or input_sas_factory()
        if factory is None:
            raise InputFileError("file ids need INPUT_CONTAINER_URL to be configured")
        urls.append(factory.url_for(item["fileId"], group_id))
    return urls


@bp.activity_trigger(input_name="job")
def submit_analysis(job: dict) -> dict:
    operation_id = job["operationId"]
    try:
        urls = resolve_input_urls(job["inputs"], job.get("groupId"))
        operation = content_understanding_client().submit(
            job["analyzerId"], urls, pages=job.get("pages"), locale=job.get("locale")
        )
    except (PermanentServiceError, InputFileError) as exc:
        code = getattr(exc, "code", None) or "InvalidInput"
        message = getattr(exc, "message", None) or str(exc)
        log.warning("[AnalyzeContent] Submit rejected for operation: %s (%s)", operation_id, code)
        return {"ok": False, "error": {"code": code, "message": message}}
    except TransientServiceError as exc:
        log.warning(
            "[AnalyzeContent] Submit failed transiently for operation: %s (%s, ambiguous=%s)",
            operation_id,
            exc.code or exc.http_status,
            exc.ambiguous,
        )
        raise
    log.info("[AnalyzeContent] Submitted operation: %s as azure id %s", operation_id, operation.operation_id)
    return {"ok": True, "operation": operation.to_dict()}
