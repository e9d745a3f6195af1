"""End-to-end fixtures: a base URL to test over HTTP only.

With E2E_BASE_URL set, the tests run against that host (for example `func start` on a machine with
Core Tools; set E2E_SIMULATOR_URL too when it talks to `python -m simulator`). Otherwise the fixtures
start the Content Understanding simulator and the local host (`python -m devhost`) on free ports, with
time compressed: analyses take about a second and the app polls every 0.2-0.5 s.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
READY_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
SIM_KEY = "e2e-key"
# Time-compressed settings: the analysis timeout is what the timeout test waits for.
E2E_TIMEOUT_SECONDS = 6
APP_ENV = {
    "CONTENT_UNDERSTANDING_KEY": SIM_KEY,
    "ANALYSIS_TIMEOUT_SECONDS": str(E2E_TIMEOUT_SECONDS),
    "POLL_INITIAL_INTERVAL_SECONDS": "0.2",
    "POLL_MAX_INTERVAL_SECONDS": "0.5",
    "DURABLE_TASK_HUB_NAME": "E2ETests",
    "INPUT_CONTAINER_URL": "http://127.0.0.1:10000/devstoreaccount1/pro-input-files",
    "INPUT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "PURGE_SCHEDULE": "0 0 0 1 1 *",
}


class ServerProcess:
    """A child server whose first URL-bearing stdout line says it is ready; keeps its output for failures."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], ready_marker: str, timeout: float = 60):
        self.name = name
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        ready: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                if ready_marker in line and (match := READY_URL.search(line)):
                    ready.put(match.group(1))

        threading.Thread(target=pump, name=f"{name}-output", daemon=True).start()
        try:
            self.url = ready.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"{name} did not start:\n" + "\n".join(self.lines[-50:])) from None

    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def child_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("E2E_")}
    env.update(overrides)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_simulator() -> ServerProcess:
    return ServerProcess(
        "simulator",
        ["-m", "simulator", "--port", "0", "--duration", "1", "--key", SIM_KEY, "--quiet"],
        child_env(),
        ready_marker="listening on",
    )


def start_host(simulator_url: str, state_dir: Path) -> ServerProcess:
    env = child_env(CONTENT_UNDERSTANDING_ENDPOINT=simulator_url, **APP_ENV)
    return ServerProcess(
        "devhost",
        ["-m", "devhost", "--port", "0", "--app-dir", str(REPO), "--state-dir", str(state_dir)],
        env,
        ready_marker="Listening on",
    )


@dataclass
class Stack:
    base_url: str
    simulator_url: str | None
    host: ServerProcess | None = None

    @property
    def local(self) -> bool:
        return self.host is not None


@pytest.fixture(scope="session")
def simulator_process() -> Iterator[ServerProcess | None]:
    if os.environ.get("E2E_BASE_URL"):
        yield None
        return
    process = start_simulator()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def stack(simulator_process, tmp_path_factory) -> Iterator[Stack]:
    external = os.environ.get("E2E_BASE_URL")
    if external:
        yield Stack(base_url=external.rstrip("/"), simulator_url=os.environ.get("E2E_SIMULATOR_URL"))
        return
    host = start_host(simulator_process.url, tmp_path_factory.mktemp("devhost-state"))
    yield Stack(base_url=host.url, simulator_url=simulator_process.url, host=host)
    host.stop()
