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
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tools.devhost.local_stack import HOST_READY, SIMULATOR_READY, Child, start_quiet

REPO = Path(__file__).resolve().parents[2]
ANALYZER = "prebuilt-invoice"
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
    simulator = start_quiet("simulator", ["-m", "tools.simulator", "--port", "0", "--quiet"], SIMULATOR_READY)
    state = Path(tempfile.mkdtemp(prefix="bench-result-reads-"))
    env = {
        "CONTENT_UNDERSTANDING_ENDPOINT": simulator.ready_url or "",
        "CONTENT_UNDERSTANDING_KEY": "local-simulator-key",
        "DURABLE_TASK_HUB_NAME": "BenchReads",
        "AUTH_MODE": "none",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
        "ALLOWED_INPUT_HOSTS": "*.example.com,example.com",
        "PURGE_SCHEDULE": "0 0 0 1 1 *",
        "ANALYSIS_TIMEOUT_SECONDS": "60",
        "POLL_INITIAL_INTERVAL_SECONDS": "0.5",
        "POLL_MAX_INTERVAL_SECONDS": "0.5",
        "RESULT_STORE": f"file:{state / 'result-copies'}",
        "CALLER_READS_PER_MINUTE": "1000000",
        "CALLER_STARTS_PER_MINUTE": "100000",
    }
    args = [sys.executable, "-m", "tools.devhost", "--port", "0", "--app-dir", str(app_dir), "--state-dir", str(state)]
    host = Child("host", args, HOST_READY, app_dir, env=env, echo=False)
    host.start()
    try:
        if not host.wait_ready(60):
            raise RuntimeError("host did not start:\n" + "\n".join(host.lines[-30:]))
        return _measure(host, simulator.ready_url or "")
    finally:
        host.stop()
        simulator.stop()


def _measure(host: Child, simulator_url: str) -> list[dict]:
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    files = [f"https://files.example.com/doc-{i}.pdf?sim_duration=0.5&sim_result_kb={RESULT_KB}" for i in range(FILES)]
    started = requests.post(f"{base}:analyze", json={"inputFiles": files}, timeout=30)
    started.raise_for_status()
    url = f"{host.ready_url}{started.json()['resultsEndpoint']}"
    deadline = time.monotonic() + 120
    while True:  # wait until the orchestration has ended: a GET that is no longer 202
        answer = requests.get(url, timeout=120)
        if answer.status_code != 202 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answer.status_code == 200, answer.text[:300]
    size = len(answer.content)
    rows = []
    pid = host.process.pid
    for concurrency in ROUNDS:
        calls_before = service_calls(simulator_url)
        with PeakRss(pid) as peak, ThreadPoolExecutor(concurrency) as pool:
            baseline = rss_bytes(pid)
            t0 = time.monotonic()
            statuses = list(pool.map(lambda _: requests.get(url, timeout=300).status_code, range(concurrency)))
            seconds = time.monotonic() - t0
        rows.append(
            {
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=REPO)
    options = parser.parse_args(argv)
    rows = run(options.app_dir.resolve())
    print(f"{'GETs':>5} {'200s':>5} {'service calls':>14} {'peak RSS MB':>12} {'RSS before':>11} {'seconds':>8}")
    for row in rows:
        print(
            f"{row['gets']:>5} {row['ok']:>5} {row['serviceCalls']:>14} {row['peakRssMB']:>12} "
            f"{row['rssBeforeMB']:>11} {row['seconds']:>8}"
        )
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
