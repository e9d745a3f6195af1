"""Helpers shared by the test suites: waiting on a condition (never on a guess), simulator set-ups."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tools.simulator import SimulatorHandle, start_simulator


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, message: str = "") -> Any:
    """Poll until predicate() is truthy and return its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)


def start_simulator_with_aliased_signed_locations() -> SimulatorHandle:
    """Operation-Location names another host alias (localhost) and carries a signature: it must be followed as is."""
    return start_simulator(
        port=0,
        quiet=True,
        duration=0,
        public_base_url="http://localhost:{port}",
        signed_operation_location=True,
    )
