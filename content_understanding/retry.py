"""Retry timing: exponential backoff with full jitter, and Retry-After parsing."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from datetime import timezone

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# The service may have acted on the request before answering these (or before the socket went quiet).
AMBIGUOUS_STATUS = frozenset({500, 502, 504})


def full_jitter_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """AWS-style full jitter: uniform(0, min(cap, base * 2**(attempt-1))) spreads retries of many callers."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: retry-after-ms, x-ms-retry-after-ms, or Retry-After (delta-seconds or HTTP-date)."""
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        raw = headers.get(name)
        if raw:
            try:
                return max(float(raw) / 1000.0, 0.0)
            except ValueError:
                pass
    raw = headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(when.timestamp() - current, 0.0)
