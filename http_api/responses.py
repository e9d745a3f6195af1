"""Turn the contract's plain HttpAnswer into an azure.functions.HttpResponse."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable

import azure.functions as func

from domain.results_contract import HttpAnswer, unavailable_answer

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


async def unless_backend_down(work: Awaitable[func.HttpResponse], failing_step: str) -> func.HttpResponse:
    """Await an endpoint's durable work; if the task hub cannot be reached, answer 503 instead of a bare 500."""
    try:
        return await work
    except Exception:
        log.exception("%s failed; answering 503", failing_step)
        return to_http_response(unavailable_answer())
