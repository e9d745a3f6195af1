"""POST /pro-mode/content-analyzers/{analyzerId}:analyze - validate, start the orchestration, answer at once."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func

from config.settings import Settings, get_settings
from domain.analyze_request import (
    AnalyzeRequest,
    ValidationError,
    check_group_id,
    check_idempotency_key,
    parse_analyze_request,
)
from domain.operation_ids import idempotent_operation_id, request_fingerprint
from domain.results_contract import error_answer, submitted_answer
from http_api.responses import decode_json_field, to_http_response, unless_backend_down
from orchestrators.analysis_orchestrator import ORCHESTRATOR_NAME

SUBMITTED_RETRY_AFTER_SECONDS = 5

bp = df.Blueprint()
log = logging.getLogger("analysis.http")


@bp.route(route="pro-mode/content-analyzers/{analyzerId}:analyze", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_analysis(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    settings = get_settings()
    analyzer_id = req.route_params.get("analyzerId", "")
    try:
        request = parse_analyze_request(
            analyzer_id,
            req.get_body() or b"",
            max_inputs=settings.max_input_files,
            max_bytes=settings.max_request_bytes,
        )
        group_id = req.headers.get("X-Group-ID") or None
        if group_id is not None:
            check_group_id(group_id)
        idempotency_key = req.headers.get("Idempotency-Key")
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key)
        if request.file_ids and settings.input_container_url is None:
            raise ValidationError(
                "FileIdsNotSupported",
                "inputFiles has file ids, but this deployment has no INPUT_CONTAINER_URL; send https URLs.",
            )
    except ValidationError as exc:
        log.info("[AnalyzeContent] Rejected analyze request for analyzer %r: %s", analyzer_id[:64], exc.code)
        return to_http_response(error_answer(400, exc.code, exc.message))

    job = _job_for(request, group_id, settings)
    work = _start(client, job, analyzer_id, group_id, idempotency_key)
    return await unless_backend_down(work, "[AnalyzeContent] Starting an analysis")


async def _start(
    client: df.DurableOrchestrationClient,
    job: dict,
    analyzer_id: str,
    group_id: str | None,
    idempotency_key: str | None,
) -> func.HttpResponse:
    """Start the orchestration, or find the one an Idempotency-Key already started."""
    if idempotency_key is None:
        operation_id = await client.start_new(ORCHESTRATOR_NAME, None, job)
    else:
        operation_id = idempotent_operation_id(idempotency_key, group_id)
        existing = await client.get_status(operation_id, show_input=True)
        if not existing:
            try:
                await client.start_new(ORCHESTRATOR_NAME, operation_id, job)
            except Exception:
                # A concurrent request with the same key won the race; answer with its operation.
                existing = await client.get_status(operation_id, show_input=True)
                if not existing:
                    raise
        if existing:
            return _answer_for_existing(existing, job, operation_id, analyzer_id)
    log.info("[AnalyzeContent] Analysis started for operation: %s (analyzer %s)", operation_id, analyzer_id)
    return to_http_response(submitted_answer(operation_id, analyzer_id, SUBMITTED_RETRY_AFTER_SECONDS))


def _answer_for_existing(existing, job: dict, operation_id: str, analyzer_id: str) -> func.HttpResponse:
    """The same request again gets the same operation; a different request with the same key is refused."""
    previous = decode_json_field(existing.input_) or {}
    if not isinstance(previous, dict) or previous.get("fingerprint") != job["fingerprint"]:
        message = "This Idempotency-Key was already used for a different analyze request."
        return to_http_response(error_answer(409, "IdempotencyKeyReused", message))
    log.info("[AnalyzeContent] Idempotent replay for operation: %s", operation_id)
    answer = submitted_answer(operation_id, analyzer_id, SUBMITTED_RETRY_AFTER_SECONDS, existing=True)
    return to_http_response(answer)


def _job_for(request: AnalyzeRequest, group_id: str | None, settings: Settings) -> dict:
    """The orchestration input: everything it needs, including the policy, so replays never read settings."""
    return {
        "analyzerId": request.analyzer_id,
        "inputs": list(request.inputs),
        "pages": request.pages,
        "locale": request.locale,
        "caseId": request.case_id,
        "groupId": group_id,
        "policy": settings.polling_policy.to_dict(),
        "fingerprint": request_fingerprint(request.fingerprint_source()),
        "submittedAt": datetime.now(timezone.utc).isoformat(),
    }
