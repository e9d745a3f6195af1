"""HTTP front of the simulator: routing, auth, error bodies, keep-alive, request logging."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .options import SUPPORTED_API_VERSIONS, SimulatorOptions
from .results import build_result
from .state import OUTCOMES, Operation, ScenarioControls, SimulatorState

ANALYZER_ID_PATTERN = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
PROCESSING_LOCATIONS = frozenset({"geography", "dataZone", "global"})
STRING_ENCODINGS = frozenset({"codePoint", "utf16", "utf8"})
MAX_URL_LENGTH = 8192
ACCESS_DENIED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
_log_lock = threading.Lock()


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


def format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, options: SimulatorOptions, state: SimulatorState) -> None:
        self.options = options
        self.state = state
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__((options.host, options.port), SimulatorRequestHandler)

    def track(self, sock: socket.socket) -> None:
        self.state.count_connection()
        with self._sockets_lock:
            self._sockets.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._sockets_lock:
            self._sockets.discard(sock)

    def close_open_connections(self) -> None:
        """Keep-alive handler threads block on idle sockets; shut them so stop() is immediate."""
        with self._sockets_lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ContentUnderstandingSimulator/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are dropped eventually
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    # BaseHTTPRequestHandler logs the request line, whose query may carry SAS tokens: we log our own line.
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # ------------------------------------------------------------------ plumbing

    @property
    def state(self) -> SimulatorState:
        return self.server.state

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537).split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        started = time.monotonic()
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            body = b""
        try:
            reply = self._route(self.command, path, query, body)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), {"x-ms-error-code": exc.code, **exc.headers})
        except Exception as exc:  # a simulator bug must still produce a well-formed answer
            reply = Reply(500, ApiError(500, "InternalServerError", f"simulator error: {exc!r}").body())
            reply.headers["x-ms-error-code"] = "InternalServerError"
        self._send(reply)
        self.state.count_response(reply.status)
        if not self.server.options.quiet:
            elapsed_ms = (time.monotonic() - started) * 1000
            with _log_lock:
                sys.stderr.write(f"[cu-sim] {self.command} {path} {reply.status} {elapsed_ms:.0f}ms\n")
                sys.stderr.flush()

    def _send(self, reply: Reply) -> None:
        if reply.body is None or reply.status == 204:
            payload = b""
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("apim-request-id", str(uuid.uuid4()))
        client_request_id = self.headers.get("x-ms-client-request-id")
        if client_request_id:
            self.send_header("x-ms-client-request-id", client_request_id)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()

    # ------------------------------------------------------------------ routing

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/_sim/"):
            return self._control(method, path, body)
        if not path.startswith("/contentunderstanding/"):
            raise ApiError(404, "404", "Resource not found")
        self._authenticate()
        api_version = query.get("api-version")
        if not api_version:
            raise ApiError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if api_version not in SUPPORTED_API_VERSIONS:
            raise ApiError(
                400,
                "UnsupportedApiVersion",
                f"The HTTP resource does not support api-version '{api_version}'. "
                f"Supported versions: {', '.join(sorted(SUPPORTED_API_VERSIONS))}.",
            )
        rest = path[len("/contentunderstanding/") :]
        parts = rest.split("/")
        if parts[0] == "analyzerResults" and len(parts) == 2 and parts[1]:
            operation_id = unquote(parts[1])
            if method == "GET":
                return self._get_result(operation_id, query)
            if method == "DELETE":
                return self._delete_result(operation_id, query)
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
                    return self._analyze(analyzer_id, action, api_version, query, body)
                raise ApiError(404, "404", "Resource not found")
            if len(parts) == 2:
                return self._analyzer_resource(method, head, query, body)
            if len(parts) == 4 and parts[2] == "operations" and method == "GET":
                analyzer_id = head
                _validate_analyzer_id(analyzer_id)
                analyzer = self.state.get_analyzer(analyzer_id)
                if analyzer is None:
                    raise _analyzer_not_found(analyzer_id)
                return Reply(200, {"id": unquote(parts[3]), "status": "Succeeded", "result": analyzer})
        raise ApiError(404, "404", "Resource not found")

    def _authenticate(self) -> None:
        key = self.headers.get("Ocp-Apim-Subscription-Key")
        if key is not None:
            expected = self.server.options.key
            if key and (expected is None or key == expected):
                return
            raise ApiError(401, "401", ACCESS_DENIED_MESSAGE)
        authorization = self.headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return
        raise ApiError(401, "401", ACCESS_DENIED_MESSAGE)

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/_sim/stats" and method == "GET":
            return Reply(200, self.state.snapshot())
        if path == "/_sim/reset" and method == "POST":
            self.state.reset()
            return Reply(200, {"reset": True})
        if path == "/_sim/config" and method == "POST":
            settings = _json_object(body, allow_empty=True)
            try:
                self.state.configure(settings)
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "InvalidRequest", f"bad simulator config: {exc}") from exc
            return Reply(200, {"configured": sorted(settings)})
        raise ApiError(404, "404", "Resource not found")

    # ------------------------------------------------------------------ analyze

    def _analyze(self, analyzer_id: str, action: str, api_version: str, query: dict[str, str], body: bytes) -> Reply:
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
        if action == "analyze":
            inputs = _validated_inputs(_json_object(body))
            first_url = inputs[0].get("url")
            controls_query = {k: v[-1] for k, v in parse_qs(urlsplit(first_url).query).items()} if first_url else {}
        else:
            if not body:
                raise ApiError(400, "InvalidRequest", "The request body is empty.", inner_code="EmptyRequest")
            inputs = [{"data": "<binary>", "mimeType": self.headers.get("Content-Type") or "application/pdf"}]
            if query.get("range"):
                inputs[0]["range"] = query["range"]
            controls_query = query
        controls = self._controls(controls_query)
        operation = self.state.create_operation(analyzer_id, api_version, inputs, controls)
        return Reply(
            202,
            {"id": operation.id, "status": "NotStarted"},
            {"Operation-Location": self._operation_location(operation)},
        )

    def _controls(self, values: dict[str, str]) -> ScenarioControls:
        controls = ScenarioControls(duration=self.server.options.duration)
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

    def _operation_location(self, operation: Operation) -> str:
        configured = self.server.options.public_base_url
        if configured:
            base = configured.replace("{port}", str(self.server.server_address[1])).rstrip("/")
        else:
            host = self.headers.get("Host") or f"{self.server.options.host}:{self.server.server_address[1]}"
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

    def _get_result(self, operation_id: str, query: dict[str, str]) -> Reply:
        with self.state.lock:
            self.state.stats.status_calls += 1
            self.state.stats.status_calls_by_operation[operation_id] += 1
            self.state.stats.status_hosts[self.headers.get("Host") or ""] += 1
        operation = self._lookup(operation_id, query)
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
            )
            with self.state.lock:
                operation.result_cache = cached
        return cached

    def _delete_result(self, operation_id: str, query: dict[str, str]) -> Reply:
        with self.state.lock:
            self.state.stats.delete_calls += 1
        self._lookup(operation_id, query)
        self.state.delete_operation(operation_id)
        return Reply(204)

    # ------------------------------------------------------------------ analyzers

    def _analyzer_resource(self, method: str, analyzer_id: str, query: dict[str, str], body: bytes) -> Reply:
        _validate_analyzer_id(analyzer_id)
        if method == "GET":
            analyzer = self.state.get_analyzer(analyzer_id)
            if analyzer is None:
                raise _analyzer_not_found(analyzer_id)
            return Reply(200, analyzer)
        if method == "PUT":
            definition = _json_object(body)
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
            host = self.headers.get("Host") or ""
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
