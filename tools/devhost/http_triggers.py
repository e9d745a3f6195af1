"""Serve HTTP-triggered functions: route matching, request/response conversion, error mapping.

Behaviour copied from the Functions host: a path that matches no route, or matches a route whose
``methods`` exclude the request method, gets 404 with an empty body (the host does not answer 405,
see Azure/azure-functions-host#10098); an unhandled exception gets 500 with an empty body; a body larger
than ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` gets 413 before the function runs (Kestrel's MaxRequestBodySize:
a declared Content-Length is refused before any of the body is read, a chunked body once it grows past it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from multidict import CIMultiDict

from tools.devhost.indexing import FunctionSpec, sorted_http_routes
from tools.devhost.invocation import REASON_HTTP, Invoker

log = logging.getLogger("devhost")
# --json-not-found: the error shape of the app this repository serves (http_api/openapi.json, Error).
NOT_FOUND_BODY = {"error": "Not found", "message": "No endpoint matches this method and path.", "code": "RouteNotFound"}


def select_route(routes: list[FunctionSpec], method: str, raw_path: str) -> tuple[FunctionSpec, dict[str, str]] | None:
    """First route (in precedence order) whose template and methods both accept the request."""
    method = method.upper()
    for spec in routes:
        assert spec.route is not None
        values = spec.route.match(raw_path)
        if values is not None and method in spec.methods:
            return spec, values
    return None


class HttpTriggerHandler:
    """aiohttp handler for every path not claimed by the host's own endpoints."""

    def __init__(
        self,
        specs: list[FunctionSpec],
        invoker: Invoker,
        durable_client_value: Callable[[str | None], str],
        base_url: Callable[[], str],
        max_body_bytes: int,
        *,
        json_not_found: bool = False,
    ) -> None:
        self._max_body_bytes = max_body_bytes
        self._json_not_found = json_not_found
        self._routes = sorted_http_routes(specs)
        self._invoker = invoker
        self._durable_client_value = durable_client_value
        self._base_url = base_url

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        selected = select_route(self._routes, request.method, request.rel_url.raw_path)
        if selected is None:
            log.debug("No function matched %s %s", request.method, request.rel_url.path)
            if self._json_not_found:
                return web.json_response(NOT_FOUND_BODY, status=404, headers={"Cache-Control": "no-store"})
            return web.Response(status=404)
        spec, route_values = selected
        body = await read_body(request, self._max_body_bytes)
        if body is None:
            log.info(
                "%s %s: request body larger than %d bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT), answered 413",
                request.method,
                request.rel_url.path,
                self._max_body_bytes,
            )
            refused = web.Response(status=413)
            refused.force_close()  # as Kestrel: the rest of the body is not read, the connection ends
            return refused
        http_request = func.HttpRequest(
            method=request.method,
            url=self._absolute_url(request),
            headers=_joined(request.headers, ", "),
            params=_joined(request.query, ","),
            route_params=route_values,
            body=body,
        )
        kwargs: dict[str, Any] = {spec.trigger["name"]: http_request}
        for name, hub in spec.durable_clients.items():
            kwargs[name] = self._durable_client_value(hub)
        try:
            result = await self._invoker.invoke(spec, kwargs, REASON_HTTP)
        except Exception:
            return web.Response(status=500)
        try:
            response = to_aiohttp_response(result)
        except Exception:
            log.exception("Function '%s' returned a value that is not an HTTP response", spec.name)
            return web.Response(status=500)
        return await stream_large_body(request, response)

    async def expect(self, request: web.Request) -> None:
        """``Expect: 100-continue``: like Kestrel, never invite a body that is declared too large."""
        if request.version != HttpVersion11:
            return
        if request.headers.get(hdrs.EXPECT, "").lower() != "100-continue":
            raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers[hdrs.EXPECT]}")
        if request.content_length is None or request.content_length <= self._max_body_bytes:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the response proper has not started

    def _absolute_url(self, request: web.Request) -> str:
        host = request.headers.get("Host")
        base = f"{request.scheme}://{host}" if host else self._base_url()
        return base + request.rel_url.raw_path_qs


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to be larger than ``limit`` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        return None  # refused on the header: nothing of the body has been read
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


STREAM_CHUNK_BYTES = 256 * 1024


async def stream_large_body(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Write a large body in chunks, waiting for the client as Kestrel does (a bounded buffer per connection),
    instead of handing the socket the whole body at once (Python 3.11's transport then copies what the client
    has not read yet into its own buffer: one more full copy per slow reader)."""
    body = response.body
    if not isinstance(body, bytes) or len(body) <= STREAM_CHUNK_BYTES:
        return response
    streamed = web.StreamResponse(status=response.status, headers=response.headers)
    streamed.content_length = len(body)
    await streamed.prepare(request)
    view = memoryview(body)
    for start in range(0, len(body), STREAM_CHUNK_BYTES):
        await streamed.write(view[start : start + STREAM_CHUNK_BYTES])
    await streamed.write_eof()
    return streamed


def to_aiohttp_response(result: Any) -> web.Response:
    """Convert what the function returned, as the worker's HttpResponseConverter + the host do."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str):
        return web.Response(status=200, text=result, content_type="text/plain", charset="utf-8")
    if not isinstance(result, func.HttpResponse):
        raise TypeError(f"unsupported HTTP return type {type(result).__name__}")
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in result.headers.items():
        headers.add(name, value)
    if "Content-Type" not in headers:
        mimetype = result.mimetype
        headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if mimetype.startswith("text/") else mimetype
    return web.Response(status=result.status_code, headers=headers, body=result.get_body())


def _joined(source: Any, separator: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in source:
        if key not in out:
            out[key] = separator.join(source.getall(key))
    return out
