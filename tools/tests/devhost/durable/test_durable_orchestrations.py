"""Orchestrations written with the real azure.durable_functions SDK, run by the devhost durable engine."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime

import azure.durable_functions as df
import durable_apps as apps
from durable_apps import harness

from tests.support import wait_until_async as wait_until


def test_activity_chain_returns_every_result(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.client.start_new("chain", client_input=["Tokyo", "Seattle", "London"])
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
            # As with the real extension, input sent by the Python client is stored as the JSON text it sent.
            assert json.loads(status["input"]) == ["Tokyo", "Seattle", "London"]

    asyncio.run(scenario())


def test_activity_failure_reaches_the_orchestrator_as_an_exception(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("catches_failure", None, None)
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"].startswith("caught: Activity function 'explode' failed: the activity exploded")

    asyncio.run(scenario())


def test_unhandled_orchestrator_exception_fails_the_instance(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("unhandled_failure", None, None)
            status = await h.wait_for_status(instance_id, {"Failed"})
            assert status["output"] == "Orchestrator function 'unhandled_failure' failed: 'orchestrator gave up'"
            assert "$OutOfProcData$" not in status["output"]

    asyncio.run(scenario())


def test_retry_succeeds_on_the_third_attempt(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("with_retry", None, json.dumps(["third-time-lucky", 3]))
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == "succeeded on attempt 3"
            assert apps.attempts["third-time-lucky"] == 3

    asyncio.run(scenario())


def test_retry_gives_up_after_max_attempts(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("with_retry", None, json.dumps(["exhausted", 2]))
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == "gave up: Activity function 'flaky' failed: attempt 2 failed "
            assert apps.attempts["exhausted"] == 2
            events = (await h.engine.get_status(instance_id, show_history=True))["historyEvents"]
            kinds = [e["EventType"] for e in events if e["EventType"] in ("TaskFailed", "TimerFired")]
            # DTFx's retry interceptor waits one retry interval after the last failure too.
            assert kinds == ["TaskFailed", "TimerFired", "TaskFailed", "TimerFired"]

    asyncio.run(scenario())


def test_timer_fires_and_current_time_is_stable_across_replays(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("timer", None, None)
            status = await h.wait_for_status(instance_id, {"Completed"})
            start, after = (datetime.fromisoformat(t) for t in status["output"])
            assert (after - start).total_seconds() >= 0.3
            replays = apps.seen_times[instance_id]
            assert len(replays) == 2 and len(set(replays)) == 1

    asyncio.run(scenario())


def test_fan_out_fan_in_over_twenty_activities(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("fan_out", None, "20")
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == [f"Hello {i}!" for i in range(20)]

    asyncio.run(scenario())


def test_task_any_returns_the_activity_when_it_beats_the_timer(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("race", None, json.dumps(["hello", 60_000]))
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == ["activity", "Hello racer!"]
            assert await h.engine.wait_idle(5)

    asyncio.run(scenario())


def test_task_any_returns_the_timer_when_the_activity_is_slow(tmp_path):
    async def scenario():
        apps.release_slow.clear()
        try:
            async with harness(tmp_path) as h:
                instance_id = await h.engine.start_new("race", None, json.dumps(["slow", 300]))
                status = await h.wait_for_status(instance_id, {"Completed"})
                assert status["output"] == ["timeout", None]
        finally:
            apps.release_slow.set()

    asyncio.run(scenario())


def test_external_event_is_delivered_even_when_raised_early(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("approval", None, None)
            # Raised before the orchestrator waits for it: buffered until it does.
            assert await h.engine.raise_event(instance_id, "approve", json.dumps({"by": "alice"})) == "raised"
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == ["Hello approver!", {"by": "alice"}]
            assert status["customStatus"] == {"stage": "approved"}

    asyncio.run(scenario())


def test_continue_as_new_restarts_with_the_new_input(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("counter", None, "0")
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == 3
            events = (await h.engine.get_status(instance_id, show_history=True))["historyEvents"]
            assert [e["EventType"] for e in events].count("ExecutionStarted") == 1  # only the last execution

    asyncio.run(scenario())


def test_unsupported_api_fails_the_instance_with_a_clear_message(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("sub_orchestration", None, None)
            status = await h.wait_for_status(instance_id, {"Failed"})
            assert "call_sub_orchestrator is not supported by devhost" in status["output"]

    asyncio.run(scenario())


def test_unknown_activity_fails_the_task_not_the_engine(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("calls_missing_activity", None, None)
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"].startswith("The function 'no_such_activity' doesn't exist")

    asyncio.run(scenario())


def test_fifty_concurrent_orchestrations_all_complete(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            ids = [await h.engine.start_new("chain", None, json.dumps([f"n{i}", "x"])) for i in range(50)]

            async def all_done():
                statuses = await h.engine.query(runtime_statuses=["Completed"])
                return len(statuses) == 50

            await wait_until(all_done, timeout=30)
            for i, instance_id in enumerate(ids):
                status = await h.engine.get_status(instance_id)
                assert status["output"] == [f"Hello n{i}!", "Hello x!"]

    asyncio.run(scenario())


def test_suspended_instance_waits_for_resume(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.engine.start_new("approval", None, None)
            await h.wait_for_status(instance_id, {"Running"})
            assert await h.engine.suspend(instance_id, "maintenance") == "suspended"
            await h.wait_for_status(instance_id, {"Suspended"})
            await h.engine.raise_event(instance_id, "approve", '"yes"')
            assert await h.engine.wait_idle(5)
            assert (await h.engine.get_status(instance_id))["runtimeStatus"] == "Suspended"
            assert await h.engine.resume(instance_id, "back") == "resumed"
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == ["Hello approver!", "yes"]

    asyncio.run(scenario())


class Gate:
    """Wraps an engine callable: every call waits for its own release; records how many ran at once."""

    def __init__(self, invoke):
        self._invoke = invoke
        self._lock = threading.Lock()
        self._release = threading.Semaphore(0)
        self.inside = self.peak = self.done = 0

    def __call__(self, payload):
        with self._lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            assert self._release.acquire(timeout=20), "never released"
            return self._invoke(payload)
        finally:
            with self._lock:
                self.inside -= 1
                self.done += 1

    async def release_one_by_one(self, total: int, limit: int) -> None:
        """Each round: exactly min(limit, left) calls are running (never more), then one is let go."""
        for released in range(total):
            expected = min(limit, total - released)

            async def settled(released=released, expected=expected):
                return self.done == released and self.inside == expected

            await wait_until(settled)
            self._release.release()


def fan_out_to_gated(context: df.DurableOrchestrationContext):
    return (yield context.task_all([context.call_activity("gated", i) for i in range(context.get_input())]))


def test_max_concurrent_orchestrator_functions_bounds_running_orchestrators(tmp_path):
    async def scenario():
        async with harness(tmp_path, orchestrator_workers=2) as h:
            gate = Gate(df.Orchestrator.create(apps.chain))
            h.engine.register_orchestrator("gated", gate)
            ids = [await h.engine.start_new("gated", None, "[]") for _ in range(5)]  # one episode each
            await gate.release_one_by_one(total=5, limit=2)
            for instance_id in ids:
                assert (await h.wait_for_status(instance_id, {"Completed"}))["output"] == []
            assert gate.peak == 2

    asyncio.run(scenario())


def test_max_concurrent_activity_functions_bounds_running_activities(tmp_path):
    async def scenario():
        async with harness(tmp_path, activity_workers=3) as h:
            gate = Gate(apps.json_activity(lambda i: i * 10))
            h.engine.register_activity("gated", gate)
            h.engine.register_orchestrator("fan_out_to_gated", df.Orchestrator.create(fan_out_to_gated))
            instance_id = await h.engine.start_new("fan_out_to_gated", None, "7")
            await gate.release_one_by_one(total=7, limit=3)
            status = await h.wait_for_status(instance_id, {"Completed"})
            assert status["output"] == [i * 10 for i in range(7)]
            assert gate.peak == 3

    asyncio.run(scenario())
