"""What the durable backends do differently, over HTTP, under each devhost backend profile (or the real host).

Locally each test runs three times, on a devhost started with DEVHOST_DURABLE_PROFILE = exact, azure-storage
(non-atomic start, timers and terminates found by a backed-off queue poller, createdTime reset on
continue-as-new) and dts (1 MiB payload limit, purge in batches); see tools/docs/devhost-durable.md. With
E2E_BASE_URL the same tests run once against that host, when E2E_ANALYSIS_TIMEOUT_SECONDS says it runs with the
compressed settings of CI's e2e-durable-backends job (Core Tools on Azurite, and on the Durable Task Scheduler
emulator): that ANALYSIS_TIMEOUT_SECONDS, RESULT_TTL_SECONDS=1, checks every 0.2-0.5 s.

Each test prints its figures as one `[figures]` line (pytest -s shows them).
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
import requests

from orchestrators.analysis_orchestrator import CHECKS_PER_EXECUTION
from tests.e2e.conftest import start_host
from tests.e2e.helpers import ANALYZER, DOC, HOST_KEY_HEADER, final_answer
from tests.support import wait_until

# Time-compressed: checks every 0.1-0.25 s, so the orchestration continues as new (every CHECKS_PER_EXECUTION
# checks) after about 3 s, before the 5 s analysis timeout.
TIMEOUT_SECONDS = 5
LATE_CAP_SECONDS = 4  # azure-storage: the queue poller's maxQueuePollingInterval, compressed from 30 s
PROFILE_SETTINGS = {
    "exact": {"DEVHOST_DURABLE_PROFILE": "exact"},
    "azure-storage": {
        "DEVHOST_DURABLE_PROFILE": "azure-storage",
        "DEVHOST_DURABLE_LATE_SECONDS": str(LATE_CAP_SECONDS),
    },
    "dts": {"DEVHOST_DURABLE_PROFILE": "dts"},
}
EXTERNAL = os.environ.get("E2E_BASE_URL")


@dataclass
class Backend:
    name: str
    base_url: str
    simulator_url: str | None
    timeout_seconds: float | None

    def url(self, path: str) -> str:
        return f"{self.base_url}/pro-mode/content-analyzers/{ANALYZER}{path}"

    def post(self, files: list[str], headers: dict | None = None) -> requests.Response:
        body = {"analyzerId": ANALYZER, "inputFiles": files}
        return requests.post(self.url(":analyze"), json=body, headers=headers, timeout=30)

    def get(self, operation_id: str) -> requests.Response:
        return requests.get(self.url(f"/results/{operation_id}"), timeout=10)

    def analyses_created(self) -> int | None:
        if not self.simulator_url:
            return None
        return requests.get(f"{self.simulator_url}/_sim/stats", timeout=5).json()["operations_created"]


@pytest.fixture(scope="module", params=["external"] if EXTERNAL else list(PROFILE_SETTINGS))
def backend(request, simulator_process, tmp_path_factory):
    if request.param == "external":
        timeout = os.environ.get("E2E_ANALYSIS_TIMEOUT_SECONDS")
        if not timeout:  # the host must run with the compressed settings (RESULT_TTL_SECONDS=1, fast checks)
            pytest.skip("needs a host set up as CI's e2e-durable-backends job does (E2E_ANALYSIS_TIMEOUT_SECONDS)")
        yield Backend("external", EXTERNAL.rstrip("/"), os.environ.get("E2E_SIMULATOR_URL"), float(timeout))
        return
    host = start_host(
        simulator_process.ready_url,
        tmp_path_factory.mktemp(f"devhost-{request.param}"),
        ANALYSIS_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        POLL_INITIAL_INTERVAL_SECONDS="0.1",
        POLL_MAX_INTERVAL_SECONDS="0.25",
        RESULT_TTL_SECONDS="1",
        **PROFILE_SETTINGS[request.param],
    )
    yield Backend(request.param, host.ready_url, simulator_process.ready_url, TIMEOUT_SECONDS)
    host.stop()


def figures(backend: Backend, test: str, **values) -> None:
    print(f"\n[figures] {backend.name} {test}: {json.dumps(values)}")


def _final(backend: Backend, operation_id: str) -> requests.Response:
    return final_answer(backend.url(f"/results/{operation_id}"), timeout=40)


def _race(backend: Backend, bodies: list[list[str]], key: str) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(lambda files: backend.post(files, {"Idempotency-Key": key}), bodies))


def test_idempotency_race_with_equal_bodies_starts_one_analysis(backend):
    before = backend.analyses_created()
    answers = _race(backend, [[f"{DOC}?sim_duration=0.5"]] * 8, f"same-{uuid.uuid4()}")
    codes = [a.status_code for a in answers]
    assert codes == [202] * 8, [a.text for a in answers]
    ids = {a.json()["operationId"] for a in answers}
    assert len(ids) == 1
    assert _final(backend, ids.pop()).status_code == 200
    analyses = None
    if before is not None:
        time.sleep(0.5)  # a dropped duplicate start would have submitted by now
        analyses = backend.analyses_created() - before
        assert analyses == 1
    figures(backend, "race-equal", accepted=codes.count(202), conflicts=codes.count(409), analyses=analyses)


def test_idempotency_race_with_different_bodies_never_answers_202_for_another_body(backend):
    """Half the racers send one file, half two: every 202 caller's body is the one that runs; the others get 409."""
    one = [f"{DOC}?sim_duration=0.5"]
    two = [f"{DOC}?sim_duration=0.5", "https://files.example.com/second.pdf?sim_duration=0.5"]
    bodies = [one, two] * 4
    before = backend.analyses_created()
    answers = _race(backend, bodies, f"differ-{uuid.uuid4()}")
    codes = [a.status_code for a in answers]
    assert set(codes) <= {202, 409}, [a.text for a in answers]
    accepted = [len(files) for files, a in zip(bodies, answers, strict=True) if a.status_code == 202]
    refused = [len(files) for files, a in zip(bodies, answers, strict=True) if a.status_code == 409]
    assert accepted and len(set(accepted)) == 1, f"202 for both bodies: {accepted}"
    assert set(refused) <= {3 - accepted[0]} and len(refused) == 4
    assert all(a.json()["code"] == "IdempotencyKeyReused" for a in answers if a.status_code == 409)
    operation_id = next(a.json()["operationId"] for a in answers if a.status_code == 202)
    final = _final(backend, operation_id)
    assert final.status_code == 200
    ran = len(final.json()["result"]["contents"])
    assert ran == accepted[0]  # the analysis that ran is the 202 callers' request
    analyses = None
    if before is not None:
        time.sleep(0.5)
        analyses = backend.analyses_created() - before
        assert analyses == ran  # one analysis per file of the one request that started
    figures(backend, "race-different", accepted=len(accepted), conflicts=len(refused), analyses=analyses)


