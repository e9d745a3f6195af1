"""Per-caller limits on what a caller can cost: analyses started, results read and legacy lookups per minute.

CALLER_STARTS_PER_MINUTE bounds billed analyses; CALLER_READS_PER_MINUTE bounds GET/DELETE of results;
LEGACY_LOOKUP_PER_MINUTE bounds direct status checks of unknown (old backend's) operations. The
windows are per instance (process memory): behind N instances a caller can get up to N times the limit, as
the load balancer spreads its requests. Beyond the limit: a 429 Refusal with Retry-After, in the error shape.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from auth.callers import Caller
from config.per_process import per_process
from config.settings import get_settings
from domain.rate_limit import SlidingWindowLimit
from domain.refusal import Refusal

STARTS = "starts"
READS = "reads"
LEGACY_LOOKUPS = "legacy lookups"
_SETTINGS = {
    STARTS: ("CALLER_STARTS_PER_MINUTE", "analyses started"),
    READS: ("CALLER_READS_PER_MINUTE", "result reads"),
    LEGACY_LOOKUPS: ("LEGACY_LOOKUP_PER_MINUTE", "lookups of unknown operations"),
}


@dataclass(frozen=True)
class _Windows:
    """This process's windows and the lock that guards them (SlidingWindowLimit is pure, not thread-safe)."""

    limits: dict[str, SlidingWindowLimit]
    lock: threading.Lock = field(default_factory=threading.Lock)


@per_process
def _windows() -> _Windows:
    settings = get_settings()
    return _Windows(
        {
            STARTS: SlidingWindowLimit(settings.caller_starts_per_minute),
            READS: SlidingWindowLimit(settings.caller_reads_per_minute),
            LEGACY_LOOKUPS: SlidingWindowLimit(settings.legacy_lookup_per_minute),
        }
    )


def count_or_refuse(kind: str, caller: Caller, now: float | None = None) -> None:
    """Count this request against the caller's window; a 429 Refusal when the window is full."""
    windows = _windows()
    limit = windows.limits[kind]
    with windows.lock:
        wait = limit.try_acquire(caller.key, time.monotonic() if now is None else now)
    if wait is None:
        return
    setting, what = _SETTINGS[kind]
    seconds = max(int(wait + 0.999), 1)
    message = f"Too many {what}: at most {limit.limit} a minute per caller ({setting}); try again in {seconds} s."
    raise Refusal(429, "TooManyRequests", message, {"Retry-After": str(seconds)})
