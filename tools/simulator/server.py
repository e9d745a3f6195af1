"""HTTP front of the simulator on aiohttp's low-level server: routing, auth, error bodies, request logging.

aiohttp parses HTTP/1.1 (keep-alive, chunked bodies, pipelining); this module only routes. Handlers run on
one event loop (see handle.py for the thread that owns it); state lives in SimulatorState behind a lock.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .entra import DEFAULT_TENANT, TokenIssuer, openid_configuration
from .options import RETIRED_API_VERSIONS, SUPPORTED_API_VERSIONS, SimulatorOptions
from .results import build_result
from .sources import NOT_ACCESSIBLE, is_loopback_url, read_source
from .state import OUTCOMES, Operation, ScenarioControls, SimulatorState

ANALYZER_ID_PATTERN = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
PROCESSING_LOCATIONS = frozenset({"geography", "dataZone", "global"})
STRING_ENCODINGS = frozenset({"codePoint", "utf16", "utf8"})
MAX_URL_LENGTH = 8192
ACCESS_DENIED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """Becomes an Azure-style error body plus x-ms-error-code header."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        inner_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.inner_code = inner_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        error["details"] = []
        if self.inner_code:
            error["innererror"] = {"code": self.inner_code}
        return {"error": error}


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON, bytes -> raw, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Incoming:
    """What routing needs from a request, independent of the HTTP library."""

    method: str
    path: str  # raw (still percent-encoded) path
    query: dict[str, str]
    headers: Any  # case-insensitive mapping
    body: bytes


