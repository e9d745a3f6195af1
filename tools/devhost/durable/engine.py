"""The devhost Durable Task engine: runs out-of-process (Python SDK) orchestrations the way DTFx does.

Each instance has an inbox of messages (start, activity results, due timers, raised events, control
requests). An episode takes the due messages, appends them to the history after an OrchestratorStarted
event, calls the orchestrator with the whole history, replays the returned actions to find the new work
(see replay.py) and commits history, new work and status in one SQLite transaction. Episodes of one
instance never overlap; activities run in a bounded thread pool; timers wake the dispatcher exactly when
they are due.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tools.devhost.durable import history as h
from tools.devhost.durable.profiles import (
    PROFILES,
    QUEUE_POLL_MIN_SECONDS,
    BackendProfile,
    custom_status_error,
    function_timeout_message,
    message_size_error,
    next_poll_interval,
)
from tools.devhost.durable.replay import NewActivity, NewTimer, NonDeterminismError, ReplayResult, replay_actions
from tools.devhost.durable.store import ActivityTask, InstanceRow, Message, Store

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
RUNTIME_STATUSES = (
    "Pending",
    "Running",
    "Completed",
    "ContinuedAsNew",
    "Failed",
    "Canceled",
    "Terminated",
    "Suspended",
)
_OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"


class InstanceExistsError(Exception):
    """start_new with the id of an instance that has not finished."""


class UnknownFunctionError(Exception):
    """start_new for a name that is not a registered orchestrator."""


class InstanceNotTerminalError(Exception):
    """purge of an instance that is still running (the real API answers 412)."""


class MessageTooLargeError(Exception):
    """A payload over the backend's message size limit (the dts profile)."""


