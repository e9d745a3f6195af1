"""Per-process state, one idiom, one reset.

`@per_process` on a function without arguments: its value is built on the first call (once, under a lock) and
shared by every invocation in this worker process (settings, clients that keep connections and tokens warm).
`Expiring(seconds)`: values kept for a while per key, for answers from another service that must not be asked
on every request (the duration model's document, the health probe). `reset_per_process()` forgets all of it,
closing what holds connections: tests that change settings call it, nothing else does.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
_resets: list[Callable[[], None]] = []


def per_process(build: Callable[[], T] | None = None, *, close: Callable[[T], None] | None = None):
    """Decorate a builder: calling it returns the one value of this process (see the module's docstring)."""

    def decorate(build: Callable[[], T]) -> Callable[[], T]:
        lock = threading.Lock()
        built: list[T] = []

        @functools.wraps(build)
        def get() -> T:
            if not built:
                with lock:
                    if not built:
                        built.append(build())
            return built[0]

        def reset() -> None:
            with lock:
                if built and close is not None:
                    close(built[0])
                built.clear()

        _resets.append(reset)
        return get

    return decorate if build is None else decorate(build)


class Expiring(Generic[T]):
    """Values loaded on demand and kept for `seconds` per key (or as long as `load` says for each value)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, T]] = {}
        _resets.append(self.clear)

    def peek(self, key: Hashable, now: float | None = None) -> T | None:
        """The kept value, None when there is none or it expired (nothing is loaded)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            kept = self._values.get(key)
        return kept[1] if kept is not None and kept[0] > now else None

    def get(self, key: Hashable, load: Callable[[], tuple[T, float | None]], now: float | None = None) -> T:
        """The kept value, or `load()`'s (value, seconds to keep it or None for the default) when it expired."""
        now = time.monotonic() if now is None else now
        kept = self.peek(key, now)
        if kept is not None:
            return kept
        value, seconds = load()  # outside the lock: a slow load never holds up the other keys
        with self._lock:
            self._values[key] = (now + (self.seconds if seconds is None else seconds), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def reset_per_process() -> None:
    """Forget every per-process value (tests that change settings): the next use builds it from the settings."""
    for reset in reversed(_resets):
        reset()
