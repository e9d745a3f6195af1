"""GET and DELETE /pro-mode/content-analyzers/{analyzerId}/results/{operationId}.

GET wraps the durable status in the frontend's 202/200/500 contract; DELETE cancels. An operation is
only visible under the analyzer and X-Group-ID it was submitted with; anything else is a 404, so ids
cannot be probed. Durable management URLs (which carry the system key in Azure) are never returned.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func

from config.service_clients import content_understanding_client
from content_understanding import PermanentServiceError, TransientServiceError
from domain.operation_ids import is_well_formed_operation_id, may_be_service_operation_id
from domain.results_contract import (
    RUNNING_RUNTIME_STATUSES,
    answer_for_orchestration,
    answer_for_service_status,
    canceling_answer,
    error_answer,
)
from http_api.responses import decode_json_field, to_http_response, unless_backend_down

RESULTS_ROUTE = "pro-mode/content-analyzers/{analyzerId}/results/{operationId}"
POLL_RETRY_AFTER_SECONDS = 5

bp = df.Blueprint()
log = logging.getLogger("analysis.http")


def _not_found() -> func.HttpResponse:
    return to_http_response(error_answer(404, "OperationNotFound", "No such analysis operation."))


async def _lookup(req: func.HttpRequest, client: df.DurableOrchestrationClient):
    """(status, visible): the durable status (None when unknown) and whether this caller may see it."""
    status = await client.get_status(req.route_params.get("operationId", ""), show_input=True)
    if not status:
        return None, False
    job = decode_json_field(status.input_)
    visible = (
        isinstance(job, dict)
        and job.get("analyzerId") == req.route_params.get("analyzerId", "")
        and (job.get("groupId") or None) == (req.headers.get("X-Group-ID") or None)
    )
    return status, visible


def _seconds_since(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - moment).total_seconds()


@bp.route(route=RESULTS_ROUTE, methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_analysis_results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await unless_backend_down(_results(req, client), "[AnalysisResults] Reading an operation")


async def _results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    analyzer_id = req.route_params.get("analyzerId", "")
    operation_id = req.route_params.get("operationId", "")
    if not is_well_formed_operation_id(operation_id):
        return _not_found()
    status, visible = await _lookup(req, client)
    if status is None:
        return await _service_fallback(analyzer_id, operation_id)
    if not visible:
        return _not_found()  # it exists, but not under this analyzer or group: answer as if it did not

    runtime_status = status.runtime_status.value if status.runtime_status else "Pending"
    answer = answer_for_orchestration(
        runtime_status,
        decode_json_field(status.output),
        decode_json_field(status.custom_status),
        operation_id,
        analyzer_id,
        _seconds_since(status.created_time),
        POLL_RETRY_AFTER_SECONDS,
    )
    if answer.status == 200:
        log.info(
            "[AnalysisResults] Analysis completed - returning results for %s (age %.1fs)",
            operation_id,
            _seconds_since(status.last_updated_time),
        )
    elif answer.status == 500:
        log.info(
            "[AnalysisResults] Analysis ended without a result for %s: %s",
            operation_id,
            answer.body["status"],
        )
    return to_http_response(answer)


async def _service_fallback(analyzer_id: str, operation_id: str) -> func.HttpResponse:
    """One direct status check for operations submitted before this app (e.g. by the old backend)."""
    if not may_be_service_operation_id(operation_id):
        return _not_found()
    client = content_understanding_client()
    try:
        status = await asyncio.to_thread(client.get_status, client.operation_for_id(operation_id))
    except PermanentServiceError as exc:
        if exc.http_status == 404:
            return _not_found()
        log.warning("[AnalysisResults] Direct status check refused for %s: %s", operation_id, exc.code)
        return to_http_response(
            error_answer(502, exc.code or "UpstreamError", "Content Understanding refused the status check.")
        )
    except TransientServiceError:
        log.warning("[AnalysisResults] Direct status check unavailable for %s", operation_id)
        headers = {"Retry-After": str(POLL_RETRY_AFTER_SECONDS)}
        return to_http_response(
            error_answer(503, "UpstreamUnavailable", "Content Understanding is unavailable; try again.", headers)
        )
    log.info("[AnalysisResults] Direct status check for %s: %s", operation_id, status.status)
    answer = answer_for_service_status(
        status.status,
        status.body,
        status.error_code,
        status.error_message,
        operation_id,
        analyzer_id,
        POLL_RETRY_AFTER_SECONDS,
    )
    return to_http_response(answer)


@bp.route(route=RESULTS_ROUTE, methods=["DELETE"])
@bp.durable_client_input(client_name="client")
async def cancel_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await unless_backend_down(_cancel(req, client), "[AnalysisResults] Canceling an operation")


async def _cancel(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    analyzer_id = req.route_params.get("analyzerId", "")
    operation_id = req.route_params.get("operationId", "")
    if not is_well_formed_operation_id(operation_id):
        return _not_found()
    status, visible = await _lookup(req, client)
    if status is None or not visible:
        return _not_found()
    if status.runtime_status is None or status.runtime_status.value not in RUNNING_RUNTIME_STATUSES:
        return to_http_response(error_answer(409, "AlreadyFinished", "The analysis has already ended."))
    await client.terminate(operation_id, "Canceled by the caller.")
    log.info("[AnalysisResults] Analysis canceled for %s", operation_id)
    return to_http_response(canceling_answer(operation_id, analyzer_id))
