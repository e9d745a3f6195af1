"""End-to-end fixtures: a base URL to test over HTTP only.

With E2E_BASE_URL set, the tests run against that host (for example `func start` on a machine with
Core Tools; set E2E_SIMULATOR_URL too when it talks to `python -m tools.simulator`). Otherwise the fixtures
start the Content Understanding simulator and the local host (`python -m tools.devhost`) on free ports, with
time compressed: analyses take about a second and the app polls every 0.2-0.5 s.

Every answer a test receives from the app is checked against the OpenAPI document the app serves
(http_api/openapi.json; see openapi_contract.py): one that does not match fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.openapi_contract import checking_responses
from tools.azurite import Azurite
from tools.devhost.local_stack import HOST_READY, SIMULATOR_READY, Child, start_quiet

REPO = Path(__file__).resolve().parents[2]
INPUT_CONTAINER = "pro-input-files"
RESULT_COPIES_CONTAINER = "result-copies"
SIM_KEY = "e2e-key"
# Time-compressed settings: the analysis timeout is what the timeout test waits for.
E2E_TIMEOUT_SECONDS = 6
E2E_HOST_KEY = "e2e-host-key"
APP_ENV = {
    "CONTENT_UNDERSTANDING_KEY": SIM_KEY,
    "ANALYSIS_TIMEOUT_SECONDS": str(E2E_TIMEOUT_SECONDS),
    "POLL_INITIAL_INTERVAL_SECONDS": "0.2",
    "POLL_MAX_INTERVAL_SECONDS": "0.5",
    "DURABLE_TASK_HUB_NAME": "E2ETests",
    "DEVHOST_DURABLE_PROFILE": "exact",  # tests/e2e/test_durable_backends.py runs the other profiles
    # Without Azurite: a closed port (never a developer's Azurite on 10000), so file ids fail to be read.
    "INPUT_CONTAINER_URL": "http://127.0.0.1:9/devstoreaccount1/pro-input-files",
    "INPUT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "PURGE_SCHEDULE": "0 0 0 1 1 *",
    "AUTH_MODE": "none",
    "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
    "ALLOWED_INPUT_HOSTS": "*.example.com,example.com",
    # devhost's management API needs the host key, as the real host's does (tests/e2e/helpers.py sends it).
    "DEVHOST_HOST_KEY": E2E_HOST_KEY,
    # The suite shares one anonymous caller across many tests; the limits have tests of their own.
    "CALLER_STARTS_PER_MINUTE": "100000",
    "CALLER_READS_PER_MINUTE": "1000000",
}


def start_simulator() -> Child:
    args = ["-m", "tools.simulator", "--port", "0", "--duration", "1", "--key", SIM_KEY, "--quiet"]
    return start_quiet("simulator", args, SIMULATOR_READY)


def storage_settings(azurite) -> dict[str, str]:
    """File ids and result copies in the session's Azurite (when installed): the same signing, reading and
    claim-check code as in Azure."""
    if azurite is None:
        return {}
    return {
        "INPUT_CONTAINER_URL": azurite.container_url(INPUT_CONTAINER),
        "INPUT_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "RESULT_STORE": azurite.container_url(RESULT_COPIES_CONTAINER),
        "RESULT_STORE_CONNECTION_STRING": azurite.connection_string,
    }


def start_host(simulator_url: str, state_dir: Path, app_dir: Path = REPO, **settings: str) -> Child:
    """A host that sees exactly APP_ENV and `settings` over the test's environment, never a local.settings.json
    (`make run` leaves one in the checkout)."""
    args = ["-m", "tools.devhost", "--port", "0", "--app-dir", str(app_dir), "--state-dir", str(state_dir)]
    args.append("--no-local-settings")
    env = {
        "CONTENT_UNDERSTANDING_ENDPOINT": simulator_url,
        "RESULT_STORE": f"file:{state_dir / 'result-copies'}",
        **APP_ENV,
        **settings,
    }
    return start_quiet("devhost", args, HOST_READY, env)


@dataclass
class Stack:
    base_url: str
    simulator_url: str | None
    host: Child | None = None
    azurite: Azurite | None = None  # where a local stack's file ids live (None: not installed here)

    @property
    def local(self) -> bool:
        return self.host is not None


@pytest.fixture(scope="session")
def simulator_process() -> Iterator[Child | None]:
    if os.environ.get("E2E_BASE_URL"):
        yield None
        return
    process = start_simulator()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def stack(simulator_process, azurite_if_installed, tmp_path_factory) -> Iterator[Stack]:
    external = os.environ.get("E2E_BASE_URL")
    if external:
        yield Stack(base_url=external.rstrip("/"), simulator_url=os.environ.get("E2E_SIMULATOR_URL"))
        return
    storage = storage_settings(azurite_if_installed)
    host = start_host(simulator_process.ready_url, tmp_path_factory.mktemp("devhost-state"), **storage)
    yield Stack(host.ready_url, simulator_process.ready_url, host, azurite_if_installed)
    host.stop()


@pytest.fixture
def private_host(simulator_process, tmp_path) -> Iterator:
    """Start hosts of the test's own (with extra settings, on one state dir); all are stopped afterwards."""
    if simulator_process is None:
        pytest.skip("needs hosts the test starts itself (not available with E2E_BASE_URL)")
    started: list[Child] = []

    def start(**settings: str) -> Child:
        started.append(start_host(simulator_process.ready_url, tmp_path / "state", **settings))
        return started[-1]

    yield start
    for host in started:
        host.stop()


@pytest.fixture(autouse=True)
def responses_match_the_openapi_document() -> Iterator[None]:
    """Every answer from the app must match http_api/openapi.json (see openapi_contract.py)."""
    with checking_responses() as violations:
        yield
    assert not violations, "\n\n".join(violations)
