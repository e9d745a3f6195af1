"""Fixtures for client tests: an in-process simulator on a free port, stub servers, recorded sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from content_understanding import ContentUnderstandingClient
from tests.content_understanding.stubs import (
    TEST_KEY,
    CannedResponse,
    ScriptedServer,
    SilentServer,
    SleepRecorder,
)
from tools.simulator import SimulatorHandle, start_simulator


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    handle = start_simulator(port=0, quiet=True, duration=0.2)
    yield handle
    handle.stop()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(sleeps: SleepRecorder, request: pytest.FixtureRequest) -> Callable[..., ContentUnderstandingClient]:
    """Build clients that record (not perform) backoff sleeps; closed after the test."""

    def _make(endpoint: str, **kwargs: Any) -> ContentUnderstandingClient:
        if "credential" not in kwargs:
            kwargs.setdefault("key", TEST_KEY)
        kwargs.setdefault("sleep", sleeps)
        client = ContentUnderstandingClient(endpoint, **kwargs)
        request.addfinalizer(client.close)
        return client

    return _make


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Callable[[list[CannedResponse]], ScriptedServer]:
    """Start stub servers that answer with the given script; stopped after the test."""

    def _start(script: list[CannedResponse]) -> ScriptedServer:
        server = ScriptedServer(script)
        request.addfinalizer(server.stop)
        return server

    return _start


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.stop()
