"""The function index the Functions host reads: exactly the functions and bindings the product needs."""

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from config.per_process import reset_per_process
from tests.conftest import MINIMAL_SETTINGS

REPO = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def app_module():
    """function_app validates the settings on import, as at start-up: import it with the minimal ones, then put
    the environment and the per-process state back as they were, so no other test sees them."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in MINIMAL_SETTINGS.items():
            patch.setenv(name, value)
        reset_per_process()
        try:
            import function_app
        finally:
            reset_per_process()
    return function_app


def bindings():
    # The library validates names each time it builds the index, so build it once, as the host does.
    return _index()


@lru_cache(maxsize=1)
def _index():
    return {
        f.get_function_name(): json.loads(f.get_function_json())["bindings"] for f in app_module().app.get_functions()
    }


def trigger(function_bindings):
    return next(b for b in function_bindings if b["type"].endswith("Trigger"))


def test_importing_the_app_leaves_the_environment_as_it_was():
    """In a fresh interpreter (an app imports once per process): no setting outlives app_module()."""
    probe = (
        "import os; from tests.unit.test_function_index import app_module; before = dict(os.environ); "
        "assert app_module().app.get_functions(); assert dict(os.environ) == before, "
        "sorted(set(os.environ) - set(before))"
    )
    env = {name: value for name, value in os.environ.items() if name not in MINIMAL_SETTINGS}
    finished = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 0, finished.stderr[-2000:]


def test_the_app_indexes_every_function_with_its_trigger():
    index = bindings()
    assert {name: trigger(b)["type"] for name, b in index.items()} == {
        "start_analysis": "httpTrigger",
        "get_analysis_results": "httpTrigger",
        "cancel_analysis": "httpTrigger",
        "health": "httpTrigger",
        "analysis_orchestrator": "orchestrationTrigger",
        "submit_analysis": "activityTrigger",
        "check_analysis_status": "activityTrigger",
        "record_duration": "activityTrigger",
        "purge_finished_operations": "timerTrigger",
        "openapi_document": "httpTrigger",
    }


def test_http_routes_and_methods_are_the_frontend_contract():
    index = bindings()
    routes = {
        name: (trigger(index[name])["route"], trigger(index[name])["methods"])
        for name in ("start_analysis", "get_analysis_results", "cancel_analysis", "openapi_document")
    }
    assert routes == {
        "start_analysis": ("pro-mode/content-analyzers/{analyzerId}:analyze", ["POST"]),
        "get_analysis_results": ("pro-mode/content-analyzers/{analyzerId}/results/{operationId}", ["GET"]),
        "cancel_analysis": ("pro-mode/content-analyzers/{analyzerId}/results/{operationId}", ["DELETE"]),
        "openapi_document": ("openapi.json", ["GET"]),
    }
    for name in routes:
        assert trigger(index[name])["authLevel"] == "ANONYMOUS"
    for name in ("start_analysis", "get_analysis_results", "cancel_analysis"):
        assert any(b["type"] == "durableClient" for b in index[name])
    assert not any(b["type"] == "durableClient" for b in index["openapi_document"])


def test_purge_timer_schedule_is_resolved_by_the_host_from_the_setting():
    purge = bindings()["purge_finished_operations"]
    assert trigger(purge)["schedule"] == "%PURGE_SCHEDULE%"
    assert any(b["type"] == "durableClient" for b in purge)


def test_host_json_serves_the_routes_unprefixed_on_the_v4_bundle():
    """4.32.0 is the floor the Durable Task Scheduler provider (storageProvider.type azureManaged) needs."""
    from pathlib import Path

    host = json.loads((Path(app_module().__file__).parent / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["version"] == "[4.32.0, 5.0.0)"
    assert host["extensions"]["http"]["routePrefix"] == ""
    assert host["extensions"]["durableTask"]["hubName"] == "%DURABLE_TASK_HUB_NAME%"
