"""The planned schedule: density from the model, the knob, the cold tail, the deadline, Retry-After."""

import itertools
import math
import random

import pytest

from domain.duration_model import ALL_SIZES, observe, quantiles
from domain.polling_schedule import (
    PollingPolicy,
    next_check_delay,
    planned_check_offsets,
    planned_policy,
    predicted_lag,
)

COLD = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)


def lognormal_quantiles(median=180.0, cv=0.1, n=30, seed=1):
    rng = random.Random(seed)
    sigma = math.sqrt(math.log(1 + cv * cv))
    model = None
    for _ in range(n):
        d = median * math.exp(rng.gauss(0, sigma))
        model = observe(model, "a", ALL_SIZES, [(d - 1, d + 1)])
    return quantiles(model, ALL_SIZES)


def check_times(policy, until, retry_after=None):
    times, elapsed, checks = [0.0], 0.0, 1
    while elapsed < until and elapsed < policy.timeout_seconds:
        elapsed += next_check_delay(policy, checks, elapsed, retry_after)
        times.append(round(elapsed, 6))
        checks += 1
    return times


def test_without_a_model_the_cold_policy_is_unchanged():
    assert planned_policy(COLD, None, 3) == COLD
    assert planned_check_offsets([], 3, COLD) == ()
    assert COLD.to_dict() == {"timeoutSeconds": 300, "initialIntervalSeconds": 2, "maxIntervalSeconds": 10}
    assert check_times(COLD, 30) == [0, 2, 6, 14, 24, 34]


def test_checks_gather_where_completion_is_likely():
    pairs = lognormal_quantiles()
    offsets = planned_check_offsets(pairs, 3, COLD)
    assert list(offsets) == sorted(offsets) and offsets[0] > 100 and offsets[-1] < 300
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    middle = min(range(len(offsets)), key=lambda i: abs(offsets[i] - 180))
    assert gaps[min(middle, len(gaps) - 1)] < gaps[0]  # denser near the median than at the lower end
    p50, p95 = predicted_lag(offsets, pairs, COLD)
    assert p50 <= 3 and p95 <= 2.4 * 3


def test_the_target_lag_trades_calls_for_lag():
    pairs = lognormal_quantiles()
    counts = [len(planned_check_offsets(pairs, target, COLD)) for target in (1, 2, 4, 8)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]


def test_the_plan_is_deterministic_and_round_trips_through_the_orchestration_input():
    pairs = lognormal_quantiles()
    policy = planned_policy(COLD, pairs, 3)
    assert policy == planned_policy(COLD, list(pairs), 3)
    assert PollingPolicy.from_dict(policy.to_dict()) == policy
    assert policy.expected_seconds == pytest.approx(180, abs=10)


def test_after_the_plan_the_cold_doubling_takes_over_and_the_last_check_is_on_the_deadline():
    policy = PollingPolicy(300, 2, 10, plan=(150.0, 160.0, 170.0))
    times = check_times(policy, 400)
    assert times[:4] == [0, 150, 160, 170]
    assert times[4:8] == [172, 174, 178, 186]  # 2, 2, 4, 8 after the plan's end
    assert all(b - a == 10 for a, b in itertools.pairwise(times[8:-1]))
    assert times[-1] == 300 and max(times) == 300


def test_plans_never_reach_past_the_deadline():
    pairs = lognormal_quantiles(median=280, cv=0.2)
    offsets = planned_check_offsets(pairs, 2, COLD)
    assert offsets and max(offsets) < 300
    times = check_times(planned_policy(COLD, pairs, 2), 1000)
    assert times[-1] == 300


def test_retry_after_is_honoured_over_the_plan():
    policy = PollingPolicy(300, 2, 10, plan=(150.0, 151.0, 152.0, 160.0))
    assert next_check_delay(policy, 2, 150.0, retry_after_seconds=5) == 5
    assert next_check_delay(policy, 3, 155.0) == 5  # then the plan from where we are
    assert next_check_delay(policy, 2, 295.0, retry_after_seconds=30) == 5  # but never past the deadline


def test_close_checks_are_merged_to_the_cold_schedules_first_interval():
    pairs = [(0.0, 100.0), (0.5, 100.5), (1.0, 101.0)]
    offsets = planned_check_offsets(pairs, 0.01, PollingPolicy(300, 0.5, 10))
    assert all(b - a >= 0.5 - 1e-9 for a, b in itertools.pairwise(offsets))
    assert offsets[-1] == 101.0


def test_a_policy_reads_back_as_written_and_as_jobs_started_before_camel_case_wrote_it():
    planned = PollingPolicy(300, 2, 10, plan=(20.0, 25.5), expected_seconds=22.0)
    assert PollingPolicy.from_dict(planned.to_dict()) == planned
    assert PollingPolicy.from_dict(COLD.to_dict()) == COLD
    old = {"timeout_seconds": 300, "initial_interval_seconds": 2, "max_interval_seconds": 10, "plan": [20.0, 25.5]}
    assert PollingPolicy.from_dict({**old, "expected_seconds": 22.0}) == planned