def _checks_made(backend: Backend, operation_id: str) -> int:
    return (backend.get(operation_id).json().get("progress") or {}).get("attempts", 0)


def test_cancel_after_continue_as_new_then_get_says_canceled_with_the_real_elapsed_time(backend):
    posted = time.monotonic()
    operation_id = backend.post([f"{DOC}?sim_duration=60"]).json()["operationId"]
    wait_until(
        lambda: _checks_made(backend, operation_id) > CHECKS_PER_EXECUTION,
        30,
        0.25,
        "the orchestration never continued as new",
    )
    asked = time.monotonic()
    assert requests.delete(backend.url(f"/results/{operation_id}"), timeout=10).status_code == 202
    still_running = 0
    answers: list[requests.Response] = []

    def canceled() -> bool:
        nonlocal still_running
        answers.append(backend.get(operation_id))
        still_running += answers[-1].status_code == 202
        return answers[-1].status_code == 500

    wait_until(canceled, 60, 0.25, "the terminate was never picked up")
    seen = time.monotonic()
    body = answers[-1].json()
    assert (body["status"], body["code"]) == ("canceled", "Canceled")
    # Counted from the POST to the termination, across the continue-as-new (which resets createdTime on Azure
    # Storage), not from the last continuation.
    assert asked - posted - 1.0 <= body["elapsed_seconds"] <= seen - posted + 1.5
    again = backend.get(operation_id).json()
    assert again["elapsed_seconds"] == body["elapsed_seconds"]  # an ended operation's time stands still
    figures(
        backend,
        "cancel",
        elapsed_seconds=body["elapsed_seconds"],
        wall_post_to_delete=round(asked - posted, 1),
        wall_post_to_canceled_get=round(seen - posted, 1),
        gets_202_after_delete=still_running,
    )


def test_timeout_is_decided_across_continue_as_new(backend):
    if backend.timeout_seconds is None:
        pytest.skip("needs the host's compressed ANALYSIS_TIMEOUT_SECONDS (E2E_ANALYSIS_TIMEOUT_SECONDS)")
    posted = time.monotonic()
    operation_id = backend.post([f"{DOC}?sim_outcome=stuck"]).json()["operationId"]
    checks_seen = []

    def ended() -> bool:
        answer = backend.get(operation_id)
        if answer.status_code == 202:
            checks_seen.append(answer.json()["progress"]["attempts"])
        return answer.status_code != 202

    wait_until(ended, backend.timeout_seconds + 40, 0.25, "the analysis never timed out")
    wall = time.monotonic() - posted
    body = backend.get(operation_id).json()
    assert (body["status"], body["code"]) == ("timeout", "Timeout")
    assert max(checks_seen) > CHECKS_PER_EXECUTION  # it did continue as new before the deadline
    assert backend.timeout_seconds <= body["elapsed_seconds"] <= wall + 1.0
    figures(backend, "timeout", elapsed_seconds=body["elapsed_seconds"], wall=round(wall, 1), checks=max(checks_seen))


