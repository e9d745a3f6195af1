"""Drive an orchestrator through the real Durable Functions SDK entry point with a scripted, virtual-time world.

Each episode hands the SDK a DTFx-shaped history as the host would; activities are answered by a
script and timers fire at exactly their FireAt, so deadlines can be checked to the second without
waiting for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tools.devhost.durable.history import (
    EXECUTION_STARTED,
    ORCHESTRATOR_COMPLETED,
    TASK_COMPLETED,
    TASK_FAILED,
    TASK_SCHEDULED,
    TIMER_CREATED,
    TIMER_FIRED,
)
from tools.devhost.durable.history import ORCHESTRATOR_STARTED as STARTED


class ActivityFailure(Exception):
    """Raise from a script to make the activity fail (a TaskFailed event)."""


@dataclass
class Run:
    output: object = None
    is_done: bool = False
    error: str | None = None
    custom_statuses: list = field(default_factory=list)
    calls: list = field(default_factory=list)  # (virtual seconds, activity name, input)
    events: int = 0  # the most history events any execution held (what a replay reads)
    executions: int = 1  # more than one when the orchestrator continued as new
    timers: list = field(default_factory=list)  # (virtual seconds when created, seconds until it fires)
    histories: list = field(default_factory=list)
    actions_by_episode: list = field(default_factory=list)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def flatten(actions: list) -> list[dict]:
    """The episode's actions one by one: groups (schema V1) and WhenAll/WhenAny compounds opened up."""
    flat = []
    for group in actions:
        for action in group if isinstance(group, list) else [group]:
            if isinstance(action, dict) and action.get("compoundActions"):
                flat.extend(flatten(action["compoundActions"]))
            else:
                flat.append(action)
    return flat


def replay(
    handle: Callable[[str], str],
    orchestration_input: dict,
    start: datetime,
    activity: Callable[[str, dict, float], object],
    instance_id: str = "op-test",
    max_episodes: int = 2000,
) -> Run:
    """Run to completion; `activity(name, input, elapsed_seconds)` returns a result or raises ActivityFailure."""
    run = Run()
    now = start
    event_id = 0
    history: list[dict] = []

    def event(event_type: int, **fields) -> dict:
        return {"EventType": event_type, "EventId": -1, "IsPlayed": False, "Timestamp": _iso(now), **fields}

    def execution_started() -> list[dict]:
        """The first episode's events of an execution (the first, or one the orchestrator continued as new)."""
        return [
            event(STARTED),
            event(
                EXECUTION_STARTED,
                Name="analysis_orchestrator",
                Version="",
                Input=json.dumps(orchestration_input),
                OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": f"exec-{run.executions}"},
            ),
        ]

    new_events = execution_started()
    scheduled = 0
    for _ in range(max_episodes):
        for old in history:
            old["IsPlayed"] = True
        history.extend(new_events)
        context = {
            "history": history,
            "input": json.dumps(orchestration_input),
            "instanceId": instance_id,
            "isReplaying": False,
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
        }
        payload = json.dumps(context)
        run.histories.append(payload)
        try:
            state = json.loads(handle(payload))
        except Exception as exc:
            run.error = str(exc)
            return run
        actions = flatten(state.get("actions") or [])
        run.actions_by_episode.append(actions)
        if state.get("customStatus") is not None:
            run.custom_statuses.append(state["customStatus"])
        history.append(event(ORCHESTRATOR_COMPLETED))
        run.events = max(run.events, len(history))
        if state.get("isDone"):
            continued = next((a for a in actions if a.get("actionType") == 4), None)  # ContinueAsNew
            if continued is None:
                run.output, run.is_done = state.get("output"), True
                return run
            # A new execution of the same instance: fresh history, the new input, the same clock.
            raw = continued.get("input")
            orchestration_input = json.loads(raw) if isinstance(raw, str) else raw
            run.executions += 1
            history, scheduled, event_id = [], 0, 0
            new_events = execution_started()
            continue
        fresh = actions[scheduled:]
        scheduled = len(actions)
        elapsed = (now - start).total_seconds()
        if all(a["actionType"] == 0 for a in fresh):  # CallActivity: one, or several side by side (task_all)
            outcomes = []
            for action in fresh:
                task_id, event_id = event_id, event_id + 1
                task_input = json.loads(action["input"]) if isinstance(action["input"], str) else action["input"]
                history.append(
                    event(TASK_SCHEDULED, EventId=task_id, Name=action["functionName"], Input=action["input"])
                )
                run.calls.append((elapsed, action["functionName"], task_input))
                try:
                    result = activity(action["functionName"], task_input, elapsed)
                    outcomes.append(event(TASK_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(result)))
                except ActivityFailure as exc:
                    outcomes.append(event(TASK_FAILED, TaskScheduledId=task_id, Reason=str(exc), Details=str(exc)))
            new_events = [event(STARTED), *outcomes]
        elif len(fresh) == 1 and fresh[0]["actionType"] == 5:  # CreateTimer
            action = fresh[0]
            task_id, event_id = event_id, event_id + 1
            history.append(event(TIMER_CREATED, EventId=task_id, FireAt=action["fireAt"]))
            fire_at = datetime.fromisoformat(action["fireAt"].replace("Z", "+00:00"))
            run.timers.append((elapsed, (fire_at - now).total_seconds()))
            now = max(now, fire_at)
            new_events = [event(STARTED), event(TIMER_FIRED, TimerId=task_id, FireAt=action["fireAt"])]
        else:
            raise AssertionError(f"unexpected actions {fresh}")
        run.events = max(run.events, len(history) + len(new_events))
    raise AssertionError("the orchestration did not finish within the episode budget")
