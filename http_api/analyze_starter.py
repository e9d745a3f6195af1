"""POST /pro-mode/content-analyzers/{analyzerId}:analyze: who asks, validate, start the orchestration, answer."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func

from config.settings import Settings, get_settings
from domain.analyze_request import (
    AnalyzeRequest,
    UrlPolicy,
    ValidationError,
    check_idempotency_key,
    check_orchestration_input_size,
    parse_analyze_request,
    request_too_large,
)
from domain.caller_scope import same_scope, scope_key
from domain.duration_model import size_bucket
from domain.operation_ids import idempotent_operation_id, new_operation_id, request_fingerprint
from domain.orchestration_data import AnalysisJob, Scope
from domain.polling_schedule import PollingPolicy
from domain.refusal import Refusal
from domain.results_contract import HttpAnswer, submitted_answer
from duration_models import kept_model, learned_model
from http_api.caller import caller_and_scope
from http_api.caller_limits import STARTS, count_or_refuse
from http_api.responses import answered, decode_json_field
from input_files.sas_urls import container_for_scope, is_valid_container_name
from orchestrators.analysis_orchestrator import ORCHESTRATOR_NAME

SUBMITTED_RETRY_AFTER_SECONDS = 5

bp = df.Blueprint()
log = logging.getLogger("analysis.http")


@bp.route(route="pro-mode/content-analyzers/{analyzerId}:analyze", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await answered(_start_analysis(req, client), "[AnalyzeContent] Starting an analysis")


async def _start_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> HttpAnswer:
    settings = get_settings()
    analyzer_id = req.route_params.get("analyzerId", "")
    declared = req.headers.get("Content-Length") or ""
    if declared.isdigit() and int(declared) > settings.max_request_bytes:
        raise request_too_large(settings.max_request_bytes)  # on the declared length, before the body is read
    caller, scope = await caller_and_scope(req)
    request = _validated(req, analyzer_id, settings)
    if request.file_ids:
        _check_scope_container(scope, settings)
    count_or_refuse(STARTS, caller)  # a valid request about to start a billed analysis
    job = _job_for(request, scope, settings, await _learned_policy(request, settings))
    check_orchestration_input_size(job)  # refused here, never by the durable backend after a 202
    return await _start(client, job, analyzer_id, scope, req.headers.get("Idempotency-Key"))


def _validated(req: func.HttpRequest, analyzer_id: str, settings: Settings) -> AnalyzeRequest:
    idempotency_key = req.headers.get("Idempotency-Key")
    if idempotency_key is not None:
        check_idempotency_key(idempotency_key)
    request = parse_analyze_request(
        analyzer_id,
        req.get_body() or b"",
        max_inputs=settings.max_input_files,
        max_bytes=settings.max_request_bytes,
        url_policy=UrlPolicy(settings.allowed_input_hosts, allow_http=settings.is_development),
    )
    if request.file_ids and settings.input_container_url is None:
        raise ValidationError(
            "FileIdsNotSupported",
            "inputFiles has file ids, but this deployment has no INPUT_CONTAINER_URL; send https URLs.",
        )
    return request


def _check_scope_container(scope: Scope, settings: Settings) -> None:
    """The legacy-group-prefix layout names a group's container after the group id's first 8 characters; an id
    with `_` or `--` there names no valid container, so its file ids are refused here rather than after a 202."""
    location = container_for_scope(settings.input_container_url, scope, settings.input_container_layout)
    if not is_valid_container_name(location.container):
        raise ValidationError(
            "InvalidGroupId",
            f"X-Group-ID names no valid storage container in this deployment's {settings.input_container_layout} "
            "layout (its first 8 characters may hold only letters, digits and single '-'); send https URLs instead.",
        )


async def _start(
    client: df.DurableOrchestrationClient,
    job: AnalysisJob,
    analyzer_id: str,
    scope: Scope,
    idempotency_key: str | None,
) -> HttpAnswer:
    """Start the orchestration, or find the one an Idempotency-Key already started in this scope."""
    if idempotency_key is None:
        operation_id = new_operation_id()
        await client.start_new(ORCHESTRATOR_NAME, operation_id, job)
    else:
        operation_id = idempotent_operation_id(idempotency_key, scope_key(scope))
        existing = await client.get_status(operation_id, show_input=True)
        if not existing:
            try:
                await client.start_new(ORCHESTRATOR_NAME, operation_id, job)
            except Exception:
                # A concurrent request with the same key won the race; answer with its operation.
                existing = await client.get_status(operation_id, show_input=True)
                if not existing:
                    raise
            else:
                # The Azure Storage provider starts a new id check-then-insert: a concurrent start of the same id
                # also "succeeds", and only the start whose instance row was written runs. Read the row back:
                # when it holds another request's input, this request did not start anything.
                stored = await client.get_status(operation_id, show_input=True)
                if stored and not _is_this_start(stored, job):
                    existing = stored
        if existing:
            return _answer_for_existing(existing, job, operation_id, analyzer_id)
    log.info(
        "[AnalyzeContent] Analysis started for operation: %s (analyzer %s)",
        operation_id,
        analyzer_id,
        extra={
            "event": "analysis.started",
            "operationId": operation_id,
            "analyzerId": analyzer_id,
            "scope": scope_key(scope),
            "files": len(job["inputs"]),
        },
    )
    return submitted_answer(operation_id, analyzer_id, SUBMITTED_RETRY_AFTER_SECONDS)


def _same_request(previous: object, job: AnalysisJob) -> bool:
    """Whether a stored orchestration input is this request again: same scope and same fingerprint."""
    return (
        isinstance(previous, dict)
        and same_scope(previous.get("scope"), job["scope"])
        and previous.get("fingerprint") == job["fingerprint"]
    )


def _is_this_start(stored, job: AnalysisJob) -> bool:
    """Whether the stored input is this request's own: the same request, accepted at the same moment."""
    previous = decode_json_field(stored.input_)
    return _same_request(previous, job) and previous.get("acceptedAt") == job.get("acceptedAt")


