"""Turn the contract's plain HttpAnswer into an azure.functions.HttpResponse, and guard endpoints' failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

import aiohttp
import azure.functions as func

from domain.results_contract import HttpAnswer, error_answer, unavailable_answer

log = logging.getLogger("analysis.http")


def to_http_response(answer: HttpAnswer) -> func.HttpResponse:
    headers = {"Cache-Control": "no-store", **answer.headers}
    return func.HttpResponse(
        body=json.dumps(answer.body, separators=(",", ":"), ensure_ascii=False),
        status_code=answer.status,
        headers=headers,
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


async def guarded(work: Awaitable[func.HttpResponse], failing_step: str) -> func.HttpResponse:
    """Await an endpoint's work: an unreachable task hub is a 503, any other surprise a 500 with a JSON body."""
    try:
        return await work
    except Exception as exc:
        if backend_unreachable(exc):
            log.warning("%s failed: the task hub is unreachable (%s); answering 503", failing_step, type(exc).__name__)
            return to_http_response(unavailable_answer())
        log.exception("%s failed unexpectedly; answering 500", failing_step)
        message = "The service hit an unexpected error; it has been logged. Try again later."
        return to_http_response(error_answer(500, "InternalError", message))
