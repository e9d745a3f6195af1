"""The one adapter between endpoints and the host: an endpoint returns an HttpAnswer or raises a Refusal, and
`answered` turns either (and any surprise) into the azure.functions.HttpResponse."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

import aiohttp
import azure.functions as func

from domain.refusal import Refusal
from domain.results_contract import HttpAnswer, error_answer, unavailable_answer

log = logging.getLogger("analysis.http")


def to_http_response(answer: HttpAnswer) -> func.HttpResponse:
    """JSON bodies are written compact; a bytes body (the service's own result) is sent as it came."""
    body = answer.body
    if not isinstance(body, bytes):
        body = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return func.HttpResponse(
        body=body,
        status_code=answer.status,
        headers={"Cache-Control": "no-store", **answer.headers},
        mimetype="application/json",
        charset="utf-8",
    )


def decode_json_field(value: object) -> object:
    """Durable status fields arrive parsed from the real host but as JSON text from some backends."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def backend_unreachable(exc: BaseException) -> bool:
    """Only these mean the task hub cannot be reached (a retry may work): connection failures and timeouts."""
    return isinstance(exc, aiohttp.ClientConnectionError | asyncio.TimeoutError | ConnectionError)


async def answered(work: Awaitable[HttpAnswer], failing_step: str) -> func.HttpResponse:
    """Await an endpoint's work: its answer, the error body of its Refusal, 503 for an unreachable task hub,
    or a 500 with a JSON body for any other surprise."""
    try:
        answer = await work
    except Refusal as refusal:
        log.info("%s refused: %s %s", failing_step, refusal.status, refusal.code)
        answer = error_answer(refusal.status, refusal.code, refusal.message, refusal.headers)
    except Exception as exc:
        if backend_unreachable(exc):
            log.warning("%s failed: the task hub is unreachable (%s); answering 503", failing_step, type(exc).__name__)
            answer = unavailable_answer()
        else:
            log.exception("%s failed unexpectedly; answering 500", failing_step)
            message = "The service hit an unexpected error; it has been logged. Try again later."
            answer = error_answer(500, "InternalError", message)
    return to_http_response(answer)
