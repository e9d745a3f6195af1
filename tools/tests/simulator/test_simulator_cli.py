"""`python -m tools.simulator` as a real process: ready line, answers, logs without secrets."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import requests

from tests.support import wait_until
from tools.simulator.__main__ import parse_args
from tools.tests.simulator.helpers import API

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_cli_prints_ready_line_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.simulator", "--port", "0", "--duration", "0", "--key", "cli-secret-key"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr_lines: list[str] = []
    try:
        ready: list[str] = []
        threading.Thread(target=lambda: ready.append(proc.stdout.readline()), daemon=True).start()
        threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True).start()
        line = wait_until(lambda: ready and ready[0], timeout=15)
        match = re.fullmatch(r"Content Understanding simulator listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        base_url = match[1]
        assert int(match[2]) > 0

        headers = {"Ocp-Apim-Subscription-Key": "cli-secret-key"}
        submitted = requests.post(
            f"{base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
            json={"inputs": [{"url": "https://example.com/a.pdf?sig=SAS-SECRET"}]},
            headers=headers,
        )
        assert submitted.status_code == 202
        status = requests.get(submitted.headers["Operation-Location"], headers=headers)
        assert status.json()["status"] == "Succeeded"
        wait_until(lambda: any("analyzerResults" in line for line in stderr_lines), timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = "".join(stderr_lines)
    assert "POST /contentunderstanding/analyzers/prebuilt-read:analyze 202" in log
    assert "cli-secret-key" not in log
    assert "SAS-SECRET" not in log
    assert "api-version" not in log
    assert proc.returncode == 0


def test_cli_no_default_models_flag_reaches_the_simulator():
    args = parse_args(["--port", "0", "--no-default-models"])
    assert args.no_default_models is True
    assert parse_args([]).no_default_models is False
