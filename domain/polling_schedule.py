"""When to check an analysis again.

Cold (nothing known about the analyzer): short at first, growing to a cap, never sooner than the service asks.
Warm (a duration model, domain/duration_model.py): the starter plans the checks once, from the model's
quantiles, with a density proportional to the square root of the duration density (the schedule that
minimises lag for a number of checks); after the plan's last check (the distribution's upper end) the cold
schedule's doubling takes over; the deadline is always checked.

Pure and deterministic, so the orchestrator can call it during replay and tests can reason about
virtual time without a clock. The plan travels in the orchestration input (PollingPolicy.plan), so a
replay never reads the model.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, replace

from domain.orchestration_data import PolicyDict

GROWTH_FACTOR = 2.0
MAX_PLANNED_CHECKS = 120
# The plan's lag p95 may be at most this many times its target p50 (a wide interval in a thin tail is cheap on
# average but shows in p95).
P95_OVER_TARGET = 2.4
_LAG_SAMPLES = 400


@dataclass(frozen=True)
class PollingPolicy:
    timeout_seconds: float
    initial_interval_seconds: float
    max_interval_seconds: float
    # Planned check offsets in seconds after the operation started (ascending), empty for the cold schedule.
    plan: tuple[float, ...] = ()
    # The model's median duration, for the expected completion time shown to clients.
    expected_seconds: float | None = None

    def to_dict(self) -> PolicyDict:
        """The policy as the job carries it (camelCase); a cold policy without plan and expectedSeconds."""
        data: PolicyDict = {
            "timeoutSeconds": self.timeout_seconds,
            "initialIntervalSeconds": self.initial_interval_seconds,
            "maxIntervalSeconds": self.max_interval_seconds,
        }
        if self.plan:
            data["plan"] = list(self.plan)
            data["expectedSeconds"] = self.expected_seconds
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PollingPolicy:
        """Also reads the snake_case keys jobs were started with before the job's keys were all camelCase."""

        def read(name: str, old_name: str):
            return data.get(name, data.get(old_name))

        expected = read("expectedSeconds", "expected_seconds")
        return cls(
            timeout_seconds=float(read("timeoutSeconds", "timeout_seconds")),
            initial_interval_seconds=float(read("initialIntervalSeconds", "initial_interval_seconds")),
            max_interval_seconds=float(read("maxIntervalSeconds", "max_interval_seconds")),
            plan=tuple(float(x) for x in data.get("plan") or ()),
            expected_seconds=float(expected) if expected is not None else None,
        )


def interval_after_check(policy: PollingPolicy, checks_done: int) -> float:
    """The base wait after the Nth check (1-based): initial, doubled each time, capped."""
    exponent = max(checks_done - 1, 0)
    # Cap the exponent so a long analysis cannot overflow the float.
    grown = policy.initial_interval_seconds * GROWTH_FACTOR ** min(exponent, 32)
    return min(grown, policy.max_interval_seconds)


# The first wait after a plan's last check, whatever the cold schedule's first interval is.
TAIL_FIRST_INTERVAL_SECONDS = 2.0


def next_check_delay(
    policy: PollingPolicy,
    checks_done: int,
    elapsed_seconds: float,
    retry_after_seconds: float | None = None,
) -> float:
    """Seconds until the next check, cut so that the last check lands exactly on the deadline.

    The service's Retry-After wins over a shorter schedule, but never pushes a check past the
    deadline: the final check at the deadline is what decides between "done" and "timeout".
    """
    delay = planned_delay(policy, elapsed_seconds) if policy.plan else interval_after_check(policy, checks_done)
    if retry_after_seconds is not None and retry_after_seconds > delay:
        delay = retry_after_seconds
    remaining = policy.timeout_seconds - elapsed_seconds
    return max(min(delay, remaining), 0.0)


def planned_delay(policy: PollingPolicy, elapsed_seconds: float) -> float:
    """Seconds until the next planned check; past the plan's end, the cold schedule's doubling from its end."""
    index = bisect.bisect_right(policy.plan, elapsed_seconds + 1e-6)
    if index < len(policy.plan):
        return policy.plan[index] - elapsed_seconds
    # Past the plan the analysis is later than the model expected: look again soon, then back off.
    since_end = elapsed_seconds - policy.plan[-1]
    first = min(policy.initial_interval_seconds, TAIL_FIRST_INTERVAL_SECONDS)
    return min(max(first, since_end), policy.max_interval_seconds)


def planned_policy(policy: PollingPolicy, quantiles: list | None, target_lag_seconds: float) -> PollingPolicy:
    """The policy with a plan from the model's quantiles; the cold policy unchanged when there is no model."""
    offsets = planned_check_offsets(quantiles, target_lag_seconds, policy) if quantiles else ()
    if not offsets:
        return policy
    median = _inverse_cdf(_segments(quantiles), 0.5)
    return replace(policy, plan=offsets, expected_seconds=round(median, 3))