class DurableEngine:
    def __init__(
        self,
        db_path: Path,
        *,
        task_hub: str = "TestHubName",
        activity_workers: int = 8,
        orchestrator_workers: int = 8,
        logger: logging.Logger | None = None,
        log_function_executions: bool = True,
        profile: BackendProfile | None = None,
        function_timeout_seconds: float | None = None,
    ) -> None:
        """``activity_workers`` / ``orchestrator_workers``: how many activity / orchestrator functions may run at
        once (host.json ``maxConcurrentActivityFunctions`` / ``maxConcurrentOrchestratorFunctions``).
        ``log_function_executions=False`` when the invoke callables already log Executing/Executed lines.
        ``profile``: the backend's behaviour (profiles.py); ``function_timeout_seconds``: host.json
        ``functionTimeout`` (None: unbounded), applied to activities and orchestrator episodes."""
        self.profile = profile or PROFILES["exact"]
        self.function_timeout_seconds = function_timeout_seconds
        self._queue_busy: asyncio.Event | None = None
        self.db_path = Path(db_path)
        self.task_hub = task_hub
        self._log = logger or logging.getLogger("devhost.durable")
        self._log_executions = log_function_executions
        # A timer's TimerFired is delivered this much after its fireAt (DEVHOST_DURABLE_TIMER_DELAY_SECONDS, 0 by
        # default); the event still carries the fireAt it was made with.
        self._timer_delay = timedelta(seconds=self.profile.timer_delay_seconds)
        self._orchestrators: dict[str, Callable[[str], str]] = {}
        self._activities: dict[str, Callable[[str | None], str | None]] = {}
        self._activity_pool = ThreadPoolExecutor(activity_workers, thread_name_prefix="durable-activity")
        self._max_episodes = orchestrator_workers
        self._orchestrator_pool = ThreadPoolExecutor(orchestrator_workers, thread_name_prefix="durable-orch")
        self._store: Store | None = None
        self._ready: set[str] = set()
        self._running: set[str] = set()
        self._active_activities: set[int] = set()
        self._timer_heap: list[tuple[str, str]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._wake: asyncio.Event | None = None
        self._timers_changed: asyncio.Event | None = None
        self._stopping = False

    # ------------------------------------------------------------------------------------ registration

    def register_orchestrator(self, name: str, invoke: Callable[[str], str]) -> None:
        self._orchestrators[name] = invoke

    def register_activity(self, name: str, invoke: Callable[[str | None], str | None]) -> None:
        self._activities[name] = invoke

    # --------------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self._store = Store(self.db_path)
        self._stopping = False
        self._wake = asyncio.Event()
        self._timers_changed = asyncio.Event()
        self._queue_busy = asyncio.Event()
        now = self._now_text()
        self._ready.update(self._store.runnable_instances(now))
        for due, instance_id in self._store.future_message_times(now):
            heapq.heappush(self._timer_heap, (due, instance_id))
        recovered = self._store.all_activity_tasks()
        for task in recovered:
            self._submit_activity(task)
        self._loops = [asyncio.create_task(self._dispatch_loop()), asyncio.create_task(self._timer_loop())]
        if self.profile.max_queue_polling_seconds is not None:
            self._loops.append(asyncio.create_task(self._queue_poll_loop(self.profile.max_queue_polling_seconds)))
        self._wake.set()
        self._log.info(
            "Durable engine started (task hub '%s', %s, backend profile %s): %d instance(s) with pending messages, "
            "%d activity work item(s) resumed, %d timer(s) waiting.",
            self.task_hub,
            self.db_path,
            self.profile.describe(),
            len(self._ready),
            len(recovered),
            len(self._timer_heap),
        )

    async def stop(self) -> None:
        """Stops dispatching; work cut short here is redone on the next start (it is still in the database)."""
        self._stopping = True
        for loop_task in self._loops:
            loop_task.cancel()
        for loop_task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        self._loops = []
        deadline = time.monotonic() + 5.0
        while self._running and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self._activity_pool.shutdown(wait=False, cancel_futures=True)
        self._orchestrator_pool.shutdown(wait=False, cancel_futures=True)
        for task in list(self._background):
            task.cancel()
        if self._store is not None:
            self._store.close()
            self._store = None
        self._log.info("Durable engine stopped.")

    async def wait_idle(self, timeout: float) -> bool:
        """True once no episode, activity or due message is left (future timers do not count)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                not self._ready
                and not self._running
                and not self._active_activities
                and not self._db.runnable_instances(self._now_text())
            ):
                return True
            await asyncio.sleep(0.01)
        return False

    # -------------------------------------------------------------------------------------- operations

    async def start_new(self, name: str, instance_id: str | None, input_json: str | None) -> str:
        """``input_json`` is the JSON text of the orchestrator's input (what ``context.get_input()`` decodes).

        It is stored the way the extension stores input sent by the Python SDK's client (a JSON string
        holding that text), so status queries show it as the real host does.
        """
        raw_input = json.dumps(input_json) if input_json is not None else None
        return await self.start_instance(name, instance_id, raw_input)

    async def start_instance(self, name: str, instance_id: str | None, raw_input: str | None) -> str:
        """Start as the profile's backend does: atomically (exact, dts), or check-then-insert (azure-storage).

        azure-storage (DTFx AzureStorageOrchestrationService.CreateTaskOrchestrationAsync): read the instance
        row, refuse a non-terminal one, enqueue the start message, then insert the row; an insert that
        conflicts with a concurrent start is ignored (SetNewExecutionAsync), so both callers succeed, and the
        start message whose execution id is not the row's is later discarded as a duplicate.
        """
        if self.profile.atomic_start:
            return self.create_instance(name, instance_id, raw_input)
        self._check_startable(name, raw_input)
        instance_id = instance_id or uuid.uuid4().hex
        existing = self._db.get_instance(instance_id)
        _refuse_running(existing)
        await asyncio.sleep(self.profile.start_race_seconds)  # another start of this id may pass the check now
        now = h.utcnow()
        execution_id = uuid.uuid4().hex
        with self._db.transaction() as conn:
            current = self._db.get_instance(instance_id)
            if existing is None:
                row_is_ours = current is None  # Insert; a conflict is ignored
            else:
                row_is_ours = current is not None and current.execution_id == existing.execution_id  # ETag
            if row_is_ours and existing is not None:
                Store.delete_instance(conn, instance_id)
            started = _execution_started(name, instance_id, execution_id, raw_input, now)
            Store.add_message(conn, instance_id, execution_id, "start", started, h.format_time(now))
            if row_is_ours:
                Store.upsert_instance(conn, _new_row(instance_id, name, execution_id, raw_input, now))
        if not row_is_ours:
            self._log.warning(
                "Orchestration '%s' start raced another start of InstanceId=%s: its row insert conflicted "
                "(ignored, as the Azure Storage provider does); its start message will be discarded.",
                name,
                instance_id,
            )
        else:
            self._log.info("Orchestration '%s' scheduled (InstanceId=%s).", name, instance_id)
        self._mark_ready(instance_id)
        self._signal_queue()
        return instance_id

    def _check_startable(self, name: str, raw_input: str | None) -> None:
        if name not in self._orchestrators:
            known = ", ".join(f"'{n}'" for n in sorted(self._orchestrators)) or "(none)"
            raise UnknownFunctionError(
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function. "
                f"Additional info: The following are the known orchestrator functions: {known}."
            )
        too_large = message_size_error(self.profile, "The orchestration input", raw_input)
        if too_large is not None:
            raise MessageTooLargeError(too_large)

    def create_instance(self, name: str, instance_id: str | None, raw_input: str | None) -> str:
        """Starts an instance atomically from the raw ExecutionStarted input (the body the HTTP API received)."""
        self._check_startable(name, raw_input)
        instance_id = instance_id or uuid.uuid4().hex
        now = h.utcnow()
        execution_id = uuid.uuid4().hex
        with self._db.transaction() as conn:
            existing = self._db.get_instance(instance_id)
            _refuse_running(existing)
            if existing is not None:
                Store.delete_instance(conn, instance_id)
            Store.upsert_instance(conn, _new_row(instance_id, name, execution_id, raw_input, now))
            Store.add_message(
                conn,
                instance_id,
                execution_id,
                "start",
                _execution_started(name, instance_id, execution_id, raw_input, now),
                h.format_time(now),
            )
        self._log.info("Orchestration '%s' scheduled (InstanceId=%s).", name, instance_id)
        self._mark_ready(instance_id)
        self._signal_queue()
        return instance_id

    async def get_status(
        self,
        instance_id: str,
        *,
        show_history: bool = False,
        show_history_output: bool = False,
        show_input: bool = True,
    ) -> dict[str, Any] | None:
        row = self._db.get_instance(instance_id)
        if row is None:
            return None
        status = _status_payload(row, show_input)
        if show_history:
            status["historyEvents"] = _public_history(self._db.load_history(instance_id), show_history_output)
        return status

    async def query(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        runtime_statuses: list[str] | None = None,
        show_input: bool = True,
    ) -> list[dict[str, Any]]:
        rows = self._db.query_instances(
            h.format_time(created_from) if created_from else None,
            h.format_time(created_to) if created_to else None,
            list(runtime_statuses) if runtime_statuses else None,
        )
        return [_status_payload(r, show_input) for r in rows]

    async def terminate(self, instance_id: str, reason: str) -> str:
        return self._control(instance_id, "terminate", reason, "terminated")

    async def suspend(self, instance_id: str, reason: str) -> str:
        """ "suspended" | "not_found" | "already_finished"."""
        return self._control(instance_id, "suspend", reason, "suspended")

    async def resume(self, instance_id: str, reason: str) -> str:
        """ "resumed" | "not_found" | "already_finished"."""
        return self._control(instance_id, "resume", reason, "resumed")

    async def restart(self, instance_id: str, *, new_instance_id: bool = True) -> str | None:
        """Starts the instance's orchestrator again with its original input; None when it does not exist."""
        row = self._db.get_instance(instance_id)
        if row is None:
            return None
        target = None if new_instance_id else instance_id
        return await self.start_instance(row.name, target, row.input)

    async def purge(self, instance_id: str) -> int:
        row = self._db.get_instance(instance_id)
        if row is None:
            return 0
        if row.runtime_status not in TERMINAL_STATUSES:
            raise InstanceNotTerminalError(
                "Only orchestrations in a terminal state can be purged, but the orchestration with instance "
                f"ID {instance_id} has status {row.runtime_status}"
            )
        with self._db.transaction() as conn:
            Store.delete_instance(conn, instance_id)
        return 1

    async def purge_many(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        runtime_statuses: list[str] | None = None,
    ) -> int:
        """Purges matching instances that have finished (running ones are never purged)."""
        statuses = [s for s in (runtime_statuses or TERMINAL_STATUSES) if s in TERMINAL_STATUSES]
        if not statuses:
            return 0
        rows = self._db.query_instances(
            h.format_time(created_from) if created_from else None,
            h.format_time(created_to) if created_to else None,
            statuses,
        )
        if self.profile.purge_batch is not None:
            rows = rows[: self.profile.purge_batch]  # the rest on the next call, as the scheduler does
        with self._db.transaction() as conn:
            for row in rows:
                Store.delete_instance(conn, row.instance_id)
        return len(rows)

    async def raise_event(self, instance_id: str, event_name: str, data_json: str | None) -> str:
        """``data_json`` becomes the EventRaised Input, i.e. what ``wait_for_external_event`` decodes."""
        row = self._db.get_instance(instance_id)
        if row is None:
            return "not_found"
        if row.runtime_status in TERMINAL_STATUSES:
            return "not_running"
        now = h.utcnow()
        event = h.event(h.EVENT_RAISED, now, Name=event_name, Input=data_json)
        with self._db.transaction() as conn:
            Store.add_message(conn, instance_id, None, "event", event, h.format_time(now))
        self._mark_ready(instance_id)
        return "raised"

    def _control(self, instance_id: str, kind: str, reason: str, done: str) -> str:
        row = self._db.get_instance(instance_id)
        if row is None:
            return "not_found"
        if row.runtime_status in TERMINAL_STATUSES:
            return "already_finished"
        now = h.utcnow()
        event_type = {"terminate": h.EXECUTION_TERMINATED, "suspend": h.EXECUTION_SUSPENDED}.get(
            kind, h.EXECUTION_RESUMED
        )
        held = kind == "terminate" and self._polled_queues
        with self._db.transaction() as conn:
            Store.add_message(
                conn,
                instance_id,
                None,
                kind,
                h.event(event_type, now, Input=reason, Reason=reason),
                h.format_time(now),
                held=held,
            )
        if not held:
            self._mark_ready(instance_id)
        return done

    # ------------------------------------------------------------------------------------- dispatching

    @property
    def _db(self) -> Store:
        if self._store is None:
            raise RuntimeError("DurableEngine.start() has not been awaited (or stop() was).")
        return self._store

    def _now_text(self) -> str:
        return h.format_time(h.utcnow())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def _polled_queues(self) -> bool:
        """Timers and terminate requests wait for the queue poller (the azure-storage profile)."""
        return self.profile.max_queue_polling_seconds is not None

    def _signal_queue(self) -> None:
        """A message arrived in the control queue: the poller finds it at once and its back-off restarts."""
        if self._queue_busy is not None:
            self._queue_busy.set()

    async def _queue_poll_loop(self, cap: float) -> None:
        """The Azure Storage provider's control-queue poller (DTFx TaskHubQueue + BackoffPollingHelper): poll,
        and while nothing is found, wait longer each time, from 50 ms up to ``cap`` (maxQueuePollingInterval).
        Held timers and terminate requests are delivered only when a poll finds them."""
        assert self._queue_busy is not None
        interval = QUEUE_POLL_MIN_SECONDS
        while not self._stopping:
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._queue_busy.wait(), interval)
            busy = self._queue_busy.is_set()
            self._queue_busy.clear()
            released = self._db.release_held(self._now_text()) if self._store is not None else []
            for instance_id in released:
                self._mark_ready(instance_id)
            interval = QUEUE_POLL_MIN_SECONDS if (busy or released) else next_poll_interval(interval, cap)

    def _mark_ready(self, instance_id: str) -> None:
        self._ready.add(instance_id)
        if self._wake is not None:
            self._wake.set()

    def _schedule_timer(self, due: str, instance_id: str) -> None:
        heapq.heappush(self._timer_heap, (due, instance_id))
        if self._timers_changed is not None:
            self._timers_changed.set()

    async def _dispatch_loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            for instance_id in list(self._ready):
                if len(self._running) >= self._max_episodes:
                    break
                if instance_id in self._running:
                    continue
                self._ready.discard(instance_id)
                self._running.add(instance_id)
                self._spawn(self._run_episode(instance_id))

    async def _timer_loop(self) -> None:
        """Sleeps until the earliest due timer message (or until a new timer arrives), then wakes its instance."""
        assert self._timers_changed is not None
        while not self._stopping:
            now = self._now_text()
            while self._timer_heap and self._timer_heap[0][0] <= now:
                _due, instance_id = heapq.heappop(self._timer_heap)
                self._mark_ready(instance_id)
            delay = None
            if self._timer_heap:
                delay = max((h.parse_time(self._timer_heap[0][0]) - h.utcnow()).total_seconds(), 0.001)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._timers_changed.wait(), delay)
            self._timers_changed.clear()

    async def _run_episode(self, instance_id: str) -> None:
        try:
            await self._episode(instance_id)
        except Exception:
            if not self._stopping:
                self._log.exception("Durable engine error while processing instance %s", instance_id)
        finally:
            self._running.discard(instance_id)
            if not self._stopping and self._store is not None:
                if self._store.has_runnable_message(instance_id, self._now_text()):
                    self._ready.add(instance_id)
                if self._wake is not None:
                    self._wake.set()

    # ------------------------------------------------------------------------------------------ episode

    async def _episode(self, instance_id: str) -> None:
        db = self._db
        now = h.utcnow()
        row = db.get_instance(instance_id)
        messages = db.due_messages(instance_id, h.format_time(now))
        if not messages:
            return
        if row is None or row.runtime_status in TERMINAL_STATUSES:
            with db.transaction() as conn:
                Store.delete_messages(conn, [m.id for m in messages])
            return
        stale = [m for m in messages if m.execution_id is not None and m.execution_id != row.execution_id]
        for message in stale:
            if message.kind == "start":
                self._log.warning(
                    "Discarding a duplicate ExecutionStarted message for InstanceId=%s (its execution id is not the "
                    "instance's; DTFx DuplicateMessageDetected).",
                    instance_id,
                )
        stale_ids = {m.id for m in stale}
        live = [m for m in messages if m.id not in stale_ids]
        terminate = next((m for m in live if m.kind == "terminate"), None)
        if terminate is not None:
            self._terminate_now(row, terminate, now)
            return
        batch = self._select_batch(row, live)
        if not batch:
            if stale:
                with db.transaction() as conn:
                    Store.delete_messages(conn, [m.id for m in stale])
            return
        old_events = db.load_history(instance_id)
        if not old_events and not any(m.kind == "start" for m in batch):
            return  # nothing can run before the instance's ExecutionStarted message
        await self._run_orchestrator(row, old_events, batch, stale, now)

    def _select_batch(self, row: InstanceRow, live: list[Message]) -> list[Message]:
        """A suspended instance only wakes for a resume; a suspend request ends the batch it appears in."""
        if row.runtime_status == "Suspended":
            return live if any(m.kind == "resume" for m in live) else []
        batch: list[Message] = []
        for message in live:
            batch.append(message)
            if message.kind == "suspend":
                break
        return batch

    async def _run_orchestrator(
        self,
        row: InstanceRow,
        old_events: list[dict[str, Any]],
        batch: list[Message],
        stale: list[Message],
        now: datetime,
    ) -> None:
        new_events: list[dict[str, Any]] = [h.event(h.ORCHESTRATOR_STARTED, now)]
        status = row.runtime_status
        invoke_needed = False
        suspend_after = False
        for message in batch:
            if message.kind == "resume":
                if status == "Suspended":
                    new_events.append(message.event)
                    status = "Running"
                    invoke_needed = True
            elif message.kind == "suspend":
                new_events.append(message.event)
                suspend_after = True
            else:
                new_events.append(message.event)
                invoke_needed = True
        consumed = [m.id for m in batch] + [m.id for m in stale]

        outcome = _Outcome(status="Suspended" if suspend_after else status, custom_status=_loads(row.custom_status))
        if invoke_needed:
            outcome = await self._invoke_and_replay(row, old_events, new_events, now)
            if suspend_after and outcome.status == "Running":
                outcome.status = "Suspended"
        self._commit_episode(row, old_events, new_events, consumed, outcome, now)

    async def _invoke_and_replay(
        self, row: InstanceRow, old_events: list[dict[str, Any]], new_events: list[dict[str, Any]], now: datetime
    ) -> _Outcome:
        invoke = self._orchestrators.get(row.name)
        if invoke is None:
            return _Outcome.failed(
                row.name,
                f"The function '{row.name}' doesn't exist, is disabled, or is not an orchestrator function.",
                "",
            )
        played = [{**e, "IsPlayed": True} for e in old_events]
        context = {
            "history": played + new_events,
            "input": _context_input(row.input),
            "instanceId": row.instance_id,
            "isReplaying": bool(old_events),
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
            "longRunningTimerIntervalDuration": "3.00:00:00",
            "maximumShortTimerDuration": "6.00:00:00",
        }
        invocation_id = uuid.uuid4()
        self._log.debug("Executing 'Functions.%s' (Reason='(null)', Id=%s)", row.name, invocation_id)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        error: str | None = None
        details = ""
        state: dict[str, Any] | None = None
        try:
            future = loop.run_in_executor(self._orchestrator_pool, invoke, json.dumps(context))
            state = json.loads(await asyncio.wait_for(future, self.function_timeout_seconds))
        except (TimeoutError, asyncio.TimeoutError):
            error, state = function_timeout_message(self.function_timeout_seconds, row.name), None
        except Exception as exc:
            error, state = _split_sdk_error(exc)
            details = "".join(traceback.format_exception(exc))
        self._log.debug(
            "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)",
            row.name,
            "Failed" if error else "Succeeded",
            invocation_id,
            (time.perf_counter() - started) * 1000,
        )
        if state is not None and state.get("error") and error is None:
            error = str(state["error"])
        custom_status = state.get("customStatus") if state is not None else _loads(row.custom_status)
        if state is None:
            return _Outcome.failed(row.name, error or "The orchestrator returned no state.", details, custom_status)
        too_large = custom_status_error(_compact_json(custom_status))
        if too_large is not None:  # the extension's SetCustomStatus throws: the orchestration fails
            return _Outcome.failed(row.name, too_large, "", _loads(row.custom_status))
        try:
            replay = replay_actions(
                old_events + new_events, state.get("actions") or [], int(state.get("schemaVersion", 0))
            )
        except NonDeterminismError as exc:
            return _Outcome.failed(row.name, str(exc), "", custom_status)
        if error is not None:
            return _Outcome.failed(row.name, error, details, custom_status)
        if replay.unsupported is not None:
            message = (
                f"{replay.unsupported} is not supported by devhost (the local Durable engine); "
                "it only works on the real Durable Functions extension."
            )
            return _Outcome.failed(row.name, message, "", custom_status)
        too_large = self._oversized_payload(replay, state)
        if too_large is not None:
            return _Outcome.failed(row.name, too_large, "", custom_status)
        if state.get("isDone"):
            if replay.continued_as_new or _has_continue_as_new(state.get("actions") or []):
                return _Outcome(status="ContinuedAsNew", custom_status=custom_status, replay=replay)
            return _Outcome(status="Completed", output=state.get("output"), custom_status=custom_status)
        return _Outcome(status="Running", custom_status=custom_status, replay=replay)

    def _oversized_payload(self, replay: ReplayResult, state: dict[str, Any]) -> str | None:
        """The first payload this episode would send over the backend's message limit (dts), as its error."""
        if self.profile.max_message_bytes is None:
            return None
        payloads = [("An activity input", w.input) for w in replay.new_work if isinstance(w, NewActivity)]
        if replay.continue_as_new_input is not None:
            payloads.append(("The continue-as-new input", json.dumps(replay.continue_as_new_input)))
        if state.get("isDone") and state.get("output") is not None:
            payloads.append(("The orchestration output", json.dumps(state.get("output"))))
        for what, payload in payloads:
            error = message_size_error(self.profile, what, payload)
            if error is not None:
                return error
        return None

    def _commit_episode(
        self,
        row: InstanceRow,
        old_events: list[dict[str, Any]],
        new_events: list[dict[str, Any]],
        consumed: list[int],
        outcome: _Outcome,
        now: datetime,
    ) -> None:
        db = self._db
        appended = list(new_events)
        activities: list[NewActivity] = []
        timers: list[NewTimer] = []
        replay = outcome.replay
        if outcome.status in ("Running", "Suspended") and replay is not None:
            for work in replay.new_work:
                if isinstance(work, NewActivity):
                    appended.append(
                        h.event(h.TASK_SCHEDULED, now, work.task_id, Name=work.name, Version="", Input=work.input)
                    )
                    activities.append(work)
                else:
                    appended.append(h.event(h.TIMER_CREATED, now, work.timer_id, FireAt=h.format_time(work.fire_at)))
                    if not work.cancelled:
                        timers.append(work)
        if outcome.status in ("Completed", "Failed"):
            appended.append(
                h.event(
                    h.EXECUTION_COMPLETED,
                    now,
                    OrchestrationStatus=h.ORCHESTRATION_STATUS_CODES[outcome.status],
                    Result=json.dumps(outcome.output) if outcome.output is not None else None,
                    FailureDetails=outcome.failure_details,
                )
            )
        appended.append(h.event(h.ORCHESTRATOR_COMPLETED, now))

        new_row = InstanceRow(**vars(row))
        new_row.runtime_status = outcome.status
        new_row.custom_status = json.dumps(outcome.custom_status) if outcome.custom_status is not None else None
        new_row.last_updated_time = h.format_time(now)
        if outcome.status in ("Completed", "Failed"):
            new_row.output = json.dumps(outcome.output)
            new_row.failure_details = json.dumps(outcome.failure_details) if outcome.failure_details else None

        scheduled: list[tuple[int, ActivityTask]] = []
        with db.transaction() as conn:
            current = db.get_instance(row.instance_id)
            if current is None or current.execution_id != row.execution_id:
                return  # purged or replaced meanwhile: this episode's outcome no longer applies
            Store.delete_messages(conn, consumed)
            if outcome.status == "ContinuedAsNew":
                self._continue_as_new(conn, new_row, outcome, now)
            else:
                Store.append_history(conn, row.instance_id, len(old_events), appended)
                for work in activities:
                    row_id = Store.add_activity_task(
                        conn, row.instance_id, row.execution_id, work.task_id, work.name, work.input
                    )
                    scheduled.append(
                        (
                            row_id,
                            ActivityTask(
                                row_id, row.instance_id, row.execution_id, work.task_id, work.name, work.input
                            ),
                        )
                    )
                for timer in timers:
                    fired = h.event(
                        h.TIMER_FIRED, timer.fire_at, TimerId=timer.timer_id, FireAt=h.format_time(timer.fire_at)
                    )
                    Store.add_message(
                        conn,
                        row.instance_id,
                        row.execution_id,
                        "event",
                        fired,
                        h.format_time(timer.fire_at + self._timer_delay),
                        held=self._polled_queues,
                    )
                if replay is not None and replay.cancelled_timer_ids:
                    Store.delete_timer_messages(conn, row.instance_id, row.execution_id, replay.cancelled_timer_ids)
                if outcome.status in TERMINAL_STATUSES:
                    Store.delete_activity_tasks(conn, row.instance_id)
            Store.upsert_instance(conn, new_row)
        for _row_id, task in scheduled:
            self._submit_activity(task)
        for timer in timers:
            self._schedule_timer(h.format_time(timer.fire_at + self._timer_delay), row.instance_id)
        self._log_outcome(row, outcome)

    def _continue_as_new(self, conn: Any, new_row: InstanceRow, outcome: _Outcome, now: datetime) -> None:
        """Ends this execution and queues the next one. Like the extension's default
        (preserveUnprocessedEvents=false), events buffered in the old history are dropped; messages still in
        the inbox are delivered to the new execution."""
        replay = outcome.replay
        input_text = replay.continue_as_new_input if replay is not None else None
        raw_input = json.dumps(input_text) if input_text is not None else None
        Store.clear_history(conn, new_row.instance_id)
        Store.delete_activity_tasks(conn, new_row.instance_id)
        new_row.execution_id = uuid.uuid4().hex
        new_row.input = raw_input
        new_row.output = None
        if self.profile.created_time_resets_on_continue_as_new:
            new_row.created_time = h.format_time(now)  # extension issue #2088
        started = _execution_started(new_row.name, new_row.instance_id, new_row.execution_id, raw_input, now)
        Store.add_message(conn, new_row.instance_id, new_row.execution_id, "start", started, h.format_time(now))
        self._ready.add(new_row.instance_id)

    def _terminate_now(self, row: InstanceRow, message: Message, now: datetime) -> None:
        reason = message.event.get("Input")
        old_len = len(self._db.load_history(row.instance_id))
        events = [
            h.event(h.ORCHESTRATOR_STARTED, now),
            message.event,
            h.event(
                h.EXECUTION_COMPLETED,
                now,
                OrchestrationStatus=h.ORCHESTRATION_STATUS_CODES["Terminated"],
                Result=json.dumps(reason),
            ),
            h.event(h.ORCHESTRATOR_COMPLETED, now),
        ]
        new_row = InstanceRow(**vars(row))
        new_row.runtime_status = "Terminated"
        new_row.output = json.dumps(reason)
        new_row.last_updated_time = h.format_time(now)
        with self._db.transaction() as conn:
            Store.append_history(conn, row.instance_id, old_len, events)
            conn.execute("DELETE FROM messages WHERE instance_id = ?", (row.instance_id,))
            Store.delete_activity_tasks(conn, row.instance_id)
            Store.upsert_instance(conn, new_row)
        self._log.warning("Orchestration '%s' terminated (InstanceId=%s): %s", row.name, row.instance_id, reason)

    def _log_outcome(self, row: InstanceRow, outcome: _Outcome) -> None:
        if outcome.status == "Completed":
            self._log.info("Orchestration '%s' completed (InstanceId=%s).", row.name, row.instance_id)
        elif outcome.status == "Failed":
            self._log.error("Orchestration '%s' failed (InstanceId=%s): %s", row.name, row.instance_id, outcome.output)
        elif outcome.status == "ContinuedAsNew":
            self._log.info("Orchestration '%s' continued as new (InstanceId=%s).", row.name, row.instance_id)
        elif row.runtime_status == "Pending":
            self._log.info("Orchestration '%s' started (InstanceId=%s).", row.name, row.instance_id)

    # --------------------------------------------------------------------------------------- activities

    def _submit_activity(self, task: ActivityTask) -> None:
        if task.id in self._active_activities:
            return
        self._active_activities.add(task.id)
        self._spawn(self._run_activity(task))

    async def _run_activity(self, task: ActivityTask) -> None:
        try:
            event = await self._execute_activity(task)
            if self._stopping or self._store is None:
                return  # the work item stays in the database and runs again after the next start
            now = h.utcnow()
            event["Timestamp"] = h.format_time(now)
            with self._db.transaction() as conn:
                delivered = Store.take_activity_task(conn, task.id)
                if delivered:
                    Store.add_message(conn, task.instance_id, task.execution_id, "event", event, h.format_time(now))
            if delivered:
                self._mark_ready(task.instance_id)
                self._signal_queue()
        finally:
            self._active_activities.discard(task.id)

    async def _execute_activity(self, task: ActivityTask) -> dict[str, Any]:
        invoke = self._activities.get(task.name)
        now = h.utcnow()
        if invoke is None:
            known = ", ".join(f"'{n}'" for n in sorted(self._activities)) or "(none)"
            reason = (
                f"The function '{task.name}' doesn't exist, is disabled, or is not an activity function. "
                f"Additional info: The following are the known activity functions: {known}."
            )
            self._log.error("Activity '%s' (InstanceId=%s): %s", task.name, task.instance_id, reason)
            return h.event(h.TASK_FAILED, now, TaskScheduledId=task.task_id, Reason=reason, Details=None)
        invocation_id = uuid.uuid4()
        if self._log_executions:
            self._log.info("Executing 'Functions.%s' (Reason='(null)', Id=%s)", task.name, invocation_id)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._activity_pool, invoke, task.input)
            output = await asyncio.wait_for(future, self.function_timeout_seconds)
            too_large = message_size_error(self.profile, "The activity output", output)
            if too_large is not None:
                raise MessageTooLargeError(too_large)
        except (TimeoutError, asyncio.TimeoutError):
            # The worker's thread cannot be stopped; its late answer is dropped, as the host drops it.
            self._log.error("Activity '%s' (InstanceId=%s) exceeded functionTimeout", task.name, task.instance_id)
            timeout = function_timeout_message(self.function_timeout_seconds, task.name)
            return h.event(
                h.TASK_FAILED,
                now,
                TaskScheduledId=task.task_id,
                Reason=f"Activity function '{task.name}' failed: {timeout}",
                Details=None,
            )
        except Exception as exc:
            duration = (time.perf_counter() - started) * 1000
            if self._log_executions:
                self._log.error(
                    "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)", task.name, invocation_id, duration
                )
            message = str(exc) or type(exc).__name__
            details = getattr(exc, "details", None) or "".join(traceback.format_exception(exc))
            return h.event(
                h.TASK_FAILED,
                now,
                TaskScheduledId=task.task_id,
                Reason=f"Activity function '{task.name}' failed: {message}",
                Details=str(details),
            )
        duration = (time.perf_counter() - started) * 1000
        if self._log_executions:
            self._log.info(
                "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", task.name, invocation_id, duration
            )
        return h.event(h.TASK_COMPLETED, now, TaskScheduledId=task.task_id, Result=output)


