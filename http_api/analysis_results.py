"""GET and DELETE /pro-mode/content-analyzers/{analyzerId}/results/{operationId}.

GET wraps the durable status in the frontend's 202/200/500 contract; DELETE cancels. An operation is
visible only to the scope that submitted it and under its analyzer id; anything else answers exactly as an
unknown id, so ids cannot be probed. Durable management URLs (which carry the system key in Azure) are
never returned. A succeeded operation's result is served from its claim-check copy (result_copies), made from
Content Understanding's results on the first read, never from history.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from auth.callers import Caller
from config.service_clients import content_understanding_client
from config.settings import get_settings
from content_understanding import PermanentServiceError, TransientServiceError
from domain.analyze_request import check_analyzer_id
from domain.caller_scope import same_scope, scope_key
from domain.operation_ids import is_well_formed_operation_id, may_be_service_operation_id
from domain.refusal import Refusal
from domain.results_contract import (
    RUNNING_RUNTIME_STATUSES,
    HttpAnswer,
    ResultsToRead,
    answer_for_orchestration,
    answer_for_service_status,
    canceling_answer,
    processing_answer,
    result_too_large_answer,
    result_unavailable_answer,
)
from domain.times import parse_time
from http_api.caller import caller_and_scope
from http_api.caller_limits import LEGACY_LOOKUPS, READS, count_or_refuse
from http_api.responses import answered, decode_json_field
from observability.log_context import log_context
from result_copies import ResultTooLarge, result_body

RESULTS_ROUTE = "pro-mode/content-analyzers/{analyzerId}/results/{operationId}"
POLL_RETRY_AFTER_SECONDS = 5

bp = df.Blueprint()
log = logging.getLogger("analysis.http")


def _not_found() -> Refusal:
    return Refusal(404, "OperationNotFound", "No such analysis operation.")


@dataclass(frozen=True)
class Identified:
    """Who asks for which operation: what GET and DELETE know once the request passed its checks."""

    caller: Caller
    scope: dict
    analyzer_id: str
    operation_id: str


async def _identified(req: func.HttpRequest) -> Identified:
    """The request's caller, scope and ids; a Refusal when it may not go on (400, 401, 403, 404)."""
    analyzer_id = req.route_params.get("analyzerId", "")
    operation_id = req.route_params.get("operationId", "")
    check_analyzer_id(analyzer_id)
    caller, scope = await caller_and_scope(req)
    count_or_refuse(READS, caller)
    if not is_well_formed_operation_id(operation_id):
        raise _not_found()
    return Identified(caller, scope, analyzer_id, operation_id)


@dataclass(frozen=True)
class Visible:
    """An operation this caller may see: its durable status and its input, decoded once per request."""

    status: DurableOrchestrationStatus
    job: dict

    @property
    def runtime_status(self) -> str:
        return self.status.runtime_status.value if self.status.runtime_status else "Pending"


async def _visible(client: df.DurableOrchestrationClient, asked: Identified) -> Visible | None:
    """The operation when this caller may see it under this analyzer; None when unknown to the task hub.

    An operation that exists but is another scope's, or under another analyzer id, is refused exactly as an
    unknown one, so ids cannot be probed.
    """
    status = await client.get_status(asked.operation_id, show_input=True)
    if not status:
        return None
    job = decode_json_field(status.input_)
    visible = (
        isinstance(job, dict)
        and job.get("analyzerId") == asked.analyzer_id
        and same_scope(job.get("scope"), asked.scope)
    )
    if not visible:
        raise _not_found()
    return Visible(status, job)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _elapsed_seconds(operation: Visible, now: datetime) -> float:
    """Seconds from the POST (acceptedAt in the input) to now, or to the end of an operation that ended (its last
    update: stored times only, so an ended operation's answer never changes from one GET to the next).

    Never from createdTime alone: the Azure Storage provider resets it when the orchestration continues as
    new. createdTime is the fallback only for an input without acceptedAt (started before it existed).
    """
    status = operation.status
    start = parse_time(operation.job.get("acceptedAt")) or _utc(status.created_time)
    if start is None:
        return 0.0
    running = operation.runtime_status in RUNNING_RUNTIME_STATUSES
    end = now if running else (_utc(status.last_updated_time) or now)
    return max((end - start).total_seconds(), 0.0)


