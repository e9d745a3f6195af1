"""Orchestrators and activities written against the real azure.durable_functions SDK, plus a test harness.

The harness starts a DurableEngine and the management API on a free 127.0.0.1 port and hands out the
SDK's own DurableOrchestrationClient bound to it, so the client side is exercised exactly as a durable
client function would use it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
from aiohttp import web

from tests.support import wait_until_async as wait_until
from tools.devhost.durable import DurableEngine, add_durable_routes, client_binding_json
from tools.devhost.durable_bridge import close_sdk_client_session

TASK_HUB = "TestHubName"

# Observations made by orchestrators/activities, keyed by instance id or input (tests read them).
seen_times: dict[str, list[str]] = defaultdict(list)
attempts: dict[str, int] = defaultdict(int)
release_slow = threading.Event()


def json_activity(fn: Callable[[Any], Any]) -> Callable[[str | None], str | None]:
    """Wraps a plain function the way the host wraps an activity: JSON text in, JSON text out."""

    def invoke(input_json: str | None) -> str | None:
        value = json.loads(input_json) if input_json is not None else None
        return json.dumps(fn(value))

    return invoke


# ------------------------------------------------------------------------------------------ activities


def hello(name: str) -> str:
    return f"Hello {name}!"


def explode(_value: Any) -> None:
    raise ValueError("the activity exploded")


def flaky(key: str) -> str:
    """Fails until its third call for the same key."""
    attempts[key] += 1
    if attempts[key] < 3:
        raise RuntimeError(f"attempt {attempts[key]} failed")
    return f"succeeded on attempt {attempts[key]}"


def slow(_value: Any) -> str:
    release_slow.wait(timeout=20)
    return "slow done"


def sized(length: int) -> str:
    """An activity output of about ``length`` characters."""
    return "x" * length


ACTIVITIES = {"hello": hello, "explode": explode, "flaky": flaky, "slow": slow, "sized": sized}


# --------------------------------------------------------------------------------------- orchestrators


def chain(context: df.DurableOrchestrationContext):
    names = context.get_input()
    results = []
    for name in names:
        results.append((yield context.call_activity("hello", name)))
    return results


def catches_failure(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("explode", None)
    except Exception as exc:
        return f"caught: {exc}"
    return "not caught"


def unhandled_failure(context: df.DurableOrchestrationContext):
    yield context.call_activity("hello", "before")
    raise KeyError("orchestrator gave up")


def with_retry(context: df.DurableOrchestrationContext):
    key, max_attempts = context.get_input()
    options = df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=max_attempts)
    try:
        return (yield context.call_activity_with_retry("flaky", options, key))
    except Exception as exc:
        return f"gave up: {str(exc).splitlines()[0]}"


def timer(context: df.DurableOrchestrationContext):
    start = context.current_utc_datetime
    seen_times[context.instance_id].append(start.isoformat())
    yield context.create_timer(start + timedelta(milliseconds=300))
    after = context.current_utc_datetime
    return [start.isoformat(), after.isoformat()]


def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    results = yield context.task_all([context.call_activity("hello", str(i)) for i in range(count)])
    return results


def race(context: df.DurableOrchestrationContext):
    activity, timeout_ms = context.get_input()
    deadline = context.create_timer(context.current_utc_datetime + timedelta(milliseconds=timeout_ms))
    work = context.call_activity(activity, "racer")
    winner = yield context.task_any([work, deadline])
    if winner == work:
        deadline.cancel()
        return ["activity", work.result]
    return ["timeout", None]


def approval(context: df.DurableOrchestrationContext):
    context.set_custom_status({"stage": "waiting for approval"})
    first = yield context.call_activity("hello", "approver")
    decision = yield context.wait_for_external_event("approve")
    context.set_custom_status({"stage": "approved"})
    return [first, decision]


def counter(context: df.DurableOrchestrationContext):
    value = context.get_input() or 0
    yield context.call_activity("hello", str(value))
    if value < 3:
        context.continue_as_new(value + 1)
        return None
    return value


def sub_orchestration(context: df.DurableOrchestrationContext):
    return (yield context.call_sub_orchestrator("chain", ["x"]))


def calls_missing_activity(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("no_such_activity", None)
    except Exception as exc:
        return str(exc).splitlines()[0]
    return "unexpected"


def recoverable(context: df.DurableOrchestrationContext):
    """Used by the crash test: an activity, a timer, an activity."""
    marker_dir = context.get_input()
    first = yield context.call_activity("crash_step", [marker_dir, "first"])
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=1))
    second = yield context.call_activity("crash_step", [marker_dir, "second"])
    return [first, second]


def waits(context: df.DurableOrchestrationContext):
    """One durable timer of ``input`` seconds, then the time the orchestrator saw it fire."""
    seconds = context.get_input()
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    return context.current_utc_datetime.isoformat()


def big_status(context: df.DurableOrchestrationContext):
    context.set_custom_status({"text": "x" * context.get_input()})
    yield context.call_activity("hello", "status")
    return "done"


def asks_sized(context: df.DurableOrchestrationContext):
    try:
        return len((yield context.call_activity("sized", context.get_input())))
    except Exception as exc:
        return str(exc).splitlines()[0]


def asks_slow(context: df.DurableOrchestrationContext):
    try:
        return (yield context.call_activity("slow", None))
    except Exception as exc:
        return str(exc).splitlines()[0]


def ticking(context: df.DurableOrchestrationContext):
    """Continues as new twice, 0.6 s apart (more than a second in all)."""
    count = context.get_input() or 0
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=0.6))
    if count < 2:
        context.continue_as_new(count + 1)
        return None
    return count


ORCHESTRATORS = {
    "ticking": ticking,
    "waits": waits,
    "big_status": big_status,
    "asks_sized": asks_sized,
    "asks_slow": asks_slow,
    "chain": chain,
    "catches_failure": catches_failure,
    "unhandled_failure": unhandled_failure,
    "with_retry": with_retry,
    "timer": timer,
    "fan_out": fan_out,
    "race": race,
    "approval": approval,
    "counter": counter,
    "sub_orchestration": sub_orchestration,
    "calls_missing_activity": calls_missing_activity,
    "recoverable": recoverable,
}


def crash_step(args: list[str]) -> str:
    """Blocks on its first run (so the test can kill the process mid-activity); returns on the second."""
    marker_dir, label = args
    marker = Path(marker_dir) / f"{label}.started"
    if label == "first" and not marker.exists():
        marker.write_text("running")
        time.sleep(60)
    (Path(marker_dir) / f"{label}.done").write_text("done")
    return f"{label} ok"


def build_engine(db_path: Path, **kwargs: Any) -> DurableEngine:
    engine = DurableEngine(db_path, task_hub=TASK_HUB, **kwargs)
    for name, fn in ORCHESTRATORS.items():
        engine.register_orchestrator(name, df.Orchestrator.create(fn))
    for name, fn in {**ACTIVITIES, "crash_step": crash_step}.items():
        engine.register_activity(name, json_activity(fn))
    return engine


# ---------------------------------------------------------------------------------------------- harness


@dataclass
class Harness:
    engine: DurableEngine
    client: df.DurableOrchestrationClient
    base_url: str

    def rpc(self, path: str) -> str:
        return f"{self.base_url}/durabletask/{path}"

    def webhook(self, path: str) -> str:
        return f"{self.base_url}/runtime/webhooks/durabletask/{path}"

    async def wait_for_status(self, instance_id: str, statuses: set[str], timeout: float = 10.0) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            status = await self.engine.get_status(instance_id)
            return status if status and status["runtimeStatus"] in statuses else None

        return await wait_until(reached, timeout)


async def serve(engine: DurableEngine) -> tuple[web.AppRunner, str]:
    app = web.Application(client_max_size=100 * 1024 * 1024)  # the host's default request body limit
    add_durable_routes(app, engine)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def harness(tmp_path: Path, **kwargs: Any) -> AsyncIterator[Harness]:
    engine = build_engine(tmp_path / "durable" / "hub.sqlite3", **kwargs)
    await engine.start()
    runner, base_url = await serve(engine)
    try:
        yield Harness(engine, df.DurableOrchestrationClient(client_binding_json(base_url, TASK_HUB)), base_url)
    finally:
        await close_sdk_client_session()  # the SDK keeps one session per process; it must not outlive this loop
        await runner.cleanup()
        await engine.stop()
