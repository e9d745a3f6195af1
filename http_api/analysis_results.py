"""GET and DELETE /pro-mode/content-analyzers/{analyzerId}/results/{operationId}.

GET wraps the durable status in the frontend's 202/200/500 contract; DELETE cancels. An operation is
visible only to the scope that submitted it and under its analyzer id; anything else answers exactly as an
unknown id, so ids cannot be probed. Durable management URLs (which carry the system key in Azure) are
never returned. A succeeded operation's result is read from Content Understanding here, not from history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func

from config.service_clients import content_understanding_client
from config.settings import get_settings
from content_understanding import PermanentServiceError, TransientServiceError
from domain.analyze_request import ValidationError, check_analyzer_id
from domain.caller_scope import same_scope
from domain.operation_ids import client_request_id, is_well_formed_operation_id, may_be_service_operation_id
from domain.rate_limit import SlidingWindowLimit
from domain.results_contract import (
    RUNNING_RUNTIME_STATUSES,
    HttpAnswer,
    ResultsToRead,
    answer_for_orchestration,
    answer_for_service_status,
    canceling_answer,
    error_answer,
    processing_answer,
    result_too_large_answer,
    result_unavailable_answer,
)
from http_api.caller import caller_and_scope
from http_api.caller_limits import READS, over_limit
from http_api.responses import decode_json_field, guarded, to_http_response
from observability.log_context import log_context, scope_property
from result_copies import ResultTooLarge, result_body

RESULTS_ROUTE = "pro-mode/content-analyzers/{analyzerId}/results/{operationId}"
POLL_RETRY_AFTER_SECONDS = 5

bp = df.Blueprint()
log = logging.getLogger("analysis.http")
_legacy_limit: SlidingWindowLimit | None = None


def _not_found() -> HttpAnswer:
    return error_answer(404, "OperationNotFound", "No such analysis operation.")


async def _visible_status(req: func.HttpRequest, client: df.DurableOrchestrationClient, scope: dict):
    """The durable status when this caller may see it under this analyzer; None when unknown or not theirs."""
    status = await client.get_status(req.route_params.get("operationId", ""), show_input=True)
    if not status:
        return None, False
    job = decode_json_field(status.input_)
    visible = (
        isinstance(job, dict)
        and job.get("analyzerId") == req.route_params.get("analyzerId", "")
        and same_scope(job.get("scope"), scope)
    )
    return status, visible


def _seconds_since(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - moment).total_seconds()


async def _identified(req: func.HttpRequest):
    """(caller, scope, analyzer id, operation id) or the answer that stops the request here."""
    analyzer_id = req.route_params.get("analyzerId", "")
    operation_id = req.route_params.get("operationId", "")
    try:
        check_analyzer_id(analyzer_id)
    except ValidationError as exc:
        return error_answer(400, exc.code, exc.message)
    identity = await caller_and_scope(req)
    if isinstance(identity, HttpAnswer):
        return identity
    limited = over_limit(READS, identity[0])
    if limited is not None:
        return limited
    if not is_well_formed_operation_id(operation_id):
        return _not_found()
    return (*identity, analyzer_id, operation_id)


@bp.route(route=RESULTS_ROUTE, methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_analysis_results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await guarded(_results(req, client), "[AnalysisResults] Reading an operation")


async def _results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    identified = await _identified(req)
    if isinstance(identified, HttpAnswer):
        return to_http_response(identified)
    caller, scope, analyzer_id, operation_id = identified
    with log_context(operationId=operation_id, analyzerId=analyzer_id, scope=scope_property(scope)):
        return await _answer(client, req, caller, scope, analyzer_id, operation_id)


async def _answer(client, req, caller, scope: dict, analyzer_id: str, operation_id: str) -> func.HttpResponse:
    status, visible = await _visible_status(req, client, scope)
    if status is None:
        return await _legacy_lookup(caller, analyzer_id, operation_id)
    if not visible:
        return to_http_response(_not_found())  # it exists, but not for this caller: answer as if it did not
    runtime_status = status.runtime_status.value if status.runtime_status else "Pending"
    answer = answer_for_orchestration(
        runtime_status,
        decode_json_field(status.output),
        decode_json_field(status.custom_status),
        operation_id,
        analyzer_id,
        _seconds_since(status.created_time),
        POLL_RETRY_AFTER_SECONDS,
        datetime.now(timezone.utc),
    )
    if isinstance(answer, ResultsToRead):
        return await _read_results(answer, analyzer_id, _seconds_since(status.created_time))
    if answer.status == 500:
        log.info(
            "[AnalysisResults] Analysis ended without a result for %s: %s",
            operation_id,
            answer.body["status"],
            extra={"event": "results.read", "outcome": answer.body["status"]},
        )
    return to_http_response(answer)


async def _read_results(results: ResultsToRead, analyzer_id: str, elapsed: float) -> func.HttpResponse:
    """The claim-check copy of the result (made from the service's results once); a passing failure keeps the
    caller polling (202)."""
    request_id = client_request_id(results.operation_id)
    try:
        body = await asyncio.to_thread(result_body, results.operation_id, results.locations, request_id)
    except TransientServiceError as exc:
        log.warning("[AnalysisResults] Reading the result of %s failed for now (%s)", results.operation_id, exc.code)
        progress = {"phase": "reading-result", "serviceStatus": "Succeeded"}
        return to_http_response(
            processing_answer(results.operation_id, analyzer_id, elapsed, progress, POLL_RETRY_AFTER_SECONDS)
        )
    except PermanentServiceError as exc:
        log.warning("[AnalysisResults] The result of %s is gone (%s)", results.operation_id, exc.code)
        return to_http_response(result_unavailable_answer(results.operation_id, elapsed))
    except ResultTooLarge as exc:
        return to_http_response(result_too_large_answer(results.operation_id, elapsed, exc.size, exc.limit))
    log.info(
        "[AnalysisResults] Analysis completed - returning results for %s",
        results.operation_id,
        extra={"event": "results.read", "outcome": "succeeded", "elapsedSeconds": round(elapsed, 3)},
    )
    return func.HttpResponse(
        body=body,
        status_code=200,
        headers={"Cache-Control": "no-store"},
        mimetype="application/json",
        charset="utf-8",
    )


async def _legacy_lookup(caller, analyzer_id: str, operation_id: str) -> func.HttpResponse:
    """The migration aid: one direct status check for an operation the old backend submitted.

    Off unless LEGACY_RESULTS_LOOKUP=true; then only for authenticated callers, rate-limited per caller, and
    only for operations the service says were created before LEGACY_RESULTS_CUTOVER, so an operation this app
    submitted is never readable here (only through its own operation id).
    """
    settings = get_settings()
    if not settings.legacy_results_lookup or caller.anonymous or not may_be_service_operation_id(operation_id):
        return to_http_response(_not_found())
    wait = _legacy_limiter(settings.legacy_lookup_per_minute).try_acquire(caller.key, time.monotonic())
    if wait is not None:
        message = "Too many lookups of unknown operations; try again later."
        headers = {"Retry-After": str(max(int(wait + 0.999), 1))}
        return to_http_response(error_answer(429, "TooManyRequests", message, headers))
    client = content_understanding_client()
    try:
        status = await asyncio.to_thread(client.get_status, client.operation_for_id(operation_id))
    except PermanentServiceError as exc:
        if exc.http_status == 404:
            return to_http_response(_not_found())
        log.warning("[AnalysisResults] Direct status check refused for %s: %s", operation_id, exc.code)
        message = "Content Understanding refused the status check."
        return to_http_response(error_answer(502, exc.code or "UpstreamError", message))
    except TransientServiceError:
        log.warning("[AnalysisResults] Direct status check unavailable for %s", operation_id)
        headers = {"Retry-After": str(POLL_RETRY_AFTER_SECONDS)}
        message = "Content Understanding is unavailable; try again."
        return to_http_response(error_answer(503, "UpstreamUnavailable", message, headers))
    if not _created_before(status.body, settings.legacy_results_cutover):
        return to_http_response(_not_found())
    log.info(
        "[AnalysisResults] Direct status check for %s: %s",
        operation_id,
        status.status,
        extra={"event": "results.read", "legacy": True, "serviceOperationId": operation_id},
    )
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


def _created_before(body: dict | None, cutover: datetime | None) -> bool:
    """Only a result whose createdAt proves it predates the cutover is a legacy operation."""
    result = body.get("result") if isinstance(body, dict) else None
    created = result.get("createdAt") if isinstance(result, dict) else None
    if cutover is None or not isinstance(created, str):
        return False
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)) < cutover


def _legacy_limiter(per_minute: int) -> SlidingWindowLimit:
    global _legacy_limit
    if _legacy_limit is None or _legacy_limit.limit != per_minute:
        _legacy_limit = SlidingWindowLimit(per_minute)
    return _legacy_limit


@bp.route(route=RESULTS_ROUTE, methods=["DELETE"])
@bp.durable_client_input(client_name="client")
async def cancel_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await guarded(_cancel(req, client), "[AnalysisResults] Canceling an operation")


async def _cancel(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    identified = await _identified(req)
    if isinstance(identified, HttpAnswer):
        return to_http_response(identified)
    _caller, scope, analyzer_id, operation_id = identified
    status, visible = await _visible_status(req, client, scope)
    if status is None or not visible:
        return to_http_response(_not_found())
    if status.runtime_status is None or status.runtime_status.value not in RUNNING_RUNTIME_STATUSES:
        return to_http_response(error_answer(409, "AlreadyFinished", "The analysis has already ended."))
    await client.terminate(operation_id, "Canceled by the caller.")
    log.info("[AnalysisResults] Analysis canceled for %s", operation_id)
    return to_http_response(canceling_answer(operation_id, analyzer_id))
