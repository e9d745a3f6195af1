"""The frontend's view at the default settings: POST, then a GET every 5 s, at most 60 times (a 300 s budget).

`python -m tools.benchmarks.frontend_budget` starts the simulator and the local host with the app's default
timing settings (ANALYSIS_TIMEOUT_SECONDS=240, POLL_INITIAL/MAX_INTERVAL_SECONDS=10) and every duration divided
by COMPRESSION (the analyses' durations, the settings and the frontend's 5 s alike), runs one operation per
scenario side by side, and prints, in uncompressed seconds, which poll got the final answer and what it said.
The host's own overhead (milliseconds) shows up multiplied by COMPRESSION, so the times are if anything late.
For an ended operation a GET after the last poll checks that its 500 has not changed. Success, a caller's
cancel and the timeout run again on devhost's azure-storage backend profile (what that backend does: timers and
terminate requests found by a queue poller that backs off to LATE_TIMER_SECONDS while idle), and success and the
timeout once more with every durable timer LATE_TIMER_SECONDS late (DEVHOST_DURABLE_TIMER_DELAY_SECONDS): the
bound the default timeout leaves room for, which the profile does not reach at these settings (its poller is
woken by every check's result); tools/docs/devhost-durable.md says why both exist.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from config.settings import DEFAULT_ANALYSIS_TIMEOUT_SECONDS
from tools.benchmarks.endpoints import start_stack

COMPRESSION = 20.0
LATE_TIMER_SECONDS = 30.0
POLL_SECONDS = 5.0
POLLS = 60
ANALYZER = "prebuilt-invoice"
DOC = "https://files.example.com/doc.pdf"


@dataclass
class Scenario:
    name: str
    files: list[str]  # sim_* controls in uncompressed seconds; compressed when sent
    cancel_at_poll: int | None = None
    polls: list[int] = field(default_factory=list)


SCENARIOS = [
    Scenario("success (1 file, 60 s)", ["sim_duration=60"]),
    Scenario("2 files (60 s, 90 s)", ["sim_duration=60", "sim_duration=90"]),
    Scenario("failure (30 s)", ["sim_duration=30&sim_outcome=failed"]),
    Scenario("cancel (DELETE after poll 6)", ["sim_duration=200"], cancel_at_poll=6),
    Scenario("service cancel (45 s)", ["sim_duration=45&sim_outcome=canceled"]),
    Scenario("timeout (never ends)", ["sim_outcome=stuck"]),
    Scenario("timeout (a 290 s analysis)", ["sim_duration=290"]),
]
PROFILE_SCENARIOS = [
    Scenario("success (60 s), azure-storage profile", ["sim_duration=60"]),
    Scenario("cancel (DELETE after poll 6), azure-storage profile", ["sim_duration=200"], cancel_at_poll=6),
    Scenario("timeout (never ends), azure-storage profile", ["sim_outcome=stuck"]),
]
LATE_SCENARIOS = [
    Scenario(f"success (60 s), every timer {LATE_TIMER_SECONDS:g} s late", ["sim_duration=60"]),
    Scenario(f"timeout (never ends), every timer {LATE_TIMER_SECONDS:g} s late", ["sim_outcome=stuck"]),
]


def compressed_url(controls: str, index: int) -> str:
    parts = []
    for pair in controls.split("&"):
        key, _, value = pair.partition("=")
        parts.append(f"{key}={float(value) / COMPRESSION:.4f}" if key == "sim_duration" else pair)
    return f"{DOC}?n={index}&" + "&".join(parts)


def run(scenario: Scenario, base: str) -> dict:
    session = requests.Session()
    body = {"analyzerId": ANALYZER, "inputFiles": [compressed_url(c, i) for i, c in enumerate(scenario.files)]}
    started = time.monotonic()
    submitted = session.post(f"{base}/pro-mode/content-analyzers/{ANALYZER}:analyze", json=body, timeout=30)
    operation_id = submitted.json()["operationId"]
    url = f"{base}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}?api-version=2025-05-01-preview"
    statuses: list[int] = []
    for poll in range(1, POLLS + 1):
        time.sleep(max(started + poll * POLL_SECONDS / COMPRESSION - time.monotonic(), 0.0))
        answer = session.get(url, timeout=30)
        statuses.append(answer.status_code)
        if scenario.cancel_at_poll == poll:
            session.delete(url, timeout=30)
        if answer.status_code != 202:
            seconds = (time.monotonic() - started) * COMPRESSION
            final = answer.json()
            again = session.get(url, timeout=30).json() if answer.status_code == 500 else None
            return {
                "scenario": scenario.name,
                "poll": poll,
                "seconds": seconds,
                "status": answer.status_code,
                "accepted": statuses.count(202),
                "final": final,
                "same_again": again == final if again is not None else None,
            }
    return {"scenario": scenario.name, "poll": None, "status": "frontend gave up", "accepted": statuses.count(202)}


def describe(result: dict) -> str:
    final = result.get("final") or {}
    if result["status"] == 200:
        paths = [c.get("path") for c in (final.get("result") or {}).get("contents") or []]
        return f"id {final.get('id', '')[:12]}..., contents {paths}"
    if result["status"] == 500:
        text = f"{final.get('error')} / {final.get('code')}"
        if "file" in final:
            text += f" / file {final['file']}"
        text += f" / elapsed_seconds {final.get('elapsed_seconds', 0) * COMPRESSION:.0f} (uncompressed)"
        return text + f" / same on the next GET: {'yes' if result['same_again'] else 'NO'}"
    return ""


def main() -> int:
    settings = {
        "ANALYSIS_TIMEOUT_SECONDS": str(DEFAULT_ANALYSIS_TIMEOUT_SECONDS / COMPRESSION),
        "POLL_INITIAL_INTERVAL_SECONDS": str(10 / COMPRESSION),
        "POLL_MAX_INTERVAL_SECONDS": str(10 / COMPRESSION),
        "DURABLE_TASK_HUB_NAME": "FrontendBudget",
    }
    late = str(LATE_TIMER_SECONDS / COMPRESSION)
    runs = (
        (SCENARIOS, {}),
        (PROFILE_SCENARIOS, {"DEVHOST_DURABLE_PROFILE": "azure-storage", "DEVHOST_DURABLE_LATE_SECONDS": late}),
        (LATE_SCENARIOS, {"DEVHOST_DURABLE_TIMER_DELAY_SECONDS": late}),
    )
    results = []
    for scenarios, durable_settings in runs:
        with tempfile.TemporaryDirectory() as state:
            simulator, host = start_stack(Path(state), {**settings, **durable_settings})
            try:
                with ThreadPoolExecutor(max_workers=len(scenarios)) as pool:
                    results += list(pool.map(lambda s, url=host.ready_url: run(s, url), scenarios))
            finally:
                host.stop()
                simulator.stop()
    print(
        f"Frontend: POST, then GET every {POLL_SECONDS:g} s, at most {POLLS} polls; ANALYSIS_TIMEOUT_SECONDS="
        f"{DEFAULT_ANALYSIS_TIMEOUT_SECONDS} (default); time compressed {COMPRESSION:g}x, shown uncompressed.\n"
    )
    print("| scenario | 202s | final answer on poll | at | HTTP | body |\n|---|---|---|---|---|---|")
    for r in results:
        at = f"{r['seconds']:.1f} s" if r.get("seconds") is not None else "-"
        print(f"| {r['scenario']} | {r['accepted']} | {r['poll']} of {POLLS} | {at} | {r['status']} | {describe(r)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