def format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class SimulatorServer:
    """The simulated service on one asyncio loop: start() binds, stop() closes listeners and connections."""

    def __init__(self, options: SimulatorOptions, state: SimulatorState) -> None:
        self.options = options
        self.state = state
        self.issuer = TokenIssuer()
        self.port = options.port
        self._web: web.Server | None = None  # made in start(): it binds to the running loop
        self._listener: asyncio.AbstractServer | None = None
        self._fetcher: aiohttp.ClientSession | None = None  # reads loopback inputs; made on the loop
        self._reads: set[asyncio.Task] = set()

    @property
    def base_url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    @property
    def public_base(self) -> str:
        """Base URL the service names itself by (Operation-Location fallback, token issuer)."""
        configured = self.options.public_base_url
        if configured:
            return configured.replace("{port}", str(self.port)).rstrip("/")
        return self.base_url

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._web = web.Server(self._handle, access_log=None, keepalive_timeout=120)
        self._listener = await loop.create_server(
            self._new_connection, self.options.host, self.options.port, reuse_address=True, backlog=256
        )
        self.port = int(self._listener.sockets[0].getsockname()[1])

    def _new_connection(self) -> RequestHandler:
        # One protocol instance per accepted TCP connection: the place to count connections.
        self.state.count_connection()
        assert self._web is not None
        return self._web()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for task in list(self._reads):
            task.cancel()
        if self._fetcher is not None:
            await self._fetcher.close()
        if self._web is not None:
            await self._web.shutdown(0.5)
        if self._listener is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._listener.wait_closed(), timeout=2)

    # ------------------------------------------------------------------ plumbing

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.monotonic()
        if request.headers.get("Expect", "").lower() == "100-continue":
            # curl sends Expect for bodies over 1 MB; the low-level server leaves the interim answer to us.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await request.content.read()
        raw_path = request.rel_url.raw_path
        query = {key: request.query.getall(key)[-1] for key in request.query}
        incoming = Incoming(request.method, raw_path, query, request.headers, body)
        if raw_path.startswith("/contentunderstanding/"):
            self.state.record_client_request(request.method, raw_path, request.headers.get("x-ms-client-request-id"))
        try:
            reply = self.route(incoming)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), {"x-ms-error-code": exc.code, **exc.headers})
        except Exception as exc:  # a simulator bug must still produce a well-formed answer
            error = ApiError(500, "InternalServerError", f"simulator error: {exc!r}")
            reply = Reply(500, error.body(), {"x-ms-error-code": "InternalServerError"})
        response = self._response(reply, request.headers.get("x-ms-client-request-id"))
        self.state.count_response(reply.status)
        if not self.options.quiet:
            elapsed_ms = (time.monotonic() - started) * 1000
            # Never the query string (SAS tokens, api-version) nor headers (keys, tokens).
            sys.stderr.write(f"[cu-sim] {request.method} {raw_path} {reply.status} {elapsed_ms:.0f}ms\n")
            sys.stderr.flush()
        return response

    @staticmethod
    def _response(reply: Reply, client_request_id: str | None) -> web.Response:
        if reply.body is None or reply.status == 204:
            payload = b""
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body).encode("utf-8")
        headers = {"apim-request-id": str(uuid.uuid4())}
        if payload:
            headers["Content-Type"] = JSON_CONTENT_TYPE
        if client_request_id:
            headers["x-ms-client-request-id"] = client_request_id
        headers.update(reply.headers)
        return web.Response(status=reply.status, body=payload or None, headers=headers)

    # ------------------------------------------------------------------ routing

    def route(self, req: Incoming) -> Reply:
        path = req.path
        if path.startswith("/_sim/"):
            return self._control(req)
        if not path.startswith("/contentunderstanding/"):
            entra = self._entra(req)
            if entra is not None:
                return entra
            raise ApiError(404, "404", "Resource not found")
        self._authenticate(req)
        api_version = req.query.get("api-version")
        if not api_version:
            raise ApiError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if api_version in RETIRED_API_VERSIONS:
            raise ApiError(
                410,
                "InvalidRequest",
                f"The api-version '{api_version}' has been retired. "
                f"Use one of '{', '.join(sorted(SUPPORTED_API_VERSIONS))}'.",
                target="api-version",
                inner_code="ApiVersionRetired",
            )
        if api_version not in SUPPORTED_API_VERSIONS:
            raise ApiError(
                400,
                "UnsupportedApiVersionValue",
                f"Unsupported api-version '{api_version}'. "
                f"The supported api-versions are '{', '.join(sorted(SUPPORTED_API_VERSIONS))}'.",
                target="api-version",
            )
        parts = path[len("/contentunderstanding/") :].split("/")
        method = req.method
        if parts == ["defaults"]:
            return self._defaults(req)
        if parts[0] == "analyzerResults" and len(parts) == 2 and parts[1]:
            operation_id = unquote(parts[1])
            if method == "GET":
                return self._get_result(operation_id, req)
            if method == "DELETE":
                return self._delete_result(operation_id, req)
            raise _method_not_allowed(method)
        if parts[0] == "analyzers":
            if len(parts) == 1:
                if method == "GET":
                    return Reply(200, {"value": self.state.list_analyzers()})
                raise _method_not_allowed(method)
            head = unquote(parts[1])
            if len(parts) == 2 and ":" in head:
                analyzer_id, _, action = head.partition(":")
                if action in ("analyze", "analyzeBinary"):
                    if method != "POST":
                        raise _method_not_allowed(method)
                    return self._analyze(analyzer_id, action, api_version, req)
                raise ApiError(404, "404", "Resource not found")
            if len(parts) == 2:
                return self._analyzer_resource(head, req)
            if len(parts) == 4 and parts[2] == "operations" and method == "GET":
                _validate_analyzer_id(head)
                analyzer = self.state.get_analyzer(head)
                if analyzer is None:
                    raise _analyzer_not_found(head)
                return Reply(200, {"id": unquote(parts[3]), "status": "Succeeded", "result": analyzer})
        raise ApiError(404, "404", "Resource not found")

    def _authenticate(self, req: Incoming) -> None:
        key = req.headers.get("Ocp-Apim-Subscription-Key")
        if key is not None:
            expected = self.options.key
            if key and (expected is None or key == expected):
                return
            raise ApiError(401, "401", ACCESS_DENIED_MESSAGE)
        authorization = req.headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return
        raise ApiError(401, "401", ACCESS_DENIED_MESSAGE)

    def _control(self, req: Incoming) -> Reply:
        path, method = req.path, req.method
        if path == "/_sim/stats" and method == "GET":
            return Reply(200, self.state.snapshot())
        if path == "/_sim/reset" and method == "POST":
            self.state.reset()
            return Reply(200, {"reset": True})
        if path == "/_sim/config" and method == "POST":
            settings = _json_object(req.body, allow_empty=True)
            try:
                self.state.configure(settings)
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "InvalidRequest", f"bad simulator config: {exc}") from exc
            return Reply(200, {"configured": sorted(settings)})
        if path == "/_sim/token" and method == "POST":
            return Reply(200, self._mint(_json_object(req.body, allow_empty=True)))
        if path == "/_sim/jwks/rotate" and method == "POST":
            return Reply(200, {"kid": self.issuer.rotate()})
        raise ApiError(404, "404", "Resource not found")

    # ------------------------------------------------------------------ Entra ID stand-in

    def _entra(self, req: Incoming) -> Reply | None:
        parts = req.path.strip("/").split("/")
        if req.method != "GET" or len(parts) < 3 or not TENANT_PATTERN.match(unquote(parts[0])):
            return None
        tenant = unquote(parts[0])
        if parts[1:] == ["discovery", "v2.0", "keys"]:
            self.state.count_jwks_call()
            return Reply(200, self.issuer.jwks(tenant, self.public_base))
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return Reply(200, openid_configuration(self.public_base, tenant))
        return None

    def _mint(self, request: dict[str, Any]) -> dict[str, Any]:
        claims = request.get("claims") or {}
        if not isinstance(claims, dict):
            raise ApiError(400, "InvalidRequest", "'claims' must be a JSON object.", target="claims")
        try:
            expires_in = float(request.get("expires_in", 3600))
            token = self.issuer.mint(
                self.public_base,
                claims,
                key=str(request.get("key", "trusted")),
                tenant=str(request.get("tenant") or DEFAULT_TENANT),
                expires_in=expires_in,
                not_before_in=float(request.get("not_before_in", 0)),
            )
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "InvalidRequest", f"bad token request: {exc}") from exc
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(expires_in)}

    # ------------------------------------------------------------------ defaults

    def _defaults(self, req: Incoming) -> Reply:
        if req.method == "GET":
            return Reply(200, self.state.defaults())
        if req.method == "PATCH":
            patch = _json_object(req.body)
            wanted = _validated_model_deployments(patch, removals=True)  # a merge patch: null removes a model
            unknown = sorted({d for d in wanted.values() if d is not None} - set(self.options.deployments))
            if unknown:  # the service checks the deployments exist before it keeps them as defaults
                raise ApiError(
                    400,
                    "InvalidRequest",
                    f"Model deployment(s) {', '.join(repr(d) for d in unknown)} not found in the resource.",
                    target="modelDeployments",
                    inner_code="ModelDeploymentNotFound",
                )
            return Reply(200, self.state.update_defaults(patch))
        raise _method_not_allowed(req.method)

    # ------------------------------------------------------------------ analyze

    def _analyze(self, analyzer_id: str, action: str, api_version: str, req: Incoming) -> Reply:
        query, body = req.query, req.body
        with self.state.lock:
            self.state.stats.analyze_calls += 1
        fault = self.state.take_submit_fault()
        if fault is not None:
            status, retry_after = fault
            if status == 429:
                headers = {"Retry-After": format_seconds(retry_after)} if retry_after else {}
                raise ApiError(429, "TooManyRequests", "Rate limit is exceeded. Try again later.", headers=headers)
            raise ApiError(status, _code_for_status(status), "The service is temporarily unavailable.")
        _validate_analyzer_id(analyzer_id)
        for name, allowed in (
            ("processingLocation", PROCESSING_LOCATIONS),
            ("stringEncoding", STRING_ENCODINGS),
        ):
            if name in query and query[name] not in allowed:
                raise ApiError(
                    400,
                    "InvalidRequest",
                    f"Invalid value '{query[name]}' for {name}.",
                    target=name,
                    inner_code="InvalidParameter",
                )
        if not self.state.analyzer_exists(analyzer_id):
            raise _analyzer_not_found(analyzer_id)
        with self.state.lock:
            self.state.stats.processing_locations[query.get("processingLocation", "default")] += 1
        overrides: dict[str, str] = {}
        first_url = None
        if action == "analyze":
            request = _json_object(body)
            inputs = _validated_inputs(request)
            overrides = _validated_model_deployments(request)
            first_url = inputs[0].get("url")
            controls_query = {k: v[-1] for k, v in parse_qs(urlsplit(first_url).query).items()} if first_url else {}
        else:
            if not body:
                raise ApiError(400, "InvalidRequest", "The request body is empty.", inner_code="EmptyRequest")
            inputs = [{"data": "<binary>", "mimeType": req.headers.get("Content-Type") or "application/pdf"}]
            if query.get("range"):
                inputs[0]["range"] = query["range"]
            controls_query = query
        missing = self.state.missing_models(analyzer_id, overrides)
        if missing:
            raise ApiError(
                400,
                "InvalidRequest",
                f"No model deployment is configured for model(s) {', '.join(repr(m) for m in missing)} required by "
                f"analyzer '{analyzer_id}'. Set the resource's default model deployments "
                "(PATCH /contentunderstanding/defaults) or pass modelDeployments in the request.",
                target="modelDeployments",
                inner_code="ModelDeploymentNotFound",
            )
        controls = self._controls(controls_query)
        operation = self.state.create_operation(
            analyzer_id, api_version, inputs, controls, query.get("stringEncoding", "codePoint")
        )
        if first_url and is_loopback_url(first_url):
            self._read_source(operation, first_url)
        return Reply(
            202,
            {"id": operation.id, "status": "NotStarted"},
            {"Operation-Location": self._operation_location(operation, req)},
        )

    def _read_source(self, operation: Operation, url: str) -> None:
        """Read the input in the background, as the service does after its 202; unreadable -> Failed."""
        loop = asyncio.get_running_loop()
        if self._fetcher is None:
            self._fetcher = aiohttp.ClientSession(trust_env=False)  # never through a proxy from the environment
        with self.state.lock:
            operation.source = "reading"
            self.state.stats.source_fetches += 1

        async def read() -> None:
            assert self._fetcher is not None
            error = await read_source(self._fetcher, url)
            with self.state.lock:
                operation.source, operation.source_error = ("read", None) if error is None else ("unreadable", error)

        task = loop.create_task(read())
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    def _controls(self, values: dict[str, str]) -> ScenarioControls:
        controls = ScenarioControls(duration=self.options.duration)
        try:
            if "sim_duration" in values:
                controls.duration = max(float(values["sim_duration"]), 0.0)
            if "sim_outcome" in values:
                outcome = values["sim_outcome"].lower()
                if outcome not in OUTCOMES:
                    raise ValueError(f"sim_outcome must be one of {sorted(OUTCOMES)}")
                controls.outcome = outcome
            if "sim_throttle" in values:
                controls.throttle = int(values["sim_throttle"])
            if "sim_retry_after" in values:
                controls.retry_after = max(float(values["sim_retry_after"]), 0.0)
            if "sim_fail" in values:
                controls.fail = int(values["sim_fail"])
            if "sim_result_kb" in values:
                controls.result_kb = max(float(values["sim_result_kb"]), 0.0)
        except ValueError as exc:
            raise ApiError(400, "InvalidRequest", f"Invalid simulator control: {exc}", target="inputs") from exc
        return controls

    def _operation_location(self, operation: Operation, req: Incoming) -> str:
        if self.options.public_base_url:
            base = self.public_base
        else:
            host = req.headers.get("Host") or f"{self.options.host}:{self.port}"
            base = f"http://{host}"
        location = (
            f"{base}/contentunderstanding/analyzerResults/{quote(operation.id)}"
            f"?api-version={quote(operation.api_version)}"
        )
        if operation.signature:
            location += f"&sim_sig={operation.signature}"
        return location

    # ------------------------------------------------------------------ results

    def _lookup(self, operation_id: str, query: dict[str, str]) -> Operation:
        operation = self.state.get_operation(operation_id)
        if operation is None or (operation.signature and query.get("sim_sig") != operation.signature):
            raise ApiError(404, "NotFound", f"Operation '{operation_id}' was not found or has expired.")
        return operation

    def _get_result(self, operation_id: str, req: Incoming) -> Reply:
        with self.state.lock:
            self.state.stats.status_calls += 1
            self.state.stats.status_calls_by_operation[operation_id] += 1
            self.state.stats.status_hosts[req.headers.get("Host") or ""] += 1
        operation = self._lookup(operation_id, req.query)
        with self.state.lock:
            if operation.throttle_left > 0:
                operation.throttle_left -= 1
                retry_after = operation.controls.retry_after
                headers = {"Retry-After": format_seconds(retry_after)} if retry_after > 0 else {}
                raise ApiError(429, "TooManyRequests", "Rate limit is exceeded. Try again later.", headers=headers)
            if operation.fail_left > 0:
                operation.fail_left -= 1
                raise ApiError(503, "ServiceUnavailable", "The service is temporarily unavailable.")
        status = operation.status_at(time.monotonic())
        if status == "Succeeded":
            return Reply(200, self._succeeded_body(operation))
        if status == "Failed" and operation.source == "unreadable":
            error = {
                "code": "InvalidRequest",
                "message": f"Content is not accessible: {operation.source_error}.",
                "target": "inputs[0].url",
                "details": [],
                "innererror": {"code": NOT_ACCESSIBLE},
            }
            return Reply(200, {"id": operation.id, "status": "Failed", "error": error})
        if status == "Failed":
            return Reply(
                200,
                {
                    "id": operation.id,
                    "status": "Failed",
                    "error": {
                        "code": "InvalidContent",
                        "message": "The file is corrupted or its format is not supported.",
                        "details": [],
                        "innererror": {"code": "InvalidContentFormat"},
                    },
                },
            )
        return Reply(200, {"id": operation.id, "status": status})

    def _succeeded_body(self, operation: Operation) -> dict[str, Any]:
        with self.state.lock:
            cached = operation.result_cache
        if cached is None:
            cached = build_result(
                operation.id,
                operation.analyzer_id,
                self.state.get_analyzer(operation.analyzer_id),
                operation.api_version,
                operation.created_at,
                operation.inputs,
                operation.controls.result_kb,
                operation.string_encoding,
            )
            with self.state.lock:
                operation.result_cache = cached
        return cached

    def _delete_result(self, operation_id: str, req: Incoming) -> Reply:
        with self.state.lock:
            self.state.stats.delete_calls += 1
        self._lookup(operation_id, req.query)
        self.state.delete_operation(operation_id)
        return Reply(204)

    # ------------------------------------------------------------------ analyzers

    def _analyzer_resource(self, analyzer_id: str, req: Incoming) -> Reply:
        method, query = req.method, req.query
        _validate_analyzer_id(analyzer_id)
        if method == "GET":
            analyzer = self.state.get_analyzer(analyzer_id)
            if analyzer is None:
                raise _analyzer_not_found(analyzer_id)
            return Reply(200, analyzer)
        if method == "PUT":
            definition = _json_object(req.body)
            if analyzer_id.startswith("prebuilt-"):
                raise ApiError(409, "Conflict", f"Prebuilt analyzer '{analyzer_id}' cannot be replaced.")
            allow_replace = query.get("allowReplace", "false").lower() == "true"
            if self.state.get_analyzer(analyzer_id) is not None and not allow_replace:
                raise ApiError(
                    409,
                    "Conflict",
                    f"Analyzer '{analyzer_id}' already exists; use allowReplace=true to replace.",
                )
            resource, created = self.state.put_analyzer(analyzer_id, definition)
            location = (
                f"/contentunderstanding/analyzers/{quote(analyzer_id)}/operations/{uuid.uuid4()}"
                f"?api-version={quote(query['api-version'])}"
            )
            host = req.headers.get("Host") or ""
            return Reply(201 if created else 200, resource, {"Operation-Location": f"http://{host}{location}"})
        if method == "DELETE":
            if analyzer_id.startswith("prebuilt-"):
                raise ApiError(400, "InvalidRequest", f"Prebuilt analyzer '{analyzer_id}' cannot be deleted.")
            if not self.state.delete_analyzer(analyzer_id):
                raise _analyzer_not_found(analyzer_id)
            return Reply(204)
        raise _method_not_allowed(method)


