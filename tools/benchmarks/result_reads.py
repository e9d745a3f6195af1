"""Reading a finished result under concurrency: host peak memory and Content Understanding calls.

A 10-file operation of ~2 MB per file finishes; then 1, 20 and 60 concurrent GETs read it. For each round it
prints the service calls the round cost (the simulator counts them) and the host process's peak RSS during
the round (sampled from /proc every 10 ms). Goal (issue 16): service calls do not grow with GETs; peak under
600 MB at 60.

    .venv/bin/python -m tools.benchmarks.result_reads [--app-dir DIR]

--app-dir runs another checkout's app and devhost (e.g. an export of main, for a before/after).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tools.benchmarks.endpoints import ANALYZER, BENCH_HOST_KEY, REPO, start_stack
from tools.devhost.local_stack import Child

FILES = 10
RESULT_KB = 2048
ROUNDS = (1, 20, 60)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples a process's RSS in the background; .peak is the highest seen since start()."""

    def __init__(self, pid: int, interval: float = 0.01):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


def service_calls(simulator_url: str) -> int:
    return requests.get(f"{simulator_url}/_sim/stats", timeout=10).json()["status_calls"]


def run(app_dir: Path) -> list[dict]:
    state = Path(tempfile.mkdtemp(prefix="bench-result-reads-"))
    settings = {
        "DURABLE_TASK_HUB_NAME": "BenchReads",
        "ANALYSIS_TIMEOUT_SECONDS": "60",
        "POLL_INITIAL_INTERVAL_SECONDS": "0.5",
        "POLL_MAX_INTERVAL_SECONDS": "0.5",
        "RESULT_STORE": f"file:{state / 'result-copies'}",
    }
    simulator, host = start_stack(state, settings, app_dir=app_dir)
    try:
        return _measure(host, simulator.ready_url or "")
    finally:
        host.stop()
        simulator.stop()


def _measure(host: Child, simulator_url: str) -> list[dict]:
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    files = [f"https://files.example.com/doc-{i}.pdf?sim_duration=0.5&sim_result_kb={RESULT_KB}" for i in range(FILES)]
    urls = []
    for _ in range(2):  # one read warm (first read, then the rounds), one read cold by 60 GETs at once
        started = requests.post(f"{base}:analyze", json={"inputFiles": files}, timeout=30)
        started.raise_for_status()
        urls.append(f"{host.ready_url}{started.json()['resultsEndpoint']}")
        _wait_until_completed(host.ready_url, started.json()["operationId"])
    rows = []
    pid = host.process.pid
    size = 0
    rounds = [("first read", 1, urls[0])] + [(f"{n} concurrent", n, urls[0]) for n in ROUNDS]
    rounds.append((f"{ROUNDS[-1]} cold", ROUNDS[-1], urls[1]))  # nobody read it yet: one build for all
    for name, concurrency, url in rounds:
        calls_before = service_calls(simulator_url)
        with PeakRss(pid) as peak, ThreadPoolExecutor(concurrency) as pool:
            baseline = rss_bytes(pid)
            t0 = time.monotonic()
            answers = list(pool.map(lambda target: requests.get(target, timeout=300), [url] * concurrency))
            seconds = time.monotonic() - t0
        statuses = [answer.status_code for answer in answers]
        size = max(len(answer.content) for answer in answers)
        del answers
        rows.append(
            {
                "round": name,
                "gets": concurrency,
                "ok": statuses.count(200),
                "serviceCalls": service_calls(simulator_url) - calls_before,
                "peakRssMB": round(peak.peak / 1_048_576),
                "rssBeforeMB": round(baseline / 1_048_576),
                "seconds": round(seconds, 2),
                "resultMB": round(size / 1_048_576, 1),
            }
        )
    return rows


def _wait_until_completed(base_url: str, operation_id: str) -> None:
    """The orchestration's own status (the management API): no result is read while waiting."""
    status_url = f"{base_url}/runtime/webhooks/durabletask/instances/{operation_id}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(status_url, headers={"x-functions-key": BENCH_HOST_KEY}, timeout=30).json()
        if status.get("runtimeStatus") == "Completed":
            return
        time.sleep(0.5)
    raise RuntimeError(f"{operation_id} did not complete")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=REPO)
    options = parser.parse_args(argv)
    rows = run(options.app_dir.resolve())
    print(f"{'round':>14} {'200s':>5} {'service calls':>14} {'peak RSS MB':>12} {'RSS before':>11} {'seconds':>8}")
    for row in rows:
        print(
            f"{row['round']:>14} {row['ok']:>5} {row['serviceCalls']:>14} {row['peakRssMB']:>12} "
            f"{row['rssBeforeMB']:>11} {row['seconds']:>8}"
        )
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
