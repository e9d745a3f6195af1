"""The Durable extension's HTTP API, served by aiohttp over a DurableEngine.

The same routes answer under ``/durabletask/`` (the RPC endpoint the Python SDK's DurableOrchestrationClient
calls, advertised as ``rpcBaseUrl``) and under ``/runtime/webhooks/durabletask/`` (the public status and
management webhooks whose URLs end up in ``create_check_status_response``), as the extension's
HttpApiHandler does. Status codes and bodies follow that handler.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tools.devhost.durable import history as h
from tools.devhost.durable.engine import (
    RUNTIME_STATUSES,
    DurableEngine,
    InstanceExistsError,
    InstanceNotTerminalError,
    MessageTooLargeError,
    UnknownFunctionError,
)

RPC_PREFIX = "/durabletask"
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
CONNECTION_NAME = "Storage"
_CONTINUATION_HEADER = "x-ms-continuation-token"
_ACTIVE = ("Pending", "Running", "ContinuedAsNew", "Suspended")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def client_binding_json(
    base_url: str, task_hub: str, host_key: str | None = None, rpc_base_url: str | None = None
) -> str:
    """The durable client binding value the host hands to ``durable_client_input`` parameters.

    As the real host's, its management URLs carry the key (`code=`), and the RPC base URL is a local-only
    endpoint (rpc_base_url, another port) when the public one needs a key.
    """
    base_url = base_url.rstrip("/")
    webhooks = f"{base_url}{WEBHOOK_PREFIX}"
    suffix = _management_query(task_hub, host_key)
    instance = f"{webhooks}/instances/INSTANCEID"
    return json.dumps(
        {
            "taskHubName": task_hub,
            "connectionName": CONNECTION_NAME,
            "creationUrls": {
                "createNewInstancePostUri": f"{webhooks}/orchestrators/{{functionName}}[/{{instanceId}}]?{suffix}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{webhooks}/orchestrators/{{functionName}}[/{{instanceId}}]"
                    f"?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{suffix}"
                ),
            },
            "managementUrls": _management_urls(instance, "INSTANCEID", suffix),
            "baseUrl": webhooks,
            "requiredQueryStringParameters": "",
            "rpcBaseUrl": f"{(rpc_base_url or base_url).rstrip('/')}{RPC_PREFIX}/",
            "httpBaseUrl": webhooks,
        }
    )


def add_durable_routes(
    app: web.Application, engine: DurableEngine, prefixes: tuple[str, ...] = (RPC_PREFIX, WEBHOOK_PREFIX)
) -> None:
    api = _DurableApi(engine)
    for prefix in prefixes:
        app.router.add_post(f"{prefix}/orchestrators/{{functionName}}", api.guard(api.start))
        app.router.add_post(f"{prefix}/orchestrators/{{functionName}}/{{instanceId}}", api.guard(api.start))
        for path in (f"{prefix}/instances", f"{prefix}/instances/"):
            app.router.add_get(path, api.guard(api.query))
            app.router.add_delete(path, api.guard(api.purge_many))
        app.router.add_get(f"{prefix}/instances/{{instanceId}}", api.guard(api.status))
        app.router.add_delete(f"{prefix}/instances/{{instanceId}}", api.guard(api.purge))
        app.router.add_post(f"{prefix}/instances/{{instanceId}}/raiseEvent/{{eventName}}", api.guard(api.raise_event))
        app.router.add_post(f"{prefix}/instances/{{instanceId}}/{{operation}}", api.guard(api.operation))


class _DurableApi:
    def __init__(self, engine: DurableEngine) -> None:
        self.engine = engine

    @staticmethod
    def guard(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except web.HTTPException:
                raise
            except Exception as exc:
                return _error(500, "Something went wrong while processing your request", exc)

        return guarded

    # ------------------------------------------------------------------------------------------ start

    async def start(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["functionName"]
        instance_id = request.match_info.get("instanceId") or None
        body = (await request.read()).decode("utf-8")
        raw_input = None
        if body.strip():
            try:
                json.loads(body)
            except ValueError as exc:
                return _error(400, "Invalid JSON content", exc)
            raw_input = body
        try:
            instance_id = await self.engine.start_instance(name, instance_id, raw_input)
        except UnknownFunctionError as exc:
            return _error(400, str(exc), exc, "System.ArgumentException")
        except InstanceExistsError as exc:
            return _error(409, str(exc), exc, "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException")
        except MessageTooLargeError as exc:
            return _error(500, "Something went wrong while processing your request", exc, "Grpc.Core.RpcException")
        return self._check_status_response(request, instance_id)

    # ----------------------------------------------------------------------------------------- status

    async def status(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        status = await self.engine.get_status(
            request.match_info["instanceId"],
            show_history=_flag(query, "showHistory", False),
            show_history_output=_flag(query, "showHistoryOutput", False),
            show_input=_flag(query, "showInput", True),
        )
        if status is None:
            return web.Response(status=404)
        runtime_status = status["runtimeStatus"]
        if runtime_status in _ACTIVE:
            headers = {"Location": str(request.url), "Retry-After": "5"}
            return web.json_response(status, status=202, headers=headers)
        if runtime_status == "Failed" and _flag(query, "returnInternalServerErrorOnFailure", False):
            return web.json_response(status, status=500)
        return web.json_response(status, status=200)

    async def query(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        results = await self.engine.query(
            created_from=_time(query.get("createdTimeFrom")),
            created_to=_time(query.get("createdTimeTo")),
            runtime_statuses=_statuses(query.getall("runtimeStatus", [])),
            show_input=_flag(query, "showInput", True),
        )
        prefix = query.get("instanceIdPrefix")
        if prefix:
            results = [r for r in results if r["instanceId"].startswith(prefix)]
        start = _int(request.headers.get(_CONTINUATION_HEADER)) or 0
        page_size = _int(query.get("top"))
        page = results[start : start + page_size] if page_size else results[start:]
        headers = {}
        if page_size and start + page_size < len(results):
            headers[_CONTINUATION_HEADER] = str(start + page_size)
        return web.json_response(page, headers=headers)

    # ------------------------------------------------------------------------------------------ purge

    async def purge(self, request: web.Request) -> web.StreamResponse:
        try:
            deleted = await self.engine.purge(request.match_info["instanceId"])
        except InstanceNotTerminalError as exc:
            return web.json_response(str(exc), status=412)
        if deleted == 0:
            return web.Response(status=404)
        return web.json_response({"instancesDeleted": deleted})

    async def purge_many(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        created_from = _time(query.get("createdTimeFrom"))
        if created_from is None:
            return web.json_response("Please provide value for 'createdTimeFrom' parameter.", status=400)
        deleted = await self.engine.purge_many(
            created_from=created_from,
            created_to=_time(query.get("createdTimeTo")) or h.utcnow(),
            runtime_statuses=_statuses(query.getall("runtimeStatus", [])),
        )
        if deleted == 0:
            return web.Response(status=404)
        return web.json_response({"instancesDeleted": deleted})

    # ------------------------------------------------------------------------------------- operations

    async def raise_event(self, request: web.Request) -> web.StreamResponse:
        instance_id = request.match_info["instanceId"]
        status = await self.engine.get_status(instance_id, show_input=False)
        if status is None:
            return web.Response(status=404)
        if status["runtimeStatus"] not in _ACTIVE:
            return web.Response(status=410)
        if request.content_type.lower() != "application/json":
            return _error(400, "Only application/json request content is supported")
        body = (await request.read()).decode("utf-8")
        data_json = None
        if body.strip():
            try:
                data_json = json.dumps(json.loads(body))
            except ValueError as exc:
                return _error(400, "Invalid JSON content", exc)
        outcome = await self.engine.raise_event(instance_id, request.match_info["eventName"], data_json)
        return web.Response(status={"raised": 202, "not_found": 404}.get(outcome, 410))

    async def operation(self, request: web.Request) -> web.StreamResponse:
        instance_id = request.match_info["instanceId"]
        operation = request.match_info["operation"].lower()
        reason = request.query.get("reason") or ""
        if operation in ("terminate", "suspend", "resume"):
            action = getattr(self.engine, operation)
            outcome = await action(instance_id, reason)
            return web.Response(status={"not_found": 404, "already_finished": 410}.get(outcome, 202))
        if operation == "restart":
            return await self._restart(request, instance_id)
        if operation == "rewind":
            status = await self.engine.get_status(instance_id, show_input=False)
            if status is None:
                return web.json_response(f'No orchestration with instance ID "{instance_id}" found.', status=404)
            if status["runtimeStatus"] != "Failed":
                return web.json_response(
                    f"This orchestration has status {status['runtimeStatus']}, but only orchestrations in the "
                    '"Failed" state can be rewound.',
                    status=412,
                )
            return web.json_response(
                "Rewind is not supported by devhost (the local Durable engine); start a new instance instead.",
                status=501,
            )
        return web.Response(status=404)

    async def _restart(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        new_id = _flag(request.query, "restartWithNewInstanceId", True)
        try:
            restarted = await self.engine.restart(instance_id, new_instance_id=new_id)
        except InstanceExistsError as exc:
            return _error(409, "A non-terminal instance with this instance ID already exists.", exc)
        except UnknownFunctionError as exc:
            return _error(400, "InstanceId does not match a valid orchestration instance.", exc)
        if restarted is None:
            return _error(400, "InstanceId does not match a valid orchestration instance.")
        return self._check_status_response(request, restarted)

    # ---------------------------------------------------------------------------------------- helpers

    def _check_status_response(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """The 202 of the async HTTP pattern, with links on the caller's origin (as the extension builds them)."""
        origin = f"{request.scheme}://{request.host}"
        suffix = _management_query(self.engine.task_hub)
        instance = f"{origin}{WEBHOOK_PREFIX}/instances/{quote(instance_id, safe='')}"
        urls = _management_urls(instance, instance_id, suffix)
        body = {
            "id": instance_id,
            "statusQueryGetUri": urls["statusQueryGetUri"],
            "sendEventPostUri": urls["sendEventPostUri"],
            "terminatePostUri": urls["terminatePostUri"],
            "purgeHistoryDeleteUri": urls["purgeHistoryDeleteUri"],
            "restartPostUri": urls["restartPostUri"],
            "suspendPostUri": urls["suspendPostUri"],
            "resumePostUri": urls["resumePostUri"],
        }
        headers = {"Location": urls["statusQueryGetUri"], "Retry-After": "10"}
        return web.json_response(body, status=202, headers=headers)