# ---------------------------------------------------------------------- validation helpers


def _method_not_allowed(method: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", f"Method {method} is not allowed on this resource.")


def _code_for_status(status: int) -> str:
    return {
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }.get(status, str(status))


def _analyzer_not_found(analyzer_id: str) -> ApiError:
    return ApiError(404, "ModelNotFound", f"Analyzer '{analyzer_id}' was not found.", target="analyzerId")


def _validate_analyzer_id(analyzer_id: str) -> None:
    if not ANALYZER_ID_PATTERN.match(analyzer_id):
        raise ApiError(
            400,
            "InvalidRequest",
            "Analyzer id must be 1-64 characters of letters, digits, '.', '_' or '-'.",
            target="analyzerId",
            inner_code="InvalidAnalyzerId",
        )


def _json_object(body: bytes, *, allow_empty: bool = False) -> dict[str, Any]:
    if not body and allow_empty:
        return {}
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(
            400, "InvalidRequest", "The request body is not valid JSON.", inner_code="InvalidJsonRequest"
        ) from exc
    if not isinstance(parsed, dict):
        raise ApiError(
            400, "InvalidRequest", "The request body must be a JSON object.", inner_code="InvalidJsonRequest"
        )
    return parsed


def _validated_model_deployments(request: dict[str, Any], *, removals: bool = False) -> dict[str, str]:
    """`modelDeployments` maps model names to deployment names (null, in a defaults merge patch, removes one)."""
    deployments = request.get("modelDeployments")
    if deployments is None:
        return {}

    def valid(name: object) -> bool:
        return (isinstance(name, str) and (bool(name) or not removals)) or (removals and name is None)

    if not isinstance(deployments, dict) or not all(valid(v) for v in deployments.values()):
        raise ApiError(
            400,
            "InvalidRequest",
            "'modelDeployments' must map model names to deployment names.",
            target="modelDeployments",
            inner_code="InvalidParameter",
        )
    return deployments


def _validated_inputs(request: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ApiError(
            400,
            "InvalidRequest",
            "The 'inputs' array is required and must not be empty.",
            target="inputs",
            inner_code="InvalidRequestBody",
        )
    if len(inputs) > 1:
        # GA 2025-11-01: "Currently, only pro mode supports multiple inputs", and GA has no pro mode.
        raise ApiError(
            400,
            "InvalidRequest",
            f"Only one input is supported per analyze request; got {len(inputs)}. Submit one analysis per input.",
            target="inputs",
            inner_code="TooManyInputs",
        )
    for index, item in enumerate(inputs):
        target = f"inputs[{index}]"
        if not isinstance(item, dict):
            raise ApiError(400, "InvalidRequest", "Each input must be an object.", target=target)
        has_url, has_data = "url" in item, "data" in item
        if has_url == has_data:
            raise ApiError(
                400,
                "InvalidRequest",
                "Exactly one of 'url' or 'data' must be specified.",
                target=target,
                inner_code="InvalidContentSource",
            )
        if has_url:
            url = item["url"]
            parts = urlsplit(url) if isinstance(url, str) else None
            if (
                parts is None
                or parts.scheme.lower() not in ("http", "https")
                or not parts.netloc
                or len(url) > MAX_URL_LENGTH
            ):
                raise ApiError(
                    400,
                    "InvalidRequest",
                    "The input URL is not a valid http(s) URL.",
                    target=f"{target}.url",
                    inner_code="InvalidContentSourceFormat",
                )
        else:
            try:
                base64.b64decode(item["data"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise ApiError(
                    400,
                    "InvalidRequest",
                    "'data' must be base64-encoded.",
                    target=f"{target}.data",
                    inner_code="InvalidContentSourceFormat",
                ) from exc
        if "range" in item and not isinstance(item["range"], str):
            raise ApiError(400, "InvalidRequest", "'range' must be a string.", target=f"{target}.range")
    return inputs
