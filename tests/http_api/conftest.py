"""The endpoints here run in-process, each under its own asyncio.run(), with the real DurableOrchestrationClient.

azure-functions-durable keeps one module-level aiohttp session, opened on the first client call and bound to
that call's event loop. A test whose loop has ended would leave it behind for the next in-process user of
the SDK (devhost's durable tests), which then fails with "Event loop is closed": drop it after each test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from azure.durable_functions.models.utils import http_utils


@pytest.fixture(autouse=True)
def no_durable_sdk_session_left_behind() -> Iterator[None]:
    yield
    session = http_utils._client_session
    http_utils._client_session = None
    if session is not None and not session.closed:
        with contextlib.suppress(Exception):  # its loop is gone; close what can still be closed
            asyncio.run(session.close())
