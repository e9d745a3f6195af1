"""Per-caller limits on what a caller can cost: analyses started and results read per minute.

CALLER_STARTS_PER_MINUTE bounds billed analyses; CALLER_READS_PER_MINUTE bounds GET/DELETE of results. The
windows are per instance (process memory): behind N instances a caller can get up to N times the limit, as
the load balancer spreads its requests. Beyond the limit: 429 with Retry-After, in the error body's shape.
"""

from __future__ import annotations

import threading
import time

from auth.callers import Caller
from config.service_clients import PerProcess
from config.settings import get_settings
from domain.rate_limit import SlidingWindowLimit
from domain.results_contract import HttpAnswer, error_answer

STARTS = "starts"
READS = "reads"
_lock = threading.Lock()


def _build_limits() -> dict[str, SlidingWindowLimit]:
    settings = get_settings()
    return {
        STARTS: SlidingWindowLimit(settings.caller_starts_per_minute),
        READS: SlidingWindowLimit(settings.caller_reads_per_minute),
    }


_limits = PerProcess(_build_limits)


def over_limit(kind: str, caller: Caller, now: float | None = None) -> HttpAnswer | None:
    """None when this caller may go on (and the request is counted); the 429 answer otherwise."""
    limit = _limits.get()[kind]
    per_minute = limit.limit
    with _lock:
        wait = limit.try_acquire(caller.key, time.monotonic() if now is None else now)
    if wait is None:
        return None
    what = "analyses started" if kind == STARTS else "result reads"
    setting = "CALLER_STARTS_PER_MINUTE" if kind == STARTS else "CALLER_READS_PER_MINUTE"
    seconds = max(int(wait + 0.999), 1)
    message = f"Too many {what}: at most {per_minute} a minute per caller ({setting}); try again in {seconds} s."
    return error_answer(429, "TooManyRequests", message, {"Retry-After": str(seconds)})