class _Outcome:
    def __init__(
        self,
        status: str,
        output: Any = None,
        custom_status: Any = None,
        replay: ReplayResult | None = None,
        failure_details: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.output = output
        self.custom_status = custom_status
        self.replay = replay
        self.failure_details = failure_details

    @classmethod
    def failed(cls, name: str, message: str, details: str, custom_status: Any = None) -> _Outcome:
        output = f"Orchestrator function '{name}' failed: {message}"
        failure = {"ErrorType": "OrchestrationFailureException", "ErrorMessage": message, "StackTrace": details}
        return cls(status="Failed", output=output, custom_status=custom_status, failure_details=failure)


def _refuse_running(existing: InstanceRow | None) -> None:
    if existing is not None and existing.runtime_status not in TERMINAL_STATUSES:
        status = existing.runtime_status
        raise InstanceExistsError(f"An Orchestration instance with the status {status} already exists.")


def _new_row(instance_id: str, name: str, execution_id: str, raw_input: str | None, now: datetime) -> InstanceRow:
    return InstanceRow(
        instance_id=instance_id,
        name=name,
        execution_id=execution_id,
        runtime_status="Pending",
        input=raw_input,
        output=None,
        custom_status=None,
        failure_details=None,
        created_time=h.format_time(now),
        last_updated_time=h.format_time(now),
    )


def _compact_json(value: Any) -> str | None:
    """JSON the way the extension serializes a custom status (Newtonsoft, no whitespace)."""
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _execution_started(name: str, instance_id: str, execution_id: str, raw_input: str | None, now: datetime) -> dict:
    return h.event(
        h.EXECUTION_STARTED,
        now,
        Name=name,
        Version="",
        Input=raw_input,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=None,
        Tags=None,
    )


def _context_input(raw_input: str | None) -> Any:
    """What the extension hands the SDK: the parsed ExecutionStarted input (the SDK re-serializes objects)."""
    if raw_input is None:
        return None
    try:
        value = json.loads(raw_input)
    except ValueError:
        return raw_input
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _split_sdk_error(exc: Exception) -> tuple[str, dict[str, Any] | None]:
    """The SDK raises "<message>\\n\\n$OutOfProcData$:<state json>" for an unhandled orchestrator exception."""
    text = str(exc)
    if _OUT_OF_PROC_MARKER not in text:
        return (text or type(exc).__name__), None
    message, _, data = text.partition(_OUT_OF_PROC_MARKER)
    try:
        state = json.loads(data)
    except ValueError:
        state = None
    return (message or type(exc).__name__), state if isinstance(state, dict) else None


def _has_continue_as_new(actions: list[Any]) -> bool:
    def walk(items: list[Any]) -> bool:
        for item in items:
            if isinstance(item, list):
                if walk(item):
                    return True
            elif isinstance(item, dict) and (item.get("actionType") == 4 or walk(item.get("compoundActions") or [])):
                return True
        return False

    return walk(actions)


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _status_payload(row: InstanceRow, show_input: bool) -> dict[str, Any]:
    return {
        "name": row.name,
        "instanceId": row.instance_id,
        "runtimeStatus": row.runtime_status,
        "input": _loads(row.input) if show_input else None,
        "customStatus": _loads(row.custom_status),
        "output": _loads(row.output),
        "createdTime": h.format_status_time(h.parse_time(row.created_time)),
        "lastUpdatedTime": h.format_status_time(h.parse_time(row.last_updated_time)),
    }


def _public_history(events: list[dict[str, Any]], show_output: bool) -> list[dict[str, Any]]:
    """The showHistory shape of the real API: replay bookkeeping removed, names as strings, outputs on request."""
    scheduled = {e["EventId"]: e for e in events if e["EventType"] == h.TASK_SCHEDULED}
    public: list[dict[str, Any]] = []
    for event in events:
        event_type = event["EventType"]
        if event_type in (h.ORCHESTRATOR_STARTED, h.ORCHESTRATOR_COMPLETED, h.TASK_SCHEDULED):
            continue
        item: dict[str, Any] = {"EventType": h.EVENT_TYPE_NAMES.get(event_type, str(event_type))}
        if event_type == h.EXECUTION_STARTED:
            item["FunctionName"] = event.get("Name")
        elif event_type in (h.TASK_COMPLETED, h.TASK_FAILED):
            origin = scheduled.get(event.get("TaskScheduledId"), {})
            item["FunctionName"] = origin.get("Name")
            item["ScheduledTime"] = origin.get("Timestamp")
            if event_type == h.TASK_COMPLETED and show_output:
                item["Result"] = _loads(event.get("Result"))
            if event_type == h.TASK_FAILED:
                item["Reason"] = event.get("Reason")
                item["Details"] = event.get("Details")
        elif event_type in (h.TIMER_CREATED, h.TIMER_FIRED):
            item["FireAt"] = event.get("FireAt")
        elif event_type == h.EVENT_RAISED:
            item["Name"] = event.get("Name")
            if show_output:
                item["Input"] = _loads(event.get("Input"))
        elif event_type == h.EXECUTION_COMPLETED:
            codes = {v: k for k, v in h.ORCHESTRATION_STATUS_CODES.items()}
            item["OrchestrationStatus"] = codes.get(event.get("OrchestrationStatus"), "Completed")
            if show_output:
                item["Result"] = _loads(event.get("Result"))
        elif event_type in (h.EXECUTION_TERMINATED, h.EXECUTION_SUSPENDED, h.EXECUTION_RESUMED):
            item["Input"] = event.get("Input")
        item["Timestamp"] = event.get("Timestamp")
        public.append(item)
    return public
