"""The table printed by `make bench`, the goals checked against it, and the chart of calls against lag."""

from __future__ import annotations

from pathlib import Path

COLUMNS = [
    ("schedule", "schedule", "{:<13}"),
    ("workload", "wl", "{:<4}"),
    ("calls", "calls", "{:>6.1f}"),
    ("lag_p50_s", "lag p50", "{:>8.1f}"),
    ("lag_p95_s", "lag p95", "{:>8.1f}"),
    ("e2e_lag_p50_s", "e2e p50", "{:>8.1f}"),
    ("e2e_lag_p95_s", "e2e p95", "{:>8.1f}"),
    ("history_events", "hist ev", "{:>8.0f}"),
    ("history_bytes", "hist B", "{:>8.0f}"),
    ("replay_agrees", "replay ok", "{:>9}"),
]


def table(rows: list[dict]) -> str:
    head = " ".join(title.rjust(_width(fmt, title)) for _, title, fmt in COLUMNS)
    lines = [head]
    for row in rows:
        cells = []
        for key, title, fmt in COLUMNS:
            value = row.get(key)
            if key == "replay_agrees":
                value = f"{row.get('replay_agrees', 0)}/{row.get('replayed', 0)}"
            text = fmt.format(value) if value is not None else "-"
            cells.append(text.rjust(_width(fmt, title)))
        lines.append(" ".join(cells))
    return "\n".join(lines)


def _width(fmt: str, title: str) -> int:
    digits = "".join(c for c in fmt.split(".")[0] if c.isdigit())
    return max(int(digits or 0), len(title))


def goals(rows: list[dict], endpoints: dict, worst: dict) -> list[tuple[str, bool, str]]:
    by = {(r["schedule"], r["workload"]): r for r in rows}
    result = []

    def row(schedule: str, workload: str) -> dict | None:
        return by.get((schedule, workload))

    old1, cold1 = row("old", "W1"), row("cold", "W1")
    if old1 and cold1:
        ok = (
            cold1["calls"] <= old1["calls"]
            and cold1["lag_p50_s"] <= old1["lag_p50_s"]
            and cold1["lag_p95_s"] <= old1["lag_p95_s"]
        )
        result.append(
            (
                "cold W1 no worse than old (calls, p50, p95)",
                ok,
                f"cold {_triple(cold1)} vs old {_triple(old1)}",
            )
        )
    for schedule, calls, p50, p95 in (("warm-economy", 9, 4, 10), ("warm-fast", 13, 2.5, 6)):
        r = row(schedule, "W2")
        if r:
            ok = r["calls"] <= calls and r["lag_p50_s"] <= p50 and r["lag_p95_s"] <= p95
            result.append(
                (
                    f"W2 {schedule}: <= {calls} calls, p50 <= {p50}, p95 <= {p95}",
                    ok,
                    f"{r['calls']} calls, {r['lag_p50_s']} / {r['lag_p95_s']} s",
                )
            )
    # W1 and W3 name no setting: the goal is met when a warm setting meets it (each setting is shown).
    old3 = row("old", "W3")
    for workload, title, test in (
        ("W1", "W1 warm: <= 13 calls, p50 <= 5, p95 <= 10", lambda r: _within(r, 13, 5, 10)),
        (
            "W3",
            "W3 warm: <= half old's calls, lag no worse than old's",
            lambda r: bool(old3) and _no_worse(r, old3, 0.5),
        ),
    ):
        found = [(schedule, r) for schedule in ("warm-economy", "warm-fast") if (r := row(schedule, workload))]
        if found:
            detail = "; ".join(f"{schedule} {_triple(r)}" for schedule, r in found)
            if workload == "W3" and old3:
                detail += f"; old {_triple(old3)}"
            result.append((title, any(test(r) for _, r in found), detail))
    for name, figures in worst.items():
        ok = figures["history_events"] <= 150 and figures["history_bytes"] <= 64 * 1024
        result.append(
            (
                f"history of a 300 s analysis ({name}) <= 150 events, <= 64 KB",
                ok,
                f"{figures['history_events']} events ({figures['history_events_without_episode_markers']} without "
                f"the episode markers), {figures['history_bytes']} bytes",
            )
        )
    http = endpoints.get("http") or {}
    if http:
        result.append(
            (
                "POST p99 <= 50 ms over HTTP, 50 in flight",
                http["post_ms"]["p99"] <= 50,
                f"p99 {http['post_ms']['p99']} ms",
            )
        )
        result.append(
            ("GET p99 <= 20 ms over HTTP, 50 in flight", http["get_ms"]["p99"] <= 20, f"p99 {http['get_ms']['p99']} ms")
        )
        result.append(
            (
                "GET 200 of a 2 MB result p99 <= 50 ms",
                http["get_2mb_ms"]["p99"] <= 50,
                f"p99 {http['get_2mb_ms']['p99']} ms",
            )
        )
    inproc = endpoints.get("inprocess_ms") or {}
    if inproc:
        worst_p99 = max(inproc["post"]["p99"], inproc["get"]["p99"])
        result.append(
            (
                "in-process cost p99 <= 2 ms",
                worst_p99 <= 2,
                f"POST p99 {inproc['post']['p99']} ms, GET p99 {inproc['get']['p99']} ms",
            )
        )
    return result


def _within(r: dict, calls: float, p50: float, p95: float) -> bool:
    return r["calls"] <= calls and r["lag_p50_s"] <= p50 and r["lag_p95_s"] <= p95


def _no_worse(r: dict, base: dict, calls_factor: float = 1.0) -> bool:
    return (
        r["calls"] <= base["calls"] * calls_factor
        and r["lag_p50_s"] <= base["lag_p50_s"]
        and r["lag_p95_s"] <= base["lag_p95_s"]
    )


def _triple(r: dict) -> str:
    return f"{r['calls']} calls, {r['lag_p50_s']} / {r['lag_p95_s']} s"


def chart(rows: list[dict], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    workloads = sorted({r["workload"] for r in rows})
    figure, axes = plt.subplots(1, len(workloads), figsize=(5 * len(workloads), 4.2), squeeze=False)
    markers = {"old": "s", "fixed5": "^", "cold": "o", "warm-economy": "D", "warm-fast": "*"}
    for axis, workload in zip(axes[0], workloads, strict=True):
        for r in rows:
            if r["workload"] != workload:
                continue
            axis.errorbar(
                r["calls"],
                r["lag_p50_s"],
                yerr=[[0], [max(r["lag_p95_s"] - r["lag_p50_s"], 0)]],
                marker=markers.get(r["schedule"], "x"),
                markersize=8,
                capsize=3,
                linestyle="none",
                label=r["schedule"],
            )
        axis.set_title(workload)
        axis.set_xlabel("status calls per analysis")
        axis.set_ylabel("completion lag p50 (bar to p95), s")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("Calls against lag, per schedule and workload (virtual time)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
