"""GET /health: the app's own state and whether Content Understanding is reachable and accepts our credentials.

Anonymous callers (probes) get only `status`; the details (auth mode, environment, credential kind, task hub
and service state) need a signed-in caller, or HEALTH_DETAILS_ANONYMOUS=true. Free of secrets (no endpoint, key
or token) either way. A probe may call it every few seconds, so the
Content Understanding answer is cached for HEALTH_CACHE_SECONDS and a probe costs almost nothing. 200 while
the task hub answers ("ok", or "degraded" when Content Understanding does not); 503 when the task hub cannot
be reached, since then no operation can start or be read.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import azure.durable_functions as df
import azure.functions as func

from config.per_process import Expiring
from config.service_clients import content_understanding_client
from config.settings import get_settings
from content_understanding import DEFAULT_API_VERSION
from domain.refusal import Refusal
from domain.results_contract import HttpAnswer
from http_api.caller import caller_and_scope
from http_api.responses import answered, backend_unreachable

HEALTH_CACHE_SECONDS = 30.0
PROBE_INSTANCE_ID = "health-probe"

bp = df.Blueprint()
_probes: Expiring[dict] = Expiring(HEALTH_CACHE_SECONDS)


@bp.route(route="health", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def health(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await answered(_health(req, client), "[Health] Checking health")


async def _health(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> HttpAnswer:
    settings = get_settings()
    task_hub = await _task_hub_state(client)
    service = await asyncio.to_thread(_service_state)
    healthy_service = service["reachable"] and service["credentialsAccepted"]
    status = "unavailable" if not task_hub["reachable"] else ("ok" if healthy_service else "degraded")
    body: dict = {"status": status}
    if settings.health_details_anonymous or await _signed_in(req):
        body.update(_details(settings, task_hub, service))
    return HttpAnswer(503 if status == "unavailable" else 200, body)


async def _signed_in(req: func.HttpRequest) -> bool:
    """Whether the request proves a caller (a valid token or principal, as the API endpoints require)."""
    try:
        caller, _scope = await caller_and_scope(req)
    except Refusal:
        return False
    return not caller.anonymous


def _details(settings, task_hub: dict, service: dict) -> dict:
    return {
        "checkedAt": datetime.now(timezone.utc).isoformat(),
        "app": {
            "authMode": settings.auth_mode,
            "environment": settings.environment,
            "apiVersion": DEFAULT_API_VERSION,
            "credential": "key" if settings.content_understanding_key else "entra",
        },
        "taskHub": task_hub,
        "contentUnderstanding": service,
    }


async def _task_hub_state(client: df.DurableOrchestrationClient) -> dict:
    try:
        await asyncio.wait_for(client.get_status(PROBE_INSTANCE_ID), timeout=5)
    except Exception as exc:
        if backend_unreachable(exc):
            return {"reachable": False, "code": type(exc).__name__}
        return {"reachable": True, "code": type(exc).__name__}
    return {"reachable": True, "code": None}


def _service_state(now: float | None = None) -> dict:
    """Content Understanding's answer to one cheap authenticated call, at most once per HEALTH_CACHE_SECONDS."""

    def probe() -> tuple[dict, None]:
        reachable, accepted, code = content_understanding_client().probe()
        state = {
            "reachable": reachable,
            "credentialsAccepted": accepted,
            "code": code,
            "checkedAt": datetime.now(timezone.utc).isoformat(),
            "cachedForSeconds": HEALTH_CACHE_SECONDS,
        }
        return state, None

    return _probes.get("contentUnderstanding", probe, now)