def planned_check_offsets(
    quantiles: list | None, target_lag_seconds: float, policy: PollingPolicy
) -> tuple[float, ...]:
    """Ascending check offsets (seconds after submit; the check at 0 is not listed) for a duration distribution
    given as (probability, seconds) quantile pairs from 0 to 1.

    Checks follow a density proportional to sqrt(pdf) over the distribution's support, ending on its upper end.
    The number of checks is the smallest whose predicted lag (time from the end of the analysis to the check
    that sees it) has a median at most target_lag_seconds and a p95 at most P95_OVER_TARGET times that.
    Offsets closer together than the cold schedule's first interval are merged; none lands at or after the
    deadline (the orchestrator always checks there). Empty when the quantiles are unusable.
    """
    segments = _segments(quantiles)
    if not segments or target_lag_seconds <= 0:
        return ()
    samples = [_inverse_cdf(segments, (j + 0.5) / _LAG_SAMPLES) for j in range(_LAG_SAMPLES)]
    min_gap = min(policy.initial_interval_seconds, 1.0)
    low, high = 1, MAX_PLANNED_CHECKS
    best = _offsets(segments, high, min_gap, policy.timeout_seconds)
    while low <= high:  # the lag falls as checks are added: bisect on their number
        middle = (low + high) // 2
        offsets = _offsets(segments, middle, min_gap, policy.timeout_seconds)
        p50, p95 = _predicted_lag(offsets, samples, policy)
        if p50 <= target_lag_seconds and p95 <= P95_OVER_TARGET * target_lag_seconds:
            best, high = offsets, middle - 1
        else:
            low = middle + 1
    return best


def predicted_lag(offsets: tuple[float, ...], quantiles: list, policy: PollingPolicy) -> tuple[float, float]:
    """(p50, p95) lag the offsets give for the distribution: what planned_check_offsets bisects on, for the tests
    that check a plan meets its target from outside."""
    segments = _segments(quantiles)
    samples = [_inverse_cdf(segments, (j + 0.5) / _LAG_SAMPLES) for j in range(_LAG_SAMPLES)]
    return _predicted_lag(offsets, samples, policy)


def _segments(quantiles: list | None) -> list[tuple[float, float, float, float]]:
    """(t0, t1, p0, p1) pieces of a piecewise-linear CDF through the quantile pairs (zero-width pieces dropped)."""
    if not quantiles:
        return []
    pairs = sorted((float(p), float(t)) for p, t in quantiles)
    if any(not (math.isfinite(p) and math.isfinite(t)) for p, t in pairs) or pairs[0][1] < 0:
        return []
    pieces = []
    for (p0, t0), (p1, t1) in itertools.pairwise(pairs):
        if p1 > p0 and t1 > t0:
            pieces.append((t0, t1, p0, p1))
    return pieces


def _inverse_cdf(segments: list, p: float) -> float:
    for t0, t1, p0, p1 in segments:
        if p <= p1:
            return t0 + (t1 - t0) * max(p - p0, 0.0) / (p1 - p0)
    return segments[-1][1]


def _offsets(segments: list, count: int, min_gap: float, timeout: float) -> tuple[float, ...]:
    """`count` points splitting the integral of sqrt(pdf) into equal parts, the last on the support's end. Within a
    piece the pdf f is constant and the survival S falls linearly, so the integral is (S0 - S) / sqrt(f), inverted
    in closed form. (Weighting late checks by the survival, sqrt(hazard), was measured: it raised p95 for the same
    number of calls on both benchmark workloads.)"""
    masses = []
    for t0, t1, p0, p1 in segments:
        density = (p1 - p0) / (t1 - t0)
        masses.append((max(1 - p0, 0.0) - max(1 - p1, 0.0)) / math.sqrt(density))
    total = sum(masses)
    points, running, index = [], 0.0, 0
    for i in range(1, count + 1):
        goal = total * i / count
        while index < len(segments) - 1 and running + masses[index] < goal - 1e-12:
            running += masses[index]
            index += 1
        t0, t1, p0, p1 = segments[index]
        density = (p1 - p0) / (t1 - t0)
        survival = max(max(1 - p0, 0.0) - max(goal - running, 0.0) * math.sqrt(density), 0.0)
        points.append(min(t0 + max((1 - p0) - survival, 0.0) / density, t1))
    merged: list[float] = []
    for number, point in enumerate(points, start=1):
        point = round(point, 3)
        if point <= 0 or point >= timeout:
            continue
        if merged and point - merged[-1] < min_gap:
            if number == len(points):
                merged[-1] = point  # the upper end must stay covered
            continue
        merged.append(point)
    return tuple(merged)


def _predicted_lag(offsets: tuple[float, ...], samples: list[float], policy: PollingPolicy) -> tuple[float, float]:
    """Lag p50 and p95 over duration samples, checks at 0, the offsets, then the tail, then the deadline."""
    lags = []
    for duration in samples:
        index = bisect.bisect_left(offsets, duration)
        if index < len(offsets):
            lags.append(offsets[index] - duration)
            continue
        moment = offsets[-1] if offsets else 0.0
        tail = replace(policy, plan=offsets) if offsets else policy
        checks = len(offsets) + 1
        while moment < duration and moment < policy.timeout_seconds:
            moment += next_check_delay(tail, checks, moment)
            checks += 1
        lags.append(max(moment - duration, 0.0))
    lags.sort()
    return lags[len(lags) // 2], lags[min(len(lags) - 1, int(0.95 * len(lags)))]


SUBMIT_MAX_ATTEMPTS = 5
SUBMIT_FIRST_RETRY_SECONDS = 2.0
SUBMIT_MAX_RETRY_SECONDS = 30.0


def submit_retry_delay(
    failed_attempts: int, elapsed_seconds: float = 0.0, timeout_seconds: float = float("inf")
) -> float | None:
    """Seconds before the next submit attempt after N transient failures; None when it is time to give up:
    after the last attempt, or when the next one would start at or past the analysis deadline."""
    if failed_attempts >= SUBMIT_MAX_ATTEMPTS:
        return None
    delay = min(SUBMIT_FIRST_RETRY_SECONDS * GROWTH_FACTOR ** (failed_attempts - 1), SUBMIT_MAX_RETRY_SECONDS)
    if elapsed_seconds + delay >= timeout_seconds:
        return None
    return delay