@bp.route(route=RESULTS_ROUTE, methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_analysis_results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await answered(_results(req, client), "[AnalysisResults] Reading an operation")


async def _results(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> HttpAnswer:
    asked = await _identified(req)
    with log_context(operationId=asked.operation_id, analyzerId=asked.analyzer_id, scope=scope_key(asked.scope)):
        return await _answer(client, asked)


async def _answer(client: df.DurableOrchestrationClient, asked: Identified) -> HttpAnswer:
    operation = await _visible(client, asked)
    if operation is None:
        return await _legacy_lookup(asked)
    status = operation.status
    now = datetime.now(timezone.utc)
    elapsed = _elapsed_seconds(operation, now)
    answer = answer_for_orchestration(
        operation.runtime_status,
        decode_json_field(status.output),
        decode_json_field(status.custom_status),
        asked.operation_id,
        asked.analyzer_id,
        elapsed,
        POLL_RETRY_AFTER_SECONDS,
        now,
    )
    if isinstance(answer, ResultsToRead):
        return await _read_results(answer, asked.analyzer_id)
    if answer.status == 500:
        log.info(
            "[AnalysisResults] Analysis ended without a result for %s: %s",
            asked.operation_id,
            answer.body["status"],
            extra={"event": "results.read", "outcome": answer.body["status"]},
        )
    return answer


async def _read_results(results: ResultsToRead, analyzer_id: str) -> HttpAnswer:
    """The claim-check copy of the result (made from the service's results once); a passing failure keeps the
    caller polling (202). Each read from the service is its own request with its own x-ms-client-request-id,
    logged with our operation id (the log context)."""
    elapsed = results.elapsed_seconds
    try:
        body = await asyncio.to_thread(result_body, results.operation_id, results.locations)
    except TransientServiceError as exc:
        log.warning("[AnalysisResults] Reading the result of %s failed for now (%s)", results.operation_id, exc.code)
        progress = {"phase": "reading-result", "serviceStatus": "Succeeded"}
        return processing_answer(results.operation_id, analyzer_id, elapsed, progress, POLL_RETRY_AFTER_SECONDS)
    except PermanentServiceError as exc:
        log.warning("[AnalysisResults] The result of %s is gone (%s)", results.operation_id, exc.code)
        return result_unavailable_answer(results.operation_id, elapsed)
    except ResultTooLarge as exc:
        return result_too_large_answer(results.operation_id, elapsed, exc.size, exc.limit)
    log.info(
        "[AnalysisResults] Analysis completed - returning results for %s",
        results.operation_id,
        extra={"event": "results.read", "outcome": "succeeded", "elapsedSeconds": round(elapsed, 3)},
    )
    return HttpAnswer(200, body)  # bytes: the service's body (one file) or the merged one, as stored


async def _legacy_lookup(asked: Identified) -> HttpAnswer:
    """The migration aid: one direct status check for an operation the old backend submitted.

    Off unless LEGACY_RESULTS_LOOKUP=true; then only for authenticated callers, rate-limited per caller, and
    only for operations the service says were created before LEGACY_RESULTS_CUTOVER, so an operation this app
    submitted is never readable here (only through its own operation id).
    """
    settings = get_settings()
    operation_id = asked.operation_id
    if not settings.legacy_results_lookup or asked.caller.anonymous or not may_be_service_operation_id(operation_id):
        raise _not_found()
    count_or_refuse(LEGACY_LOOKUPS, asked.caller)
    client = content_understanding_client()
    try:
        status = await asyncio.to_thread(client.get_status, client.operation_for_id(operation_id))
    except PermanentServiceError as exc:
        if exc.http_status == 404:
            raise _not_found() from None
        log.warning("[AnalysisResults] Direct status check refused for %s: %s", operation_id, exc.code)
        message = "Content Understanding refused the status check."
        raise Refusal(502, exc.code or "UpstreamError", message) from None
    except TransientServiceError:
        log.warning("[AnalysisResults] Direct status check unavailable for %s", operation_id)
        headers = {"Retry-After": str(POLL_RETRY_AFTER_SECONDS)}
        raise Refusal(503, "UpstreamUnavailable", "Content Understanding is unavailable; try again.", headers) from None
    if not _created_before(status.body, settings.legacy_results_cutover):
        raise _not_found()
    log.info(
        "[AnalysisResults] Direct status check for %s: %s",
        operation_id,
        status.status,
        extra={"event": "results.read", "legacy": True, "serviceOperationId": operation_id},
    )
    return answer_for_service_status(
        status.status,
        status.body,
        status.error_detail(),
        operation_id,
        asked.analyzer_id,
        POLL_RETRY_AFTER_SECONDS,
    )


def _created_before(body: dict | None, cutover: datetime | None) -> bool:
    """Only a result whose createdAt proves it predates the cutover is a legacy operation."""
    result = body.get("result") if isinstance(body, dict) else None
    created = result.get("createdAt") if isinstance(result, dict) else None
    moment = parse_time(created)
    return cutover is not None and moment is not None and moment < cutover


@bp.route(route=RESULTS_ROUTE, methods=["DELETE"])
@bp.durable_client_input(client_name="client")
async def cancel_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await answered(_cancel(req, client), "[AnalysisResults] Canceling an operation")


async def _cancel(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> HttpAnswer:
    asked = await _identified(req)
    operation = await _visible(client, asked)
    if operation is None:
        raise _not_found()
    if operation.status.runtime_status is None or operation.runtime_status not in RUNNING_RUNTIME_STATUSES:
        raise Refusal(409, "AlreadyFinished", "The analysis has already ended.")
    await client.terminate(asked.operation_id, "Canceled by the caller.")
    log.info("[AnalysisResults] Analysis canceled for %s", asked.operation_id)
    return canceling_answer(asked.operation_id, asked.analyzer_id)
