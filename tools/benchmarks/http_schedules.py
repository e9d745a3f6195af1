"""The schedule figures confirmed over HTTP: the local host and simulator, time compressed COMPRESSION times
(a 180 s analysis takes 18 s, the 300 s deadline is 30 s, every setting in seconds is divided alike). Calls and
lag come from each operation's durable output (checks, elapsedSeconds) and the simulator's duration; lags are
scaled back to uncompressed seconds, so the host's own overhead (tens of ms) shows up multiplied."""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from domain.polling_schedule import PollingPolicy
from tools.benchmarks.endpoints import ANALYZER, BENCH_HOST_KEY, DOC, start_stack
from tools.benchmarks.schedules import ECONOMY_TARGET, TIMEOUT, WARMUP, check_times, percentile
from tools.benchmarks.workloads import Workload

COMPRESSION = 10.0


def _batch(host_url: str, workload: Workload, count: int, rng: random.Random) -> list[tuple[float, dict]]:
    session = requests.Session()
    base = f"{host_url}/pro-mode/content-analyzers/{ANALYZER}"

    def start(index: int) -> tuple[float, str]:
        duration, pages = workload.sample(rng)
        body = {"inputFiles": [f"{DOC}?n={index}&sim_duration={duration / COMPRESSION:.4f}"]}
        if pages:
            body["pages"] = pages
        return duration, session.post(f"{base}:analyze", json=body, timeout=30).json()["operationId"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(pool.map(start, range(count)))
    outputs = []
    deadline = time.monotonic() + TIMEOUT / COMPRESSION + 60
    for duration, operation_id in started:
        while True:
            status = session.get(
                f"{host_url}/runtime/webhooks/durabletask/instances/{operation_id}",
                headers={"x-functions-key": BENCH_HOST_KEY},
                timeout=30,
            )
            body = status.json() if status.status_code in (200, 202) else {}
            if body.get("runtimeStatus") in ("Completed", "Failed", "Terminated") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        job = body.get("input") or {}
        outputs.append((duration, body.get("output") or {}, json.loads(job) if isinstance(job, str) else job))
    return outputs


def _uncompressed(policy: dict) -> PollingPolicy:
    compressed = PollingPolicy.from_dict(policy)
    return PollingPolicy(
        compressed.timeout_seconds * COMPRESSION,
        compressed.initial_interval_seconds * COMPRESSION,
        compressed.max_interval_seconds * COMPRESSION,
        tuple(t * COMPRESSION for t in compressed.plan),
    )


def _figures(name: str, workload: Workload, outputs: list[tuple[float, dict, dict]]) -> dict:
    """Calls and lag over HTTP, beside the virtual-time figures of the same analyses under the same policies
    (the plan each operation really got, read back from its input)."""
    done = [(d, o, i) for d, o, i in outputs if o.get("outcome") == "succeeded"]
    lags = sorted(max(o["elapsedSeconds"] * COMPRESSION - d, 0.0) for d, o, _ in done)
    virtual = [check_times(_uncompressed(i["policy"]), d) for d, _, i in done if isinstance(i, dict) and "policy" in i]
    virtual_lags = sorted(times[-1] - d for (d, _, _), times in zip(done, virtual, strict=False))
    return {
        "schedule": name,
        "workload": workload.name,
        "compression": COMPRESSION,
        "analyses": len(outputs),
        "succeeded": len(done),
        "calls": round(statistics.fmean(o["checks"] for _, o, _ in done), 2) if done else None,
        "lag_p50_s": round(percentile(lags, 0.5), 2),
        "lag_p95_s": round(percentile(lags, 0.95), 2),
        "virtual_calls": round(statistics.fmean(len(t) for t in virtual), 2) if virtual else None,
        "virtual_lag_p50_s": round(percentile(virtual_lags, 0.5), 2),
        "virtual_lag_p95_s": round(percentile(virtual_lags, 0.95), 2),
    }


def confirm_over_http(workload: Workload, count: int = 20, seed: int = 7) -> list[dict]:
    """old, then cold / warm-economy on one host that learns (the first batch runs cold and teaches it)."""
    rng = random.Random(seed)
    results = []
    scale = {
        "ANALYSIS_TIMEOUT_SECONDS": str(TIMEOUT / COMPRESSION),
    }
    with tempfile.TemporaryDirectory(prefix="bench-http-old-") as state:
        old = {
            **scale,
            "POLL_INITIAL_INTERVAL_SECONDS": str(10 / COMPRESSION),
            "POLL_MAX_INTERVAL_SECONDS": str(10 / COMPRESSION),
        }
        simulator, host = start_stack(Path(state), old)
        try:
            results.append(_figures("old", workload, _batch(host.ready_url, workload, count, rng)))
        finally:
            host.stop()
            simulator.stop()
    with tempfile.TemporaryDirectory(prefix="bench-http-ours-") as state:
        ours = {
            **scale,
            "POLL_INITIAL_INTERVAL_SECONDS": str(10 / COMPRESSION),
            "POLL_MAX_INTERVAL_SECONDS": str(10 / COMPRESSION),
            "POLL_TARGET_LAG_SECONDS": str(ECONOMY_TARGET / COMPRESSION),
            "DURATION_MODEL_STORE": f"file:{state}/duration-models",
        }
        simulator, host = start_stack(Path(state) / "first", ours)
        try:
            results.append(_figures("cold", workload, _batch(host.ready_url, workload, max(count, WARMUP), rng)))
        finally:
            host.stop()
            simulator.stop()
        # A new host process: its starter's model cache (60 s) is empty, so it reads what the cold batch taught.
        simulator, host = start_stack(Path(state) / "second", ours)
        try:
            results.append(_figures("warm-economy", workload, _batch(host.ready_url, workload, count, rng)))
        finally:
            host.stop()
            simulator.stop()
    return results
