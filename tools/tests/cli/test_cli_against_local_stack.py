"""`python -m tools.cli` as a user runs it (a subprocess, no terminal) against the real local stack.

The simulator and devhost are started once for the module (tests/e2e/conftest.py's helpers, time-compressed).
The app answers every 202 with Retry-After: 5, and the CLI never polls sooner, so an analysis takes at least
5 s here: the runs that wait are started together, at the start of the module, and each test reads its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import REPO, start_host, start_simulator
from tests.support import wait_until

ANALYZER = "prebuilt-invoice"
DOC = "https://files.example.com/invoice.pdf"
APP_RETRY_AFTER_SECONDS = 5  # what the app's POST and 202 answers carry (http_api/*.py)


@dataclass
class Run:
    """One CLI process; stderr is read as it comes (to see progress lines before the process ends)."""

    args: list[str]
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    stderr_lines: list[str] = field(default_factory=list)
    stdout: str = ""
    returncode: int | None = None
    duration: float | None = None

    def __post_init__(self) -> None:
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr_lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def finish(self, timeout: float = 60) -> Run:
        if self.returncode is None:
            self.stdout = self.process.stdout.read()
            self.returncode = self.process.wait(timeout)
            self.duration = time.monotonic() - self.started
            self._stderr_reader.join(5)
        return self


def cli(base_url: str, *args: str) -> Run:
    """Start `python -m tools.cli ARGS --base-url BASE_URL` with no terminal and no ANALYSIS_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYSIS_")}
    command = [sys.executable, "-m", "tools.cli", *args, "--base-url", base_url]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test runner started in the background may hand its children SIGINT ignored.
        preexec_fn=_default_sigint,
    )
    return Run(command, process)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(base_url: str, *args: str) -> Run:
    return cli(base_url, *args).finish()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    simulator = start_simulator()
    # A long analysis timeout: the 30 s analyses here must still be running when they are canceled or interrupted.
    host = start_host(simulator.ready_url, tmp_path_factory.mktemp("cli-devhost-state"), ANALYSIS_TIMEOUT_SECONDS="120")
    yield host.ready_url
    host.stop()
    simulator.stop()


@pytest.fixture(scope="module")
def out_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-out") / "result.json"


@pytest.fixture(scope="module")
def waiting_runs(base_url, out_file) -> dict[str, Run]:
    """The runs that wait for an analysis, started together so the module waits for Retry-After once."""
    submitted = requests.post(
        f"{base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze",
        json={"inputFiles": [f"{DOC}?sim_duration=0.5&n=wait"]},
        timeout=10,
    )
    assert submitted.status_code == 202, submitted.text
    runs = {
        "succeeded": cli(base_url, "analyze", f"{DOC}?sim_duration=0.5", "--analyzer", ANALYZER),
        "out": cli(base_url, "analyze", f"{DOC}?n=2", "--analyzer", ANALYZER, "--pages", "1-2", "--out", str(out_file)),
        "failed": cli(base_url, "analyze", f"{DOC}?sim_outcome=failed&sim_duration=0.3", "--analyzer", ANALYZER),
        "wait": cli(base_url, "wait", submitted.json()["operationId"], "--analyzer", ANALYZER),
    }
    yield runs
    for each in runs.values():
        if each.process.poll() is None:
            each.process.kill()
        each.finish()


def test_analyze_prints_the_result_and_exits_0(waiting_runs):
    done = waiting_runs["succeeded"].finish()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "Succeeded"
    assert result["id"]
    assert result["result"]["contents"][0]["fields"]
    assert "submitted: operation " in done.stderr
    assert "succeeded" in done.stderr.splitlines()[-1]


def test_analyze_never_polls_sooner_than_the_apps_retry_after(waiting_runs):
    done = waiting_runs["succeeded"].finish()
    # The analysis itself takes 0.5 s; the CLI still waits the POST's Retry-After before its first GET.
    assert done.duration >= APP_RETRY_AFTER_SECONDS


def test_analyze_with_out_writes_the_file_and_nothing_to_stdout(waiting_runs, out_file):
    done = waiting_runs["out"].finish()
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    result = json.loads(out_file.read_text(encoding="utf-8"))
    assert result["status"] == "Succeeded" and result["result"]["contents"]
    assert f"result saved to {out_file}" in done.stderr


