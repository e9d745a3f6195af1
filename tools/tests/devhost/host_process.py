"""Run `python -m tools.devhost` (or the local stack) as a subprocess for tests; keep its output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

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


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAMPLE_", "TICK_", "DEVHOST_", "CONTENT_UNDERSTANDING_"))
    }
    env.update(extra)
    return env