@pytest.fixture
def slow_polling(backend, simulator_process, tmp_path):
    """The backend's profile with a check every 4 s (an idle host between checks); the external host as it is.
    Only azure-storage finds a timer late: on exact and dts no check is ever overdue, so nothing could be checked."""
    if backend.name == "external":
        yield backend
        return
    if backend.name != "azure-storage":
        pytest.skip(f"the {backend.name} profile fires every timer on time: no check is ever overdue")
    host = start_host(
        simulator_process.ready_url,
        tmp_path / "state",
        POLL_INITIAL_INTERVAL_SECONDS="4",
        POLL_MAX_INTERVAL_SECONDS="4",
        **PROFILE_SETTINGS[backend.name],
    )
    yield Backend(backend.name, host.ready_url, simulator_process.ready_url, None)
    host.stop()


def test_a_late_check_is_polled_with_a_retry_after_that_never_drops_below_the_floor(slow_polling):
    """Checks 4 s apart: an idle Azure Storage host finds the timer late (its queue poller has backed off). A client
    honouring Retry-After then comes back less and less often while the check is overdue, never every second."""
    backend = slow_polling
    operation_id = backend.post([f"{DOC}?sim_duration=4.5"]).json()["operationId"]

    def planned() -> str | None:
        return (backend.get(operation_id).json().get("progress") or {}).get("nextCheckAt")

    next_check = datetime.fromisoformat(wait_until(planned, 10, 0.1, "no check was planned"))
    # Come back just after the check should have landed, then do as Retry-After says.
    time.sleep(max((next_check - datetime.now(timezone.utc)).total_seconds() + 0.6, 0))
    gets = overdue_gets = 0
    overdue_retry_afters = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        answer = backend.get(operation_id)
        gets += 1
        if answer.status_code != 202:
            break
        retry_after = int(answer.headers["Retry-After"])
        planned_at = answer.json()["progress"].get("nextCheckAt")
        overdue = planned_at and (datetime.now(timezone.utc) - datetime.fromisoformat(planned_at)).total_seconds()
        if overdue and overdue > 0.5:
            overdue_gets += 1
            overdue_retry_afters.append(retry_after)
            assert retry_after >= 2, "an overdue check must not make every client poll each second"
            assert retry_after >= min(math.floor(overdue), 10)
        time.sleep(retry_after)
    assert answer.status_code == 200
    if backend.name == "azure-storage":  # the profile's poller backed off to the 4 s cap: the check was late
        assert overdue_gets > 0, "no GET saw an overdue check: the profile found the timer on time"
    figures(backend, "late-timer", gets=gets, gets_while_overdue=overdue_gets, retry_afters=overdue_retry_afters)


def test_purge_removes_every_finished_operation_in_one_run_and_keeps_running_ones(backend):
    """Five finished operations: the Durable Task Scheduler purges in batches; one run asks until none is left."""
    finished = [backend.post([f"{DOC}?n={i}&sim_duration=0.2"]).json()["operationId"] for i in range(5)]
    running = backend.post([f"{DOC}?sim_duration=60"]).json()["operationId"]
    for operation_id in finished:
        assert _final(backend, operation_id).status_code == 200
    time.sleep(1.1)  # older than RESULT_TTL_SECONDS=1
    purge = f"{backend.base_url}/admin/functions/purge_finished_operations"
    triggered = requests.post(purge, json={}, headers=HOST_KEY_HEADER, timeout=10)
    assert triggered.status_code in (200, 202)
    wait_until(
        lambda: all(backend.get(o).status_code == 404 for o in finished),
        20,
        0.25,
        "a finished operation outlived the purge run",
    )
    assert backend.get(running).status_code == 202
    requests.delete(backend.url(f"/results/{running}"), timeout=10)


def _request_of_size(characters_per_file: int, files: int = 10) -> list[str]:
    """Non-ASCII URLs: each 'é' takes 6 characters once percent-encoded, as the app forwards URLs and the service
    counts their length."""
    return [f"https://files.example.com/{i}-{'é' * characters_per_file}?sim_duration=0.2" for i in range(files)]


def _longest_urls(files: int = 10) -> list[str]:
    """URLs of exactly 8,192 characters: the longest the app accepts and the service takes."""
    stem = "https://files.example.com/{}-"
    tail = "?sim_duration=0.2"
    return [stem.format(i) + "a" * (8192 - len(stem.format(i)) - len(tail)) + tail for i in range(files)]


def test_the_largest_request_accepted_fits_the_backend_and_a_larger_one_is_refused_at_post(backend):
    before = backend.analyses_created()
    # 5,000 characters as written, 30,000 forwarded: over the service's 8,192 (and 300 KB of durable input).
    too_large = backend.post(_request_of_size(5000))
    assert too_large.status_code == 400
    body = too_large.json()
    assert (body["error"], body["code"]) == ("Invalid request", "InvalidInputUrl")
    assert "percent-encoded" in body["message"] and "8192" in body["message"]
    largest = backend.post(_longest_urls())
    assert largest.status_code == 202, largest.text
    final = _final(backend, largest.json()["operationId"])
    assert final.status_code == 200, final.text
    assert len(final.json()["result"]["contents"]) == 10
    if before is not None:
        assert backend.analyses_created() - before == 10  # the refused request started nothing