def _answer_for_existing(existing, job: AnalysisJob, operation_id: str, analyzer_id: str) -> HttpAnswer:
    """The same request again gets the same operation; a different request with the same key is refused."""
    if not _same_request(decode_json_field(existing.input_), job):
        message = "This Idempotency-Key was already used for a different analyze request."
        raise Refusal(409, "IdempotencyKeyReused", message)
    log.info("[AnalyzeContent] Idempotent replay for operation: %s", operation_id)
    return submitted_answer(operation_id, analyzer_id, SUBMITTED_RETRY_AFTER_SECONDS, existing=True)


async def _learned_policy(request: AnalyzeRequest, settings: Settings) -> PollingPolicy | None:
    """The polling policy planned from the analyzer's duration model; None (cold) without a store or model.

    The model is read from storage at most once a minute per process, by a thread (never the event loop), and
    its plans are kept with it (duration_models.access): most POSTs neither wait for storage nor plan. A failing
    store answers None, never an error.
    """
    if settings.duration_model_store is None:
        return None
    try:
        model = kept_model(request.analyzer_id) or await asyncio.to_thread(learned_model, request.analyzer_id)
        return model.policy(size_bucket(request.pages), settings.polling_policy, settings.poll_target_lag_seconds)
    except Exception:
        log.exception("[AnalyzeContent] Planning from the duration model failed; cold schedule")
        return None


def _job_for(
    request: AnalyzeRequest, scope: Scope, settings: Settings, policy: PollingPolicy | None = None
) -> AnalysisJob:
    """The orchestration input (domain.orchestration_data.AnalysisJob).

    The policy carries the planned checks when a duration model knows the analyzer (the orchestrator follows
    the plan and never reads the model); `durationModel` asks the orchestrator to report the durations back.
    """
    job: AnalysisJob = {
        "analyzerId": request.analyzer_id,
        "inputs": list(request.inputs),
        "pages": request.pages,
        "caseId": request.case_id,
        "scope": scope,
        "policy": (policy or settings.polling_policy).to_dict(),
        "parallelism": settings.file_analysis_parallelism,
        "fingerprint": request_fingerprint(request.fingerprint_source()),
        "acceptedAt": datetime.now(timezone.utc).isoformat(),  # the deadline counts from the POST
    }
    if settings.duration_model_store is not None:
        job["durationModel"] = {"bucket": size_bucket(request.pages)}
    return job
