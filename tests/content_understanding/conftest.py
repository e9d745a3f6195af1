"""Fixtures for client tests: an in-process simulator on a free port, stub servers, recorded sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from content_understanding import ContentUnderstandingClient
from simulator import SimulatorHandle, start_simulator
from tests.content_understanding.stubs import (
    TEST_KEY,
    CannedResponse,
    ScriptedServer,
    SilentServer,
    SleepRecorder,
)


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    handle = start_simulator(port=0, quiet=True, duration=0.2)
    yield handle
    handle.stop()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(sleeps: SleepRecorder) -> Iterator[Callable[..., ContentUnderstandingClient]]:
    """Build clients that record (not perform) backoff sleeps; closed after the test."""
    created: list[ContentUnderstandingClient] = []

    def _make(endpoint: str, **kwargs: Any) -> ContentUnderstandingClient:
        if "credential" not in kwargs:
            kwargs.setdefault("key", TEST_KEY)
        kwargs.setdefault("sleep", sleeps)
        client = ContentUnderstandingClient(endpoint, **kwargs)
        created.append(client)
        return client

    yield _make
    for client in created:
        client.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[list[CannedResponse]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def _start(script: list[CannedResponse]) -> ScriptedServer:
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()
