"""Platform CORS, emulated the way Core Tools and the Functions host apply it.

Both hand the allowed origins to ASP.NET Core's CORS middleware with ``WithOrigins(...)``,
``AllowAnyHeader()``, ``AllowAnyMethod()`` and, when asked, ``AllowCredentials()``; no exposed headers.
What that middleware does, and so what this module does:

- A request without an ``Origin`` header is not a CORS request: nothing is added.
- A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) never reaches a function:
  it is answered 204. For an allowed origin the answer carries ``Access-Control-Allow-Origin`` (the origin,
  or ``*`` when any origin is allowed), ``Access-Control-Allow-Methods`` (the requested method),
  ``Access-Control-Allow-Headers`` (the requested headers) and ``Access-Control-Allow-Credentials: true``
  when credentials are on; for any other origin it carries no CORS header at all.
- Any other request from an allowed origin gets ``Access-Control-Allow-Origin`` (and the credentials
  header) on whatever answer it gets, errors included; other origins get nothing.
- ``Vary: Origin`` is added only when the answer depends on the origin among several: more than one
  origin is configured (ASP.NET Core's ``VaryByOrigin``). A single origin or ``*`` gets no ``Vary``.
- Origins match exactly (configured ones lower-cased); ``*`` allows any origin and cannot be combined
  with credentials (ASP.NET Core refuses that policy, so ``func start`` fails; devhost refuses to start).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import hdrs, web

CORS_ORIGINS_SETTING = "CORS_ALLOWED_ORIGINS"
ANY_ORIGIN = "*"
_CREDENTIALS_WITH_ANY_ORIGIN = (
    "The CORS protocol does not allow specifying a wildcard (any) origin and credentials at the same time. "
    "Configure the CORS policy by listing individual origins if credentials needs to be supported."
)


@dataclass(frozen=True)
class CorsPolicy:
    origins: frozenset[str]  # lower-cased; empty when any origin is allowed
    any_origin: bool
    credentials: bool

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    def allowed_origin_header(self, origin: str) -> str:
        return ANY_ORIGIN if self.any_origin else origin

    @property
    def varies_by_origin(self) -> bool:
        return not self.any_origin and len(self.origins) > 1

    def describe(self) -> str:
        origins = ANY_ORIGIN if self.any_origin else ", ".join(sorted(self.origins))
        return origins + (" (with credentials)" if self.credentials else "")


def parse_origins(value: str | None) -> list[str]:
    """Comma-separated origins; a JSON array (the form the platform hands the host on Linux) works too."""
    text = (value or "").strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item).strip() for item in items if str(item).strip()]
    return [item.strip() for item in text.split(",") if item.strip()]


def cors_policy(sources: Iterable[str | None], credentials: bool) -> CorsPolicy | None:
    """The union of every source's origins; None when there is none (no CORS handling at all, as in Core Tools)."""
    origins = {origin for source in sources for origin in parse_origins(source)}
    if not origins:
        return None
    any_origin = ANY_ORIGIN in origins
    if any_origin and credentials:
        raise ValueError(_CREDENTIALS_WITH_ANY_ORIGIN)
    named = frozenset() if any_origin else frozenset(origin.lower() for origin in origins)
    return CorsPolicy(origins=named, any_origin=any_origin, credentials=credentials)


def install_cors(app: web.Application, policy: CorsPolicy) -> None:
    """Answer preflights before routing, and add CORS headers to every other answer as it is sent."""

    @web.middleware
    async def answer_preflight(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not _is_preflight(request):
            return await handler(request)
        response = web.Response(status=204)
        origin = request.headers[hdrs.ORIGIN]
        if policy.allows(origin):
            _allow(response, policy, origin)
            requested_headers = [
                name.strip()
                for value in request.headers.getall(hdrs.ACCESS_CONTROL_REQUEST_HEADERS, [])
                for name in value.split(",")
                if name.strip()
            ]
            if requested_headers:
                response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ",".join(requested_headers)
            if method := request.headers[hdrs.ACCESS_CONTROL_REQUEST_METHOD].strip():
                response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = method
        return response

    async def add_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is not None and not _is_preflight(request) and policy.allows(origin):
            _allow(response, policy, origin)

    app.middlewares.append(answer_preflight)
    app.on_response_prepare.append(add_headers)


def _is_preflight(request: web.BaseRequest) -> bool:
    headers = request.headers
    return (
        request.method == hdrs.METH_OPTIONS and hdrs.ORIGIN in headers and hdrs.ACCESS_CONTROL_REQUEST_METHOD in headers
    )


def _allow(response: web.StreamResponse, policy: CorsPolicy, origin: str) -> None:
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = policy.allowed_origin_header(origin)
    if policy.credentials:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
    if policy.varies_by_origin:
        response.headers.add(hdrs.VARY, hdrs.ORIGIN)