def _management_query(task_hub: str, host_key: str | None = None) -> str:
    query = f"taskHub={quote(task_hub, safe='')}&connection={CONNECTION_NAME}"
    return f"{query}&code={quote(host_key, safe='')}" if host_key else query


def _management_urls(instance_url: str, instance_id: str, suffix: str) -> dict[str, str]:
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{instance_url}?{suffix}",
        "sendEventPostUri": f"{instance_url}/raiseEvent/{{eventName}}?{suffix}",
        "terminatePostUri": f"{instance_url}/terminate?reason={{text}}&{suffix}",
        "rewindPostUri": f"{instance_url}/rewind?reason={{text}}&{suffix}",
        "purgeHistoryDeleteUri": f"{instance_url}?{suffix}",
        "restartPostUri": f"{instance_url}/restart?{suffix}",
        "suspendPostUri": f"{instance_url}/suspend?reason={{text}}&{suffix}",
        "resumePostUri": f"{instance_url}/resume?reason={{text}}&{suffix}",
    }


def _error(status: int, message: str, exc: Exception | None = None, exc_type: str | None = None) -> web.Response:
    """ASP.NET's HttpError shape; the SDK reads ExceptionMessage from a 400 on start."""
    body: dict[str, Any] = {"Message": message}
    if exc is not None:
        body["ExceptionMessage"] = str(exc)
        body["ExceptionType"] = exc_type or type(exc).__name__
    return web.json_response(body, status=status)


def _flag(query: Any, name: str, default: bool) -> bool:
    """bool.TryParse semantics: "true"/"True"/"false" in any case, anything else means the default."""
    value = (query.get(name) or "").strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return default


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return h.parse_time(value)
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _statuses(values: list[str]) -> list[str] | None:
    canonical = {s.lower(): s for s in RUNTIME_STATUSES}
    found = [canonical[v.strip().lower()] for raw in values for v in raw.split(",") if v.strip().lower() in canonical]
    return found or None
