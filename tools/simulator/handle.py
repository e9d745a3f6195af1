"""Run the simulator in a background thread (tests, dev host) and control it in-process."""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import Any

from .options import SimulatorOptions
from .server import SimulatorHTTPServer
from .state import SimulatorState


class SimulatorHandle:
    """A running simulator: base_url, stats(), reset(), configure(), stop()."""

    def __init__(self, server: SimulatorHTTPServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.base_url = f"http://{self.host}:{self.port}"

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

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(port: int = 0, **options: Any) -> SimulatorHandle:
    """Bind (port 0 = any free port) and serve in a daemon thread; returns once listening."""
    known = {f.name for f in fields(SimulatorOptions)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown simulator options: {sorted(unknown)}")
    opts = SimulatorOptions(port=port, **options)
    server = SimulatorHTTPServer(opts, SimulatorState(opts))
    # A short poll interval keeps stop() fast (shutdown waits for the loop to notice).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cu-simulator", daemon=True
    )
    thread.start()
    return SimulatorHandle(server, thread)
