"""Schedules side by side in virtual time: the pure schedule for thousands of analyses, confirmed (and the
history measured) by the real orchestrator replayed through the Durable Functions SDK.

old: a check at 0 s, then every 10 s (the design we replace); fixed5: every 5 s; cold: ours with no model
(the default policy); warm-economy / warm-fast: ours after WARMUP finished analyses of the analyzer taught the
model, at two settings of POLL_TARGET_LAG_SECONDS. A warm figure is averaged over REPEATS independent
warm-ups, so the noise of learning from twenty analyses is in it.
"""

from __future__ import annotations

import json
import math
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timezone

from domain.activity_result import ActivityResult
from domain.duration_model import observe, quantiles, size_bucket
from domain.polling_schedule import PollingPolicy, next_check_delay, planned_policy
from tools.benchmarks.workloads import Workload

TIMEOUT = 300.0
CLIENT_POLL_SECONDS = 5.0  # the frontend polls every 5 s
WARMUP = 20
ECONOMY_TARGET = 4.0
FAST_TARGET = 2.2
ANALYZER = "prebuilt-invoice"


@dataclass(frozen=True)
class Schedule:
    name: str
    policy: PollingPolicy
    target_lag: float | None = None  # warm schedules: the knob

    @property
    def warm(self) -> bool:
        return self.target_lag is not None


SCHEDULES = [
    Schedule("old", PollingPolicy(TIMEOUT, 10, 10)),
    Schedule("fixed5", PollingPolicy(TIMEOUT, 5, 5)),
    Schedule("cold", PollingPolicy(TIMEOUT, 10, 10)),  # the app's defaults: a check at 0 s, then every 10 s
    Schedule("warm-economy", PollingPolicy(TIMEOUT, 10, 10), ECONOMY_TARGET),
    Schedule("warm-fast", PollingPolicy(TIMEOUT, 10, 10), FAST_TARGET),
]


def check_times(policy: PollingPolicy, duration: float) -> list[float]:
    """When the orchestrator checks an analysis that ends at `duration`: 0, then the schedule, until a check
    at or after the end, or the deadline."""
    times, elapsed, checks = [0.0], 0.0, 1
    while elapsed < duration and elapsed < policy.timeout_seconds:
        elapsed += next_check_delay(policy, checks, elapsed)
        times.append(elapsed)
        checks += 1
    return times


def observation(times: list[float], duration: float) -> tuple[float, float]:
    """What the orchestrator reports to the model: (last check that saw it running, first that saw it done)."""
    done = next(t for t in times if t >= duration)
    before = [t for t in times if t < duration]
    return (before[-1] if before else 0.0), done


class Learner:
    """One analyzer's model as the app keeps it: every finished analysis teaches it; plans come from it."""

    def __init__(self, base: PollingPolicy, target: float):
        self.base, self.target, self.model, self._plans = base, target, None, {}

    def policy(self, pages: str | None) -> PollingPolicy:
        pairs = quantiles(self.model, size_bucket(pages))
        if not pairs:
            return self.base
        key = tuple(pairs)
        if key not in self._plans:
            self._plans[key] = planned_policy(self.base, pairs, self.target)
        return self._plans[key]

    def learn(self, pages: str | None, times: list[float], duration: float) -> None:
        if duration <= times[-1]:
            self.model = observe(self.model, ANALYZER, size_bucket(pages), [observation(times, duration)])
            self._plans.clear()


@dataclass
class Sample:
    calls: int
    lag: float
    e2e_lag: float
    timed_out: bool


def one(policy: PollingPolicy, duration: float, client_phase: float = 0.0) -> tuple[Sample, list[float]]:
    """One analysis: its checks, and when a client polling every CLIENT_POLL_SECONDS (at client_phase + k times
    that; the phase is random in the benchmark, as the frontend's polls are not aligned with our timers) sees it."""
    times = check_times(policy, duration)
    served = times[-1]
    polls = math.ceil((served - client_phase) / CLIENT_POLL_SECONDS - 1e-9)
    client_sees = client_phase + max(polls, 0) * CLIENT_POLL_SECONDS
    timed_out = duration > served
    return Sample(len(times), max(served - duration, 0.0), max(client_sees - duration, 0.0), timed_out), times


