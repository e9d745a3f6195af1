"""Run the simulator on its own event loop in a background thread (tests, dev host) and control it in-process."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import fields
from typing import Any

from .entra import DEFAULT_TENANT
from .options import SimulatorOptions
from .server import SimulatorServer
from .state import SimulatorState


class SimulatorHandle:
    """A running simulator: base_url, stats(), reset(), configure(), mint_token(), rotate_signing_key(), stop()."""

    def __init__(self, server: SimulatorServer, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self._server = server
        self._loop = loop
        self._thread = thread
        self.host = server.options.host
        self.port = server.port
        self.base_url = server.base_url

    @property
    def options(self) -> SimulatorOptions:
        return self._server.options

    def stats(self) -> dict[str, Any]:
        return self._server.state.snapshot()

    def reset(self) -> None:
        self._server.state.reset()

    def configure(self, **settings: Any) -> None:
        """Arm faults at runtime (submit_fail[_status], submit_throttle, submit_retry_after, duration)."""
        self._server.state.configure(settings)

    # ---- Entra ID stand-in

    @property
    def issuer_base_url(self) -> str:
        """Tokens' iss is f"{issuer_base_url}/{tenant}/v2.0"."""
        return self._server.public_base

    def mint_token(
        self,
        claims: dict[str, Any] | None = None,
        *,
        key: str = "trusted",
        tenant: str = DEFAULT_TENANT,
        expires_in: float = 3600,
        not_before_in: float = 0,
    ) -> str:
        """An RS256 JWT like Entra ID issues; key="rogue" signs with a key absent from the JWKS (same kid)."""
        return self._server.issuer.mint(
            self._server.public_base,
            claims,
            key=key,
            tenant=tenant,
            expires_in=expires_in,
            not_before_in=not_before_in,
        )

    def rotate_signing_key(self) -> str:
        """A new key signs from now on; the JWKS lists old and new. Returns the new kid."""
        return self._server.issuer.rotate()

    def jwks_uri(self, tenant: str = DEFAULT_TENANT) -> str:
        return f"{self._server.public_base}/{tenant}/discovery/v2.0/keys"

    def openid_configuration_url(self, tenant: str = DEFAULT_TENANT) -> str:
        return f"{self._server.public_base}/{tenant}/v2.0/.well-known/openid-configuration"

    # ---- lifecycle

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(port: int = 0, **options: Any) -> SimulatorHandle:
    """Bind (port 0 = any free port) and serve on a daemon thread's event loop; returns once listening."""
    known = {f.name for f in fields(SimulatorOptions)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown simulator options: {sorted(unknown)}")
    opts = SimulatorOptions(port=port, **options)
    server = SimulatorServer(opts, SimulatorState(opts))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # bind errors etc. are re-raised in the caller's thread
            failure.append(exc)
            started.set()
            loop.close()
            return
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(server.stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="cu-simulator", daemon=True)
    thread.start()
    started.wait()
    if failure:
        raise failure[0]
    return SimulatorHandle(server, loop, thread)
