"""Timer triggers: fire each function on its NCRONTAB schedule (UTC), plus once at start when asked.

``useMonitor`` is ignored: schedule status is not persisted, so missed occurrences while the host was down
are not replayed (``past_due`` is only true when the host fell behind while running).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.functions import meta
from azure.functions.timer import TimerRequestConverter

from tools.devhost.indexing import FunctionSpec
from tools.devhost.invocation import REASON_HTTP, Invoker
from tools.devhost.ncrontab import Schedule, ScheduleError, parse_schedule
from tools.devhost.settings import SettingNotFoundError, resolve_setting_refs

log = logging.getLogger("devhost")

_PAST_DUE_TOLERANCE = timedelta(seconds=1)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class TimerFunction:
    spec: FunctionSpec
    schedule: Schedule
    run_on_startup: bool


def prepare_timers(specs: list[FunctionSpec]) -> list[TimerFunction]:
    """Resolve and parse schedules; a function with a bad schedule is reported and skipped (as the host does)."""
    timers = []
    for spec in specs:
        raw = str(spec.trigger.get("schedule") or "")
        try:
            schedule = parse_schedule(resolve_setting_refs(raw))
        except SettingNotFoundError as missing:
            log.error("Function '%s' skipped: schedule refers to undefined app setting %s", spec.name, missing)
            continue
        except ScheduleError as exc:
            log.error("Function '%s' skipped: invalid schedule: %s", spec.name, exc)
            continue
        timers.append(TimerFunction(spec, schedule, bool(spec.trigger.get("runOnStartup"))))
    return timers


class TimerScheduler:
    """One asyncio task per timer function; each fire is awaited before the next is scheduled."""

    def __init__(
        self,
        timers: list[TimerFunction],
        invoker: Invoker,
        durable_client_value: Callable[[str | None], str],
    ) -> None:
        self._timers = timers
        self._invoker = invoker
        self._durable_client_value = durable_client_value
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for timer in self._timers:
            self._tasks.append(asyncio.create_task(self._run(timer), name=f"timer:{timer.spec.name}"))

    def fire_now(self, function_name: str) -> bool:
        """Run one timer function at once (the admin API); False when there is no such timer."""
        wanted = function_name.casefold()
        timer = next((t for t in self._timers if t.spec.name.casefold() == wanted), None)
        if timer is None:
            return False
        fire = self._fire(timer, _utcnow(), past_due=False, reason=REASON_HTTP)
        self._tasks.append(asyncio.create_task(fire))
        return True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self, timer: TimerFunction) -> None:
        last: datetime | None = None
        if timer.run_on_startup:
            last = _utcnow()
            await self._fire(timer, last, past_due=False)
        while True:
            now = _utcnow()
            due = timer.schedule.next_after(last if last is not None and last > now else now)
            while (remaining := (due - _utcnow()).total_seconds()) > 0:
                await asyncio.sleep(remaining)  # loops because a sleep may wake a little early
            fired_at = _utcnow()
            await self._fire(timer, due, past_due=fired_at - due > _PAST_DUE_TOLERANCE, previous=last)
            last = due

    async def _fire(
        self,
        timer: TimerFunction,
        due: datetime,
        *,
        past_due: bool,
        previous: datetime | None = None,
        reason: str | None = None,
    ) -> None:
        status = {
            "Last": (previous or due).isoformat(),
            "Next": timer.schedule.next_after(due).isoformat(),
            "LastUpdated": due.isoformat(),
        }
        payload = json.dumps({"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status, "IsPastDue": past_due})
        request = TimerRequestConverter.decode(meta.Datum(type="json", value=payload), trigger_metadata=None)
        kwargs: dict[str, Any] = {timer.spec.trigger["name"]: request}
        for name, hub in timer.spec.durable_clients.items():
            kwargs[name] = self._durable_client_value(hub)
        reason = reason or f"Timer fired at {_utcnow().isoformat()}"
        with contextlib.suppress(Exception):  # already logged by the invoker; the schedule goes on
            await self._invoker.invoke(timer.spec, kwargs, reason)
