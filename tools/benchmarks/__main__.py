"""`make bench`: figures for the speed goals, measured over HTTP against the local host and simulator.

Prints latencies of the starter and the results endpoint, how long a burst of concurrent analyses takes
end to end, and how many status calls each analysis cost. Nothing here asserts; it reports.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tools.devhost.local_stack import HOST_READY, SIMULATOR_READY, Child, start_quiet

REPO = Path(__file__).resolve().parents[2]
ANALYZER = "prebuilt-invoice"
DOC = "https://files.example.com/invoice.pdf"


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"n={len(ordered):4d}  p50={statistics.median(ordered):7.1f} ms  p95={pick(0.95):7.1f} ms  "
        f"max={ordered[-1]:7.1f} ms"
    )


def start_stack(state_dir: Path, duration: float, poll_initial: float, poll_max: float) -> tuple[Child, Child]:
    simulator = start_quiet(
        "simulator", ["-m", "tools.simulator", "--port", "0", "--duration", str(duration), "--quiet"], SIMULATOR_READY
    )
    settings = {
        "CONTENT_UNDERSTANDING_ENDPOINT": simulator.ready_url or "",
        "CONTENT_UNDERSTANDING_KEY": "bench-key",
        "POLL_INITIAL_INTERVAL_SECONDS": str(poll_initial),
        "POLL_MAX_INTERVAL_SECONDS": str(poll_max),
        "DURABLE_TASK_HUB_NAME": "Bench",
    }
    try:
        host_args = ["-m", "tools.devhost", "--port", "0", "--app-dir", str(REPO), "--state-dir", str(state_dir)]
        host = start_quiet("host", host_args, HOST_READY, settings)
    except RuntimeError:
        simulator.stop()
        raise
    return simulator, host


def timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per latency figure")
    parser.add_argument("--analyses", type=int, default=50, help="concurrent analyses in the burst")
    parser.add_argument("--duration", type=float, default=3.0, help="simulated analysis time, seconds")
    parser.add_argument("--poll-initial", type=float, default=0.5)
    parser.add_argument("--poll-max", type=float, default=2.0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-state-") as state:
        simulator, host = start_stack(Path(state), args.duration, args.poll_initial, args.poll_max)
        session = requests.Session()
        base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
        try:
            print(f"host {host.ready_url}, simulator {simulator.ready_url}, analysis time {args.duration:g} s")
            post_ms, ids = [], []
            for index in range(args.requests):
                body = {"inputFiles": [f"{DOC}?n={index}&sim_duration={args.duration}"]}
                ms, response = timed(lambda body=body: session.post(f"{base}:analyze", json=body, timeout=30))
                post_ms.append(ms)
                ids.append(response.json()["operationId"])
            print(f"POST :analyze (202)          {percentiles(post_ms)}")

            get_ms = [timed(lambda i=i: session.get(f"{base}/results/{i}", timeout=30))[0] for i in ids]
            print(f"GET results while running    {percentiles(get_ms)}")

            time.sleep(args.duration + 2 * args.poll_max)  # let the sequential batch finish before the burst
            done_ms = []
            for operation_id in ids:
                ms, response = timed(lambda o=operation_id: session.get(f"{base}/results/{o}", timeout=30))
                if response.status_code == 200:
                    done_ms.append(ms)
            if done_ms:
                print(f"GET results when done (200)  {percentiles(done_ms)}")

            large_body = {"inputFiles": [f"{DOC}?sim_result_kb=2048&sim_duration=0.5"]}
            large_id = session.post(f"{base}:analyze", json=large_body, timeout=30).json()["operationId"]
            deadline = time.monotonic() + 60
            while session.get(f"{base}/results/{large_id}", timeout=30).status_code == 202:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            large = [timed(lambda: session.get(f"{base}/results/{large_id}", timeout=30)) for _ in range(10)]
            size_kb = len(large[-1][1].content) / 1024
            print(f"GET a {size_kb:,.0f} KB result (200)  {percentiles([ms for ms, _ in large])}")

            requests.post(f"{simulator.ready_url}/_sim/reset", timeout=10)
            burst_started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=16) as pool:
                burst = list(
                    pool.map(
                        lambda i: session.post(
                            f"{base}:analyze", json={"inputFiles": [f"{DOC}?burst={i}&sim_duration={args.duration}"]}
                        ).json()["operationId"],
                        range(args.analyses),
                    )
                )
            submitted_s = time.perf_counter() - burst_started
            pending, finished_at = set(burst), {}
            deadline = time.monotonic() + 300
            while pending and time.monotonic() < deadline:
                for operation_id in list(pending):
                    if session.get(f"{base}/results/{operation_id}", timeout=30).status_code != 202:
                        pending.discard(operation_id)
                        finished_at[operation_id] = time.perf_counter() - burst_started
                time.sleep(0.2)
            stats = requests.get(f"{simulator.ready_url}/_sim/stats", timeout=10).json()
            total_s = max(finished_at.values()) if finished_at else float("nan")
            print(
                f"burst of {args.analyses} analyses: all submitted in {submitted_s:.2f} s, "
                f"all done after {total_s:.2f} s ({len(pending)} unfinished); "
                f"overhead over the {args.duration:g} s analysis: {total_s - args.duration:.2f} s"
            )
            per_analysis = stats["status_calls"] / max(stats["analyze_calls"], 1)
            print(
                f"status calls to Content Understanding: {stats['status_calls']} for {stats['analyze_calls']} "
                f"analyses ({per_analysis:.1f} each), TCP connections: {stats['connections']}"
            )
        finally:
            host.stop()
            simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
