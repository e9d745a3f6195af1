"""Fixtures for the simulator's contract tests: an in-process simulator on a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tools.simulator import SimulatorHandle, start_simulator
from tools.tests.simulator.helpers import API, KEY_HEADERS


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    handle = start_simulator(port=0, quiet=True, duration=0.3)
    yield handle
    handle.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update(KEY_HEADERS)
        yield session


@pytest.fixture
def submit(sim: SimulatorHandle, http: requests.Session) -> Callable[..., requests.Response]:
    """POST an analyze request for one URL; returns the raw response."""

    def _submit(url: str = "https://example.com/doc.pdf", analyzer: str = "prebuilt-invoice", **extra: Any):
        body = {"inputs": [{"url": url, **extra}]}
        return http.post(f"{sim.base_url}/contentunderstanding/analyzers/{analyzer}:analyze?{API}", json=body)

    return _submit