def simulate(schedule: Schedule, workload: Workload, analyses: int, repeats: int, seed: int) -> dict:
    """Figures for one schedule and workload from the pure schedule; warm ones learn WARMUP analyses first."""
    samples: list[Sample] = []
    policies: list[tuple[PollingPolicy, float, str | None]] = []  # for the replay confirmation
    per_repeat = analyses // repeats if schedule.warm else analyses
    for repeat in range(repeats if schedule.warm else 1):
        rng = random.Random(f"{seed}-{workload.name}-{repeat}")
        learner = Learner(schedule.policy, schedule.target_lag) if schedule.warm else None
        if learner:
            for _ in range(WARMUP):
                duration, pages = workload.sample(rng)
                _, times = one(learner.policy(pages), duration)
                learner.learn(pages, times, duration)
        for index in range(per_repeat):
            duration, pages = workload.sample(rng)
            policy = learner.policy(pages) if learner else schedule.policy
            sample, _ = one(policy, duration, rng.uniform(0, CLIENT_POLL_SECONDS))
            samples.append(sample)
            if index < (4 if schedule.warm else 64):  # the replay sample: a few from every warm-up
                policies.append((policy, duration, pages))
    lags = sorted(s.lag for s in samples)
    e2e = sorted(s.e2e_lag for s in samples)
    return {
        "schedule": schedule.name,
        "workload": workload.name,
        "analyses": len(samples),
        "calls": round(statistics.fmean(s.calls for s in samples), 2),
        "lag_p50_s": round(percentile(lags, 0.5), 2),
        "lag_p95_s": round(percentile(lags, 0.95), 2),
        "e2e_lag_p50_s": round(percentile(e2e, 0.5), 2),
        "e2e_lag_p95_s": round(percentile(e2e, 0.95), 2),
        "timeouts": sum(s.timed_out for s in samples),
        "_replay_cases": policies,
    }


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


START = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
# OrchestratorStarted / OrchestratorCompleted: two per episode, two episodes per check (the activity, the timer).
_EPISODE_MARKERS = (12, 13)


def replay_confirm(cases: list[tuple[PollingPolicy, float, str | None]], count: int, learn: bool) -> dict:
    """Run `count` of the cases through the real orchestrator (SDK replay, virtual time): its checks must be
    the pure schedule's, and its history is measured (events, bytes of the last episode's history)."""
    from orchestrators.analysis_orchestrator import analysis_orchestrator
    from tools.replay.virtual_time import replay

    handle = analysis_orchestrator.build().get_user_function()
    events, sizes, work, agree = [], [], [], 0
    step = max(len(cases) // max(count, 1), 1)
    for policy, duration, pages in cases[::step][:count]:  # spread over the warm-ups
        job = {
            "analyzerId": ANALYZER,
            "inputs": [{"url": "https://files.example.com/doc.pdf"}],
            "pages": pages,
            "scope": {"kind": "user", "id": "bench"},
            "policy": policy.to_dict(),
            "parallelism": 4,
            "fingerprint": "bench",
        }
        if learn:
            job["durationModel"] = {"bucket": size_bucket(pages)}
        run = replay(handle, job, START, _world(duration))
        checked = [round(t, 3) for t, name, _ in run.calls if name == "check_analysis_status"]
        agree += checked == [round(t, 3) for t in check_times(policy, duration)]
        events.append(run.events)  # the largest history one execution held (continue-as-new starts afresh)
        biggest = max(run.histories, key=len)
        sizes.append(len(biggest.encode()))
        history = json.loads(biggest)["history"]
        work.append(sum(e["EventType"] not in _EPISODE_MARKERS for e in history))
    return {
        "replayed": len(events),
        "replay_agrees": agree,
        "history_events": round(statistics.fmean(events), 1) if events else 0,
        "history_events_max": max(events, default=0),
        "history_bytes": round(statistics.fmean(sizes)) if sizes else 0,
        "history_bytes_max": max(sizes, default=0),
        "history_work_events_max": max(work, default=0),
    }


def learned_policy(schedule: Schedule, workload: Workload, seed: int) -> PollingPolicy:
    """The policy a warm schedule plans after WARMUP analyses of the workload (one warm-up)."""
    rng = random.Random(f"{seed}-{workload.name}-worst")
    learner = Learner(schedule.policy, schedule.target_lag or 0)
    for _ in range(WARMUP):
        duration, pages = workload.sample(rng)
        _, times = one(learner.policy(pages), duration)
        learner.learn(pages, times, duration)
    return learner.policy(None)


def worst_case_history(policy: PollingPolicy) -> dict:
    """History of an analysis that runs the whole 300 s (done at the last check before the deadline), with a
    2 MB result: the result never enters the history, so its size does not matter."""
    cases = [(policy, TIMEOUT - 0.001, None)]
    figures = replay_confirm(cases, 1, learn=False)
    return {
        "history_events": figures["history_events_max"],
        "history_events_without_episode_markers": figures["history_work_events_max"],
        "history_bytes": figures["history_bytes_max"],
    }


def _world(duration: float):
    def activity(name: str, payload: dict, elapsed: float) -> dict:
        if name == "submit_analysis":
            location = "https://cu.example/contentunderstanding/analyzerResults/svc-0?api-version=2025-11-01"
            return ActivityResult.ok({"serviceOperationId": "svc-0", "operationLocation": location}).to_dict()
        if name == "record_duration":
            return ActivityResult.ok({"recorded": True}).to_dict()
        status = "Succeeded" if elapsed >= duration - 1e-9 else "Running"
        return ActivityResult.ok({"status": status, "error": None, "retryAfter": None}).to_dict()

    return activity


def public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if not k.startswith("_")}


def dumps(data: object) -> str:
    return json.dumps(data, indent=2)
