from domain.polling_schedule import (
    SUBMIT_MAX_ATTEMPTS,
    PollingPolicy,
    interval_after_check,
    next_check_delay,
    submit_retry_delay,
)

POLICY = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)


def test_interval_starts_short_and_doubles_up_to_the_cap():
    assert [interval_after_check(POLICY, n) for n in range(1, 7)] == [2, 4, 8, 10, 10, 10]


def test_retry_after_from_the_service_is_never_undercut():
    assert next_check_delay(POLICY, 1, elapsed_seconds=0, retry_after_seconds=7) == 7
    assert next_check_delay(POLICY, 4, elapsed_seconds=0, retry_after_seconds=3) == 10


def test_last_check_lands_exactly_on_the_deadline():
    assert next_check_delay(POLICY, 9, elapsed_seconds=295) == 5
    assert next_check_delay(POLICY, 9, elapsed_seconds=299.5, retry_after_seconds=30) == 0.5
    assert next_check_delay(POLICY, 9, elapsed_seconds=301) == 0


def worst_case_checks(policy: PollingPolicy, stop_after: int = 10_000) -> int:
    """How many status checks an analysis that never finishes gets before it times out (at most stop_after)."""
    checks, elapsed = 1, 0.0
    while elapsed < policy.timeout_seconds and checks < stop_after:
        elapsed += next_check_delay(policy, checks, elapsed)
        checks += 1
    return checks


def test_worst_case_checks_counts_every_check_until_the_deadline():
    # 0, 2, 6, 14, then every 10 s up to 300: 1 + 3 + 29 checks (the last at exactly 300 s).
    assert worst_case_checks(POLICY) == 33
    tiny = PollingPolicy(timeout_seconds=10_000, initial_interval_seconds=0.1, max_interval_seconds=0.1)
    assert worst_case_checks(tiny, stop_after=500) == 500


def test_submit_retries_back_off_then_give_up():
    delays = [submit_retry_delay(n) for n in range(1, SUBMIT_MAX_ATTEMPTS + 1)]
    assert delays[:-1] == [2, 4, 8, 16]
    assert delays[-1] is None


def test_policy_round_trips_through_the_orchestration_input():
    assert PollingPolicy.from_dict(POLICY.to_dict()) == POLICY
