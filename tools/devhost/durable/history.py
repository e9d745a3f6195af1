"""DTFx history events as the Python SDK reads them: PascalCase fields, numeric EventType, ISO UTC times."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# DurableTask.Core.History.EventType values (the SDK's HistoryEventType mirrors them).
EXECUTION_STARTED = 0
EXECUTION_COMPLETED = 1
EXECUTION_TERMINATED = 3
TASK_SCHEDULED = 4
TASK_COMPLETED = 5
TASK_FAILED = 6
TIMER_CREATED = 10
TIMER_FIRED = 11
ORCHESTRATOR_STARTED = 12
ORCHESTRATOR_COMPLETED = 13
EVENT_RAISED = 15
CONTINUE_AS_NEW = 16
EXECUTION_SUSPENDED = 19
EXECUTION_RESUMED = 20

EVENT_TYPE_NAMES = {
    0: "ExecutionStarted",
    1: "ExecutionCompleted",
    2: "ExecutionFailed",
    3: "ExecutionTerminated",
    4: "TaskScheduled",
    5: "TaskCompleted",
    6: "TaskFailed",
    7: "SubOrchestrationInstanceCreated",
    8: "SubOrchestrationInstanceCompleted",
    9: "SubOrchestrationInstanceFailed",
    10: "TimerCreated",
    11: "TimerFired",
    12: "OrchestratorStarted",
    13: "OrchestratorCompleted",
    14: "EventSent",
    15: "EventRaised",
    16: "ContinueAsNew",
    17: "GenericEvent",
    18: "HistoryState",
    19: "ExecutionSuspended",
    20: "ExecutionResumed",
}

# DurableTask.Core.OrchestrationStatus, as written into ExecutionCompleted events.
ORCHESTRATION_STATUS_CODES = {"Completed": 1, "ContinuedAsNew": 2, "Failed": 3, "Terminated": 5}

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, as the real HTTP API does."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    """Fixed-width UTC text: sorts like the instant it names, so SQLite can compare due times as strings."""
    return to_utc(value).strftime(_FORMAT)


def format_status_time(value: datetime) -> str:
    """The management API's createdTime/lastUpdatedTime shape (.NET "s" format + Z, no fraction)."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Accepts the SDK's `%Y-%m-%dT%H:%M:%S.%fZ`, plain ISO 8601 and years Python wrote without zero padding."""
    value = text.strip()
    date_part, sep, rest = value.partition("-")
    if sep and date_part.isdigit() and len(date_part) < 4:
        value = date_part.zfill(4) + "-" + rest
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    # fromisoformat accepts at most 6 fractional digits; .NET writes 7.
    if "." in value:
        head, _, tail = value.partition(".")
        digits = ""
        for char in tail:
            if not char.isdigit():
                break
            digits += char
        value = head + "." + digits[:6].ljust(6, "0") + tail[len(digits) :]
    return to_utc(datetime.fromisoformat(value))


def event(event_type: int, timestamp: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    """One history event; IsPlayed is set when the history is handed to the orchestrator."""
    return {
        "EventType": event_type,
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_time(timestamp),
        **fields,
    }
