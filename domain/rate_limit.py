"""A per-caller limit on how often something costly may happen: a sliding window, pure (the clock is passed in)."""

from __future__ import annotations

from collections import deque


class SlidingWindowLimit:
    def __init__(self, per_minute: int, window_seconds: float = 60.0, max_callers: int = 10_000):
        self.limit = per_minute
        self.window = window_seconds
        self.max_callers = max_callers
        self._events: dict[str, deque[float]] = {}

    def try_acquire(self, key: str, now: float) -> float | None:
        """None when allowed (and counted); otherwise seconds until the caller may try again."""
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_callers:
                self._forget_idle(now)
            events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(self.window - (now - events[0]), 0.001)
        events.append(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, e in self._events.items() if not e or now - e[-1] >= self.window]:
            del self._events[key]
