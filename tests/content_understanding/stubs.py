"""Tiny real HTTP/TCP stubs for failure modes the simulator can't fake, plus test doubles."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEST_KEY = "test-key-DO-NOT-LOG-0123456789"


class SleepRecorder:
    """Injected instead of time.sleep: records requested delays so backoff tests stay fast."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class FakeAccessToken:
    token: str
    expires_on: int


class CountingCredential:
    """A TokenCredential double that counts get_token calls (the credential is not the HTTP boundary)."""

    def __init__(self, lifetime_seconds: float = 3600.0) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.calls: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **_kwargs: Any) -> FakeAccessToken:
        with self._lock:
            self.calls.append(scopes)
            return FakeAccessToken(f"token-SECRET-{len(self.calls)}", int(time.time() + self.lifetime_seconds))


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class CannedResponse:
    status: int
    body: bytes | str | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer:
    """A real HTTP server answering from a script (the last entry repeats); records every request."""

    def __init__(self, script: list[CannedResponse]) -> None:
        self.script = list(script)
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append(RecordedRequest(self.command, self.path, dict(self.headers), body))
                    canned = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                payload = canned.body
                if isinstance(payload, dict | list):
                    payload = json.dumps(payload)
                if isinstance(payload, str):
                    payload = payload.encode()
                payload = payload or b""
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value.replace("{base}", outer.base_url))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentServer:
    """Accepts TCP connections and reads, but never answers: provokes read timeouts."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self._open: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)

    def stop(self) -> None:
        self._stopped.set()
        for conn in self._open:
            conn.close()
        self._listener.close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