def test_a_failed_analysis_exits_1_with_the_services_message(waiting_runs):
    done = waiting_runs["failed"].finish()
    assert done.returncode == 1
    assert done.stdout == ""
    last = done.stderr.splitlines()[-1]
    assert last.startswith("Analysis failed: ")
    assert "The file is corrupted or its format is not supported." in last  # the simulator's message
    assert "code InvalidContent" in last


def test_wait_polls_an_operation_to_its_result(waiting_runs):
    done = waiting_runs["wait"].finish()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "Succeeded"


def test_progress_without_a_terminal_is_plain_lines(waiting_runs):
    for name, each in waiting_runs.items():
        each.finish()
        assert "\x1b" not in each.stderr, name
        assert "\r" not in each.stderr, name
    lines = waiting_runs["succeeded"].stderr.splitlines()
    assert lines[0].startswith("submitted: operation ")
    assert lines[1].split()[0] == "submitted" and "elapsed" in lines[1]


def test_status_cancel_status_of_a_long_analysis(base_url):
    submitted = run(base_url, "analyze", f"{DOC}?sim_duration=30", "--analyzer", ANALYZER, "--no-wait")
    assert submitted.returncode == 0, submitted.stderr
    operation_id = json.loads(submitted.stdout)["operationId"]

    running = run(base_url, "status", operation_id, "--analyzer", ANALYZER)
    assert running.returncode == 0, running.stderr
    assert json.loads(running.stdout)["status"] == "processing"
    assert running.stderr.startswith("processing (HTTP 202)")

    canceled = run(base_url, "cancel", operation_id, "--analyzer", ANALYZER)
    assert canceled.returncode == 0, canceled.stderr
    assert f"canceling: operation {operation_id}" in canceled.stderr

    def status_says_canceled():
        after = run(base_url, "status", operation_id, "--analyzer", ANALYZER)
        return after if after.stdout and json.loads(after.stdout).get("status") == "canceled" else None

    after = wait_until(status_says_canceled, timeout=20, interval=0.2, message="status never said canceled")
    assert after.returncode == 1
    assert after.stderr.startswith("canceled (HTTP 500)")

    again = run(base_url, "cancel", operation_id, "--analyzer", ANALYZER)
    assert again.returncode == 2
    assert "The analysis has already ended." in again.stderr and "AlreadyFinished" in again.stderr


def test_unknown_operation_is_a_404_with_the_apps_message(base_url):
    for command in ("status", "wait", "cancel"):
        done = run(base_url, command, str(uuid.uuid4()), "--analyzer", ANALYZER)
        assert done.returncode == 5, (command, done.stderr)
        assert "No such analysis operation." in done.stderr and "OperationNotFound" in done.stderr
        assert done.stdout == ""


def test_a_refused_request_exits_2_and_an_unreachable_app_4(base_url):
    refused = run(base_url, "analyze", "ftp://files.example.com/a.pdf", "--analyzer", ANALYZER)
    assert refused.returncode == 2
    assert "InvalidInputUrl" in refused.stderr
    unreachable = run("http://127.0.0.1:9", "status", str(uuid.uuid4()), "--analyzer", ANALYZER)
    assert unreachable.returncode == 4
    assert "cannot reach http://127.0.0.1:9" in unreachable.stderr
    usage = run(base_url, "status", "op")  # no --analyzer
    assert usage.returncode == 2


def test_ctrl_c_without_a_terminal_leaves_the_analysis_running(base_url):
    waiting = cli(base_url, "analyze", f"{DOC}?sim_duration=30", "--analyzer", ANALYZER)
    submitted = wait_until(
        lambda: next((line for line in waiting.stderr_lines if line.startswith("submitted: operation ")), None),
        timeout=20,
        message="the CLI never said it submitted",
    )
    operation_id = submitted.split()[-1]
    waiting.process.send_signal(signal.SIGINT)
    done = waiting.finish()
    assert done.returncode == 130
    assert f"left running: operation {operation_id}" in done.stderr
    assert f"python -m tools.cli wait {operation_id} --analyzer {ANALYZER}" in done.stderr
    assert "[c/L]" not in done.stderr  # nobody to ask
    still = run(base_url, "status", operation_id, "--analyzer", ANALYZER)
    assert json.loads(still.stdout)["status"] == "processing"
    run(base_url, "cancel", operation_id, "--analyzer", ANALYZER)
