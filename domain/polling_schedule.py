"""When to check an analysis again: short at first, growing to a cap, never sooner than the service asks.

Pure and deterministic, so the orchestrator can call it during replay and tests can reason about
virtual time without a clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

GROWTH_FACTOR = 2.0


@dataclass(frozen=True)
class PollingPolicy:
    timeout_seconds: float
    initial_interval_seconds: float
    max_interval_seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PollingPolicy:
        return cls(
            timeout_seconds=float(data["timeout_seconds"]),
            initial_interval_seconds=float(data["initial_interval_seconds"]),
            max_interval_seconds=float(data["max_interval_seconds"]),
        )


def interval_after_check(policy: PollingPolicy, checks_done: int) -> float:
    """The base wait after the Nth check (1-based): initial, doubled each time, capped."""
    exponent = max(checks_done - 1, 0)
    # Cap the exponent so a long analysis cannot overflow the float.
    grown = policy.initial_interval_seconds * GROWTH_FACTOR ** min(exponent, 32)
    return min(grown, policy.max_interval_seconds)


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
    delay = interval_after_check(policy, checks_done)
    if retry_after_seconds is not None and retry_after_seconds > delay:
        delay = retry_after_seconds
    remaining = policy.timeout_seconds - elapsed_seconds
    return max(min(delay, remaining), 0.0)


def worst_case_checks(policy: PollingPolicy, stop_after: int = 10_000) -> int:
    """How many status checks an analysis that never finishes gets before it times out (at most stop_after)."""
    checks, elapsed = 1, 0.0
    while elapsed < policy.timeout_seconds and checks < stop_after:
        elapsed += next_check_delay(policy, checks, elapsed)
        checks += 1
    return checks


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
