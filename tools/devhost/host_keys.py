"""The host key: what the Functions host requires on its management routes, and devhost too.

In Azure, `/admin/*` needs the master key and `/runtime/webhooks/durabletask/*` the Durable extension's system
key (or the master key), sent as `?code=` or `x-functions-key` (Azure Functions docs, "Work with access keys":
"Admin-level ... master key"; Durable Functions "HTTP API": "the system key ... authorizes ... webhooks").
Without one the host answers 401. devhost uses one key for both: DEVHOST_HOST_KEY when set, otherwise a random
key per start, written to `<state dir>/host-key` (readable by its owner only) and never printed or logged.
The Durable client's RPC endpoint is not on the public port at all (the host serves it on a local-only port).
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

HOST_KEY_ENV = "DEVHOST_HOST_KEY"
HOST_KEY_FILE = "host-key"
PROTECTED_PREFIXES = ("/admin/", "/runtime/webhooks/")


def host_key(state_dir: Path) -> str:
    """DEVHOST_HOST_KEY, or a new random key stored in the state folder (0600) for local tools to read."""
    key = os.environ.get(HOST_KEY_ENV) or secrets.token_urlsafe(32)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / HOST_KEY_FILE
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    return key


def require_host_key(key: str) -> Callable:
    """aiohttp middleware: 401 (empty body, as the host) on the management routes without the key."""

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        if request.path.startswith(PROTECTED_PREFIXES):
            sent = request.query.get("code") or request.headers.get("x-functions-key") or ""
            if not hmac.compare_digest(sent.encode(), key.encode()):
                return web.Response(status=401)
        return await handler(request)

    return middleware
