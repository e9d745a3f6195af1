"""A host killed with SIGKILL mid-orchestration; a new process on the same database finishes the work."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.support import wait_until_async as wait_until

HOST_SCRIPT = Path(__file__).with_name("durable_crash_host.py")


def start_host(db_path: Path, port_file: Path) -> tuple[subprocess.Popen, str]:
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, str(HOST_SCRIPT), str(db_path), str(port_file)])
    deadline = time.monotonic() + 15
    while not (port_file.exists() and port_file.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the durable host subprocess did not start")
        time.sleep(0.02)
    return process, port_file.read_text()


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


async def status_of(base_url: str, instance_id: str) -> dict:
    url = f"{base_url}/durabletask/instances/{instance_id}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json(content_type=None)


def test_killed_host_resumes_activity_and_timer_after_restart(tmp_path):
    db_path = tmp_path / "hub.sqlite3"
    markers = tmp_path / "markers"
    markers.mkdir()
    port_file = tmp_path / "port"

    async def start_instance(base_url: str) -> str:
        async with aiohttp.ClientSession() as session:
            body = json.dumps(str(markers))  # the Python client's encoding: the input's JSON text as a string
            url = f"{base_url}/durabletask/orchestrators/recoverable/crash-1"
            async with session.post(url, json=body) as response:
                assert response.status == 202
                return (await response.json())["id"]

    async def file_exists(path: Path) -> bool:
        return path.exists()

    first, base_url = start_host(db_path, port_file)
    try:
        instance_id = asyncio.run(start_instance(base_url))
        # Killed while the first activity is running.
        asyncio.run(wait_until(lambda: file_exists(markers / "first.started"), timeout=15))
    finally:
        kill(first)
    assert not (markers / "first.done").exists()

    second, base_url = start_host(db_path, port_file)
    try:
        # The activity runs again (at-least-once); killed again while the 1 s timer is pending.
        async def timer_pending():
            async with aiohttp.ClientSession() as session:
                url = f"{base_url}/durabletask/instances/{instance_id}?showHistory=true"
                async with session.get(url) as response:
                    events = [e["EventType"] for e in (await response.json())["historyEvents"]]
            return "TimerCreated" in events and "TimerFired" not in events

        asyncio.run(wait_until(timer_pending, timeout=15))
    finally:
        kill(second)
    assert not (markers / "second.done").exists()

    third, base_url = start_host(db_path, port_file)
    try:

        async def completed():
            status = await status_of(base_url, instance_id)
            return status if status["runtimeStatus"] == "Completed" else None

        status = asyncio.run(wait_until(completed, timeout=20))
        assert status["output"] == ["first ok", "second ok"]
    finally:
        kill(third)
