"""Helpers shared by the test suites: waiting on a condition (never on a guess), simulator set-ups."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from tools.simulator import SimulatorHandle, start_simulator


def _attempts(timeout: float, message: str) -> Iterator[int]:
    """Yield until the deadline has passed (the last attempt comes after it), then fail the test."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        yield attempt
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        attempt += 1


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, message: str = "") -> Any:
    """Poll until predicate() is truthy and return its value; fail after `timeout` seconds."""
    for _ in _attempts(timeout, message):
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("unreachable")


async def wait_until_async(
    probe: Callable[[], Awaitable[Any]], timeout: float = 10.0, interval: float = 0.02, message: str = ""
) -> Any:
    """wait_until for a coroutine probe, without blocking the event loop between polls."""
    for _ in _attempts(timeout, message):
        value = await probe()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError("unreachable")


def blob_container(azurite, name: str):
    """A ContainerClient on `name` in Azurite, created unless an earlier test of the session already made it."""
    from azure.storage.blob import ContainerClient

    container = ContainerClient.from_connection_string(azurite.connection_string, name)
    if not container.exists():
        container.create_container()
    return container


def start_simulator_with_aliased_signed_locations() -> SimulatorHandle:
    """Operation-Location names another host alias (localhost) and carries a signature: it must be followed as is."""
    return start_simulator(
        port=0,
        quiet=True,
        duration=0,
        public_base_url="http://localhost:{port}",
        signed_operation_location=True,
    )
