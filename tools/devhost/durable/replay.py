"""Replays an out-of-process orchestrator's action list against its history, as the Durable extension does.

The Python SDK returns the CUMULATIVE list of actions it has ever scheduled. The real extension
(OutOfProcOrchestrationShim) turns that list back into Durable Task Framework calls on every episode:
schema V2/V3 awaits each top-level action in turn (ignoring failures), schema V1 awaits any task of each
action set; WhenAll/WhenAny schedule their children together; CallActivityWithRetry runs DTFx's
RetryInterceptor (a timer after every failed attempt, including the last). DTFx hands out sequence ids in
the order those calls happen while it replays the history, and matches them with TaskScheduled and
TimerCreated events already recorded; whatever has no recorded event is new work for this episode.

This module re-runs that procedure deterministically and reports the new work, so the ids the engine
writes are exactly the ids the SDK expects (the SDK allocates them in the same order).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tools.devhost.durable import history as h

# Out-of-proc action types (AsyncActionType in the extension, ActionType in the SDK).
CALL_ACTIVITY = 0
CALL_ACTIVITY_WITH_RETRY = 1
CALL_SUB_ORCHESTRATOR = 2
CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
CONTINUE_AS_NEW = 4
CREATE_TIMER = 5
WAIT_FOR_EXTERNAL_EVENT = 6
CALL_ENTITY = 7
CALL_HTTP = 8
SIGNAL_ENTITY = 9
SCHEDULED_SIGNAL_ENTITY = 10
WHEN_ANY = 11
WHEN_ALL = 12

UNSUPPORTED_ACTIONS = {
    CALL_SUB_ORCHESTRATOR: "call_sub_orchestrator",
    CALL_SUB_ORCHESTRATOR_WITH_RETRY: "call_sub_orchestrator_with_retry",
    CALL_ENTITY: "call_entity",
    CALL_HTTP: "call_http",
    SIGNAL_ENTITY: "signal_entity",
    SCHEDULED_SIGNAL_ENTITY: "signal_entity (scheduled)",
}


class NonDeterminismError(Exception):
    """The actions no longer match what the history recorded (the orchestrator code is not deterministic)."""


@dataclass
class NewActivity:
    task_id: int
    name: str
    input: str | None


@dataclass
class NewTimer:
    timer_id: int
    fire_at: datetime
    cancelled: bool


@dataclass
class ReplayResult:
    new_work: list[NewActivity | NewTimer] = field(default_factory=list)
    cancelled_timer_ids: set[int] = field(default_factory=set)
    unsupported: str | None = None
    continue_as_new_input: Any = None
    continued_as_new: bool = False


class _Task:
    """A minimal awaitable stand-in: resolved once, runs its continuations in resolution order."""

    __slots__ = ("_callbacks", "done", "ok")

    def __init__(self) -> None:
        self.done = False
        self.ok = False
        self._callbacks: list[Callable[[_Task], None]] = []

    def resolve(self, ok: bool) -> None:
        if self.done:
            return
        self.done = True
        self.ok = ok
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def then(self, callback: Callable[[_Task], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)


def _resolved(ok: bool = True) -> _Task:
    task = _Task()
    task.resolve(ok)
    return task


@dataclass
class RetryPolicy:
    """DTFx RetryOptions; the 1.x Python SDK only sends the first two fields."""

    first_interval: timedelta
    max_attempts: int
    backoff: float = 1.0
    max_interval: timedelta | None = None
    timeout: timedelta | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RetryPolicy:
        def millis(key: str) -> timedelta | None:
            value = raw.get(key)
            return None if value is None else timedelta(milliseconds=float(value))

        return cls(
            first_interval=millis("firstRetryIntervalInMilliseconds") or timedelta(0),
            max_attempts=int(raw.get("maxNumberOfAttempts", 1)),
            backoff=float(raw.get("backoffCoefficient", 1.0) or 1.0),
            max_interval=millis("maxRetryIntervalInMilliseconds"),
            timeout=millis("retryTimeoutInMilliseconds"),
        )

    def next_delay(self, attempt: int, first_attempt: datetime, now: datetime) -> timedelta | None:
        """RetryInterceptor.ComputeNextDelay: None means give up now (retry timeout passed)."""
        if self.timeout is not None and now >= first_attempt + self.timeout:
            return None
        millis = self.first_interval.total_seconds() * 1000 * math.pow(self.backoff, attempt)
        delay = timedelta(milliseconds=millis)
        if self.max_interval is not None and delay >= self.max_interval:
            delay = self.max_interval
        return delay if delay > timedelta(0) else None


class _Replayer:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.sequence = 0
        self.now: datetime | None = None
        self.recorded: dict[int, dict[str, Any]] = {
            e["EventId"]: e for e in events if e["EventType"] in (h.TASK_SCHEDULED, h.TIMER_CREATED)
        }
        self.fired_timers = {e["TimerId"] for e in events if e["EventType"] == h.TIMER_FIRED}
        self.completion_waiters: dict[int, Callable[[dict[str, Any]], None]] = {}
        self.event_waiters: dict[str, deque[_Task]] = defaultdict(deque)
        self.buffered_events: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self.result = ReplayResult()

    # -------------------------------------------------------------------------------------- scheduling

    def _next_id(self) -> int:
        task_id = self.sequence
        self.sequence += 1
        return task_id

    def _call_activity(self, name: str, input_json: str | None) -> _Task:
        task_id = self._next_id()
        recorded = self.recorded.get(task_id)
        if recorded is None:
            self.result.new_work.append(NewActivity(task_id, name, input_json))
        elif recorded["EventType"] != h.TASK_SCHEDULED or recorded.get("Name") != name:
            raise NonDeterminismError(
                f"Non-deterministic workflow detected: history has {_describe(recorded)} for id {task_id}, "
                f"but the orchestrator now schedules activity '{name}'."
            )
        task = _Task()
        self.completion_waiters[task_id] = lambda e: task.resolve(e["EventType"] == h.TASK_COMPLETED)
        return task

    def _create_timer(self, fire_at: datetime, cancelled: bool) -> _Task:
        timer_id = self._next_id()
        recorded = self.recorded.get(timer_id)
        if recorded is None:
            self.result.new_work.append(NewTimer(timer_id, fire_at, cancelled))
        elif recorded["EventType"] != h.TIMER_CREATED:
            raise NonDeterminismError(
                f"Non-deterministic workflow detected: history has {_describe(recorded)} for id {timer_id}, "
                "but the orchestrator now creates a timer."
            )
        elif cancelled and timer_id not in self.fired_timers:
            self.result.cancelled_timer_ids.add(timer_id)
        task = _Task()
        if cancelled:
            # The extension cancels the token right after creating the timer: the task ends at once.
            task.resolve(False)
        else:
            self.completion_waiters[timer_id] = lambda _e: task.resolve(True)
        return task

    def _wait_for_event(self, name: str) -> _Task:
        task = _Task()
        if self.buffered_events[name]:
            self.buffered_events[name].popleft()
            task.resolve(True)
        else:
            self.event_waiters[name].append(task)
        return task

    def _call_with_retry(self, name: str, input_json: str | None, policy: RetryPolicy) -> _Task:
        outer = _Task()
        first_attempt = self._current_time()
        attempt = 0

        def try_once() -> None:
            self._call_activity(name, input_json).then(on_attempt_done)

        def on_attempt_done(task: _Task) -> None:
            nonlocal attempt
            if task.ok:
                outer.resolve(True)
                return
            now = self._current_time()
            delay = policy.next_delay(attempt, first_attempt, now)
            if delay is None:
                outer.resolve(False)
                return
            self._create_timer(now + delay, cancelled=False).then(on_retry_timer)

        def on_retry_timer(_task: _Task) -> None:
            nonlocal attempt
            attempt += 1
            if attempt < policy.max_attempts:
                try_once()
            else:
                outer.resolve(False)

        try_once()
        return outer

    def _current_time(self) -> datetime:
        assert self.now is not None, "OrchestratorStarted must precede the first action"
        return self.now

    def schedule(self, action: dict[str, Any]) -> _Task:
        action_type = action.get("actionType")
        if action_type == CALL_ACTIVITY:
            return self._call_activity(action["functionName"], action.get("input"))
        if action_type == CALL_ACTIVITY_WITH_RETRY:
            policy = RetryPolicy.from_json(action.get("retryOptions") or {})
            return self._call_with_retry(action["functionName"], action.get("input"), policy)
        if action_type == CREATE_TIMER:
            return self._create_timer(h.parse_time(action["fireAt"]), bool(action.get("isCanceled")))
        if action_type == WAIT_FOR_EXTERNAL_EVENT:
            return self._wait_for_event(action["externalEventName"])
        if action_type in (WHEN_ALL, WHEN_ANY):
            children = [self.schedule(child) for child in action.get("compoundActions") or []]
            return _when_all(children) if action_type == WHEN_ALL else _when_any(children)
        if action_type == CONTINUE_AS_NEW:
            self.result.continued_as_new = True
            self.result.continue_as_new_input = action.get("input")
            return _resolved()
        if self.result.unsupported is None:
            label = UNSUPPORTED_ACTIONS.get(action_type, f"action type {action_type!r}")
            self.result.unsupported = label
        return _Task()  # never completes: the instance is failed by the engine

    # ------------------------------------------------------------------------------------------ driving

    def run_v2(self, actions: list[dict[str, Any]]) -> None:
        """Schema V2/V3: await each top-level action in turn; failures do not stop the loop."""
        position = 0

        def step(_task: _Task | None = None) -> None:
            nonlocal position
            while position < len(actions):
                task = self.schedule(actions[position])
                position += 1
                if not task.done:
                    task.then(step)
                    return

        step()

    def run_v1(self, action_sets: list[list[dict[str, Any]]]) -> None:
        """Schema V1: each action set is awaited with WhenAny before the next one is scheduled."""
        position = 0

        def step(_task: _Task | None = None) -> None:
            nonlocal position
            while position < len(action_sets):
                tasks = []
                for action in action_sets[position]:
                    task = self.schedule(action)
                    if action.get("actionType") != CONTINUE_AS_NEW:  # fire-and-forget: not awaited
                        tasks.append(task)
                position += 1
                if tasks:
                    waiter = _when_any(tasks)
                    if not waiter.done:
                        waiter.then(step)
                        return

        step()

    def replay(self, start: Callable[[], None]) -> ReplayResult:
        for event in self.events:
            event_type = event["EventType"]
            if event_type == h.ORCHESTRATOR_STARTED:
                self.now = h.parse_time(event["Timestamp"])
            elif event_type == h.EXECUTION_STARTED:
                start()
            elif event_type in (h.TASK_COMPLETED, h.TASK_FAILED):
                waiter = self.completion_waiters.pop(event["TaskScheduledId"], None)
                if waiter is not None:
                    waiter(event)
            elif event_type == h.TIMER_FIRED:
                waiter = self.completion_waiters.pop(event["TimerId"], None)
                if waiter is not None:
                    waiter(event)
            elif event_type == h.EVENT_RAISED:
                name = event.get("Name") or ""
                if self.event_waiters[name]:
                    self.event_waiters[name].popleft().resolve(True)
                else:
                    self.buffered_events[name].append(event)
        return self.result


def _when_all(children: list[_Task]) -> _Task:
    """Task.WhenAll: completes once EVERY child has completed (a failure does not end it early)."""
    parent = _Task()
    remaining = len(children)
    if remaining == 0:
        parent.resolve(True)
        return parent
    failed = False

    def on_child(task: _Task) -> None:
        nonlocal remaining, failed
        remaining -= 1
        failed = failed or not task.ok
        if remaining == 0:
            parent.resolve(not failed)

    for child in children:
        child.then(on_child)
    return parent


def _when_any(children: list[_Task]) -> _Task:
    """Task.WhenAny: completes (successfully) with the first child to complete."""
    parent = _Task()
    for child in children:
        child.then(lambda _t: parent.resolve(True))
    return parent


def _describe(event: dict[str, Any]) -> str:
    name = h.EVENT_TYPE_NAMES.get(event["EventType"], str(event["EventType"]))
    return f"{name} '{event['Name']}'" if event.get("Name") else name


def replay_actions(events: list[dict[str, Any]], actions: list[Any], schema_version: int) -> ReplayResult:
    """Runs the shim procedure over ``events`` (this execution's full history, new events included)."""
    replayer = _Replayer(events)
    if schema_version >= 1:
        flat = actions[0] if actions else []
        return replayer.replay(lambda: replayer.run_v2(flat))
    return replayer.replay(lambda: replayer.run_v1(actions))
