"""A test's host sees exactly the settings the test gives it, whatever local.settings.json the developer has.

`make run` leaves a local.settings.json in the checkout (Development, the file duration-model store, ...); the
README's order is `make run`, Ctrl-C, `make test`. Here a hostile one sits next to the app, and a Production host
started the way every e2e test starts its host must neither fail on it nor take a single value from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import REPO, start_host
from tests.e2e.helpers import ANALYZER, DOC, principal

NOT_THE_APP = {".git", ".venv", ".devhost", "local.settings.json", ".pytest_cache", ".ruff_cache"}


def hostile_local_settings() -> dict:
    """The example `make run` copies, made worse: values that would break or change the test's host."""
    document = json.loads((REPO / "local.settings.json.example").read_text(encoding="utf-8"))
    document["Values"].update(
        {
            "DURATION_MODEL_STORE": "file:.devhost/duration-models",  # refused outside Development
            "MAX_INPUT_FILES": "1",
            "MAX_REQUEST_BYTES": "1024",
            "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": "1024",
            "LEGACY_RESULTS_LOOKUP": "maybe",  # not a boolean: refused at start-up
        }
    )
    document["Host"] = {"LocalHttpPort": 1, "CORS": "https://evil.example.com", "CORSCredentials": True}
    return document


@pytest.fixture
def app_with_hostile_settings(tmp_path: Path) -> Path:
    """The app as deployed (links to the checkout's files), with a hostile local.settings.json beside it."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in NOT_THE_APP:
            (app_dir / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (app_dir / "local.settings.json").write_text(json.dumps(hostile_local_settings()), encoding="utf-8")
    return app_dir


def test_a_hostile_local_settings_file_changes_nothing_a_test_sees(
    app_with_hostile_settings, simulator_process, tmp_path
):
    if simulator_process is None:
        pytest.skip("needs hosts the test starts itself (not available with E2E_BASE_URL)")
    host = start_host(
        simulator_process.ready_url,
        tmp_path / "state",
        app_dir=app_with_hostile_settings,
        AZURE_FUNCTIONS_ENVIRONMENT="Production",
        AUTH_MODE="appservice",
    )
    try:
        assert not any("local.settings.json" in line for line in host.lines), host.lines
        files = [f"{DOC}?sim_duration=0.2", f"{DOC}?sim_duration=0.3&padding={'x' * 1100}"]
        answer = requests.post(
            f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze",
            json={"inputFiles": files},
            headers={**principal("alice"), "Origin": "https://evil.example.com"},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text  # two files, over 1024 bytes: neither limit came from the file
        assert "Access-Control-Allow-Origin" not in answer.headers  # nor its CORS
    finally:
        host.stop()
