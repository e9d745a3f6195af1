"""`make bench`: schedules side by side (virtual time, confirmed over HTTP), endpoint latencies, history size.

Prints a table, checks the goals, writes JSON to $BENCH_OUT (default .bench/bench.json) and a PNG chart of
calls against lag beside it. Nothing here asserts; it reports. Options trade time for precision.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from tools.benchmarks import report
from tools.benchmarks.schedules import (
    SCHEDULES,
    learned_policy,
    public,
    replay_confirm,
    simulate,
    worst_case_history,
)
from tools.benchmarks.workloads import workloads

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks", description=__doc__)
    parser.add_argument("--analyses", type=int, default=4000, help="analyses per schedule and workload (virtual time)")
    parser.add_argument("--repeats", type=int, default=40, help="independent warm-ups behind each warm figure")
    parser.add_argument("--replays", type=int, default=10, help="analyses per cell replayed through the SDK")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-http", action="store_true", help="skip everything that starts the local host")
    parser.add_argument("--no-model-store", action="store_true", help="skip the duration-model store on Azurite")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    out = Path(os.environ.get("BENCH_OUT") or REPO / ".bench" / "bench.json")

    rows = []
    for workload in workloads():
        for schedule in SCHEDULES:
            figures = simulate(schedule, workload, args.analyses, args.repeats, args.seed)
            figures.update(replay_confirm(figures["_replay_cases"], args.replays, learn=schedule.warm))
            rows.append(public(figures))
    print(
        f"Schedules in virtual time: {args.analyses} analyses per cell, warm = after 20 finished analyses "
        f"({args.repeats} independent warm-ups), {args.replays} per cell replayed through the SDK"
    )
    for workload in workloads():
        print(f"  {workload.name}: {workload.describe()}")
    print(report.table(rows))

    worst = {s.name: worst_case_history(s.policy) for s in SCHEDULES if not s.warm}
    w2 = next(w for w in workloads() if w.name == "W2")
    for schedule in (s for s in SCHEDULES if s.warm):  # a plan learned from twenty W2 analyses, run to the deadline
        worst[f"{schedule.name} (W2 plan)"] = worst_case_history(learned_policy(schedule, w2, args.seed))
    endpoints: dict = {}
    http_rows: list[dict] = []
    if not args.no_http:
        from tools.benchmarks.endpoints import in_process, over_http
        from tools.benchmarks.http_schedules import COMPRESSION, confirm_over_http

        endpoints["inprocess_ms"] = in_process()
        endpoints["http"] = over_http()
        http_rows = confirm_over_http(w2)
        print(f"\nOver HTTP (local host + simulator, time compressed {COMPRESSION:g}x, lags scaled back):")
        for row in http_rows:
            print(
                f"  {row['schedule']:<13} {row['workload']}  calls {row['calls']}  lag p50 {row['lag_p50_s']} s  "
                f"p95 {row['lag_p95_s']} s  ({row['succeeded']}/{row['analyses']} succeeded); the same analyses "
                f"in virtual time: calls {row['virtual_calls']}, lag p50 {row['virtual_lag_p50_s']} s, "
                f"p95 {row['virtual_lag_p95_s']} s"
            )
        http = endpoints["http"]
        print(f"\nEndpoints over HTTP with {http['in_flight']} analyses in flight:")
        for key in ("post_ms", "get_ms", "get_2mb_ms"):
            figures = http[key]
            print(f"  {key:<11} n={figures['n']:4d}  p50 {figures['p50']:7.2f} ms  p99 {figures['p99']:7.2f} ms")
        inproc = endpoints["inprocess_ms"]
        print(
            f"  in-process POST p50 {inproc['post']['p50']} ms p99 {inproc['post']['p99']} ms; "
            f"GET p50 {inproc['get']['p50']} ms p99 {inproc['get']['p99']} ms"
        )
    from tools.benchmarks.model_store import model_store, print_table

    store_figures = {} if args.no_model_store else model_store()
    if store_figures:
        print_table(store_figures)
    print("\nHistory of an analysis running the whole 300 s (any result size: results never enter it; events counted")
    print("as DTFx stores them, with the OrchestratorStarted/Completed markers of each episode, and without them):")
    for name, figures in worst.items():
        print(
            f"  {name:<26} {figures['history_events']} events ({figures['history_events_without_episode_markers']} "
            f"without the episode markers), {figures['history_bytes']} bytes"
        )

    checked = report.goals(rows, endpoints, worst)
    print("\nGoals:")
    for title, ok, detail in checked:
        print(f"  [{'met' if ok else 'NOT MET'}] {title}: {detail}")

    payload = {
        "schedules": rows,
        "schedules_http": http_rows,
        "history_300s": worst,
        "endpoints": {
            "post_ms": (endpoints.get("http") or {}).get("post_ms"),
            "get_ms": (endpoints.get("http") or {}).get("get_ms"),
            "get_2mb_ms": (endpoints.get("http") or {}).get("get_2mb_ms"),
            "inprocess_ms": endpoints.get("inprocess_ms"),
        },
        **store_figures,
        "goals": [{"goal": t, "met": ok, "detail": d} for t, ok, d in checked],
        "seconds": round(time.perf_counter() - began, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2))
    picture = report.chart(rows, out.with_suffix(".png"))
    print(f"\nWrote {out}" + (f" and {picture}" if picture else " (matplotlib missing: no chart)"))
    print(f"make bench took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
