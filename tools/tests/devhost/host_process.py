"""Run `python -m tools.devhost` (or the local stack) as a subprocess for tests; keep its output."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from tools.devhost.local_stack import REPO_ROOT, Child

READY = re.compile(r"Host started\. Listening on (http://127\.0\.0\.1:\d+)")


def start_module(label: str, module_args: list[str], ready_pattern: re.Pattern[str], env: dict[str, str]) -> Child:
    """Start ``python <module_args>`` in the repo root with exactly `env`; its output is kept, not echoed."""
    child = Child(
        label, [sys.executable, *module_args], ready_pattern, REPO_ROOT, env=env, inherit_env=False, echo=False
    )
    child.start()
    return child


class HostProcess:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self._child = start_module("devhost", ["-m", "tools.devhost", *args], READY, env)
        self.base_url = ""

    @property
    def output(self) -> str:
        return "\n".join(self._child.lines)

    def __enter__(self) -> HostProcess:
        """``with HostProcess(...) as host:`` waits for the ready line and stops the host at the end."""
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 20.0) -> str:
        if not self._child.wait_ready(timeout):
            raise AssertionError(f"devhost {self._why_not_ready(timeout)}:\n{self.output}")
        self.base_url = self._child.ready_url or ""
        return self.base_url

    def _why_not_ready(self, timeout: float) -> str:
        assert self._child.process is not None
        try:  # its output has ended (it is exiting) or the wait timed out
            return f"exited with {self._child.process.wait(1)}"
        except subprocess.TimeoutExpired:
            return f"was not ready within {timeout}s"

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int | None:
        """Send `sig` (SIGKILL after `timeout` seconds); the exit code, once all output has been read."""
        return self._child.stop(sig, timeout)

    def wait_exit(self, timeout: float = 20.0) -> int:
        assert self._child.process is not None
        code = self._child.process.wait(timeout)
        self._child.stop()  # joins the output reader, so `output` is complete
        return code

    def rss_bytes(self) -> int:
        """The host process's resident memory (Linux)."""
        assert self._child.process is not None
        with open(f"/proc/{self._child.process.pid}/status") as status:
            kilobytes = next(line.split()[1] for line in status if line.startswith("VmRSS:"))
        return int(kilobytes) * 1024


def raw_http(base_url: str, head: str, body_parts: Iterable[bytes] = (), timeout: float = 10.0) -> tuple[int, dict]:
    """Send `head` (request line + headers, no blank line) and then `body_parts` from a second thread, without
    waiting for either to be read; return the answer's status and headers (lower-case names) once they arrive.

    The socket's timeout is the deadline: a host that waits for a body it was never sent fails the test."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n")

        def send_body() -> None:
            try:
                for part in body_parts:
                    sock.sendall(part)
            except OSError:  # the host answered and closed: what it did not read is not our business
                pass

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        sender.join(timeout)
    lines = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return int(lines[0].split()[1]), headers


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAMPLE_", "TICK_", "DEVHOST_", "CONTENT_UNDERSTANDING_"))
    }
    env.update(extra)
    return env
