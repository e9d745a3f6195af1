"""A bad configuration stops the app at start-up with one sentence per bad setting and no traceback."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.conftest import REPO


def test_bad_settings_stop_the_host_with_one_line_each(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "CONTENT_UNDERSTANDING_ENDPOINT": "https://cu.example.com",
        "CONTENT_UNDERSTANDING_API_VERSION": "2025-05-01-preview",
        "CONTENT_UNDERSTANDING_KEY": "local-simulator-key",
        "DURABLE_TASK_HUB_NAME": "",
        "PURGE_SCHEDULE": "0 */5 * * * *",
        "AUTH_MODE": "none",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Production",
    }
    app_dir = tmp_path / "app"  # the app without a local.settings.json: only these settings apply
    app_dir.mkdir()
    for name in ("function_app.py", "host.json"):
        (app_dir / name).write_bytes((REPO / name).read_bytes())
    command = [
        sys.executable,
        "-m",
        "tools.devhost",
        "--port",
        "0",
        "--app-dir",
        str(app_dir),
        "--state-dir",
        str(tmp_path),
    ]
    finished = subprocess.run(
        command, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=60
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1
    assert "Traceback" not in output
    bad = [line for line in output.splitlines() if "Bad app setting:" in line]
    assert len(bad) == 4, output
    for named in ("retired", "DURABLE_TASK_HUB_NAME is required", "simulator's key", "AUTH_MODE=none"):
        assert sum(named in line for line in bad) == 1, (named, output)
