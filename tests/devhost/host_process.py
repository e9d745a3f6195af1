"""Run ``python -m devhost`` as a subprocess for tests: read its ready line, keep its output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.support import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"Host started\. Listening on (http://127\.0\.0\.1:\d+)")


class HostProcess:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devhost", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.base_url = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 20.0) -> str:
        def ready() -> str | None:
            for line in self.lines:
                if m := READY.search(line):
                    return m.group(1)
            if self.process.poll() is not None:
                raise AssertionError(f"devhost exited with {self.process.returncode}:\n{self.output}")
            return None

        self.base_url = wait_until(ready, timeout)
        return self.base_url

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        return self.process.returncode


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAMPLE_", "TICK_", "DEVHOST_", "CONTENT_UNDERSTANDING_"))
    }
    env.update(extra)
    return env
