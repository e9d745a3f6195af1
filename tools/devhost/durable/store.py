"""SQLite persistence for the durable engine: instances, history, an inbox of messages, activity work items.

Everything an episode changes is written in one transaction, so a process killed at any point restarts
from a consistent state: unfinished activity work items are run again and inbox messages (activity
results, due timers, raised events, termination requests) are delivered again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    runtime_status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    failure_details TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_time);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, position)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    visible_at TEXT NOT NULL,
    held INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_instance ON messages(instance_id, visible_at);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(visible_at);
CREATE TABLE IF NOT EXISTS activity_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
CREATE INDEX IF NOT EXISTS activity_tasks_by_instance ON activity_tasks(instance_id);
"""

# Message kinds: "start" (ExecutionStarted), "event" (TaskCompleted/TaskFailed/TimerFired/EventRaised),
# "terminate", "suspend", "resume". A "held" message is in a queue nobody has polled yet (the azure-storage
# profile's timers and terminate requests): it is not delivered until the engine's queue poller releases it.


@dataclass
class InstanceRow:
    instance_id: str
    name: str
    execution_id: str
    runtime_status: str
    input: str | None
    output: str | None
    custom_status: str | None
    failure_details: str | None
    created_time: str
    last_updated_time: str


@dataclass
class Message:
    id: int
    instance_id: str
    execution_id: str | None
    kind: str
    event: dict[str, Any]
    visible_at: str


@dataclass
class ActivityTask:
    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


class Store:
    """One connection, used only from the engine's event-loop thread (statements are short)."""

    def __init__(self, db_path: Path) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (only an OS crash can lose the last commits).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(messages)").fetchall()}
        if "held" not in columns:  # a state file written before the backend profiles existed
            self._conn.execute("ALTER TABLE messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ----------------------------------------------------------------------------------------- instances

    def get_instance(self, instance_id: str) -> InstanceRow | None:
        row = self._conn.execute("SELECT * FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
        return InstanceRow(**dict(row)) if row else None

    def query_instances(
        self, created_from: str | None, created_to: str | None, statuses: list[str] | None
    ) -> list[InstanceRow]:
        sql = "SELECT * FROM instances WHERE 1=1"
        params: list[Any] = []
        if created_from is not None:
            sql += " AND created_time >= ?"
            params.append(created_from)
        if created_to is not None:
            sql += " AND created_time <= ?"
            params.append(created_to)
        if statuses:
            sql += f" AND runtime_status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        sql += " ORDER BY created_time, instance_id"
        return [InstanceRow(**dict(r)) for r in self._conn.execute(sql, params).fetchall()]

    @staticmethod
    def upsert_instance(conn: sqlite3.Connection, row: InstanceRow) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.instance_id,
                row.name,
                row.execution_id,
                row.runtime_status,
                row.input,
                row.output,
                row.custom_status,
                row.failure_details,
                row.created_time,
                row.last_updated_time,
            ),
        )

    @staticmethod
    def delete_instance(conn: sqlite3.Connection, instance_id: str) -> None:
        for table in ("instances", "history", "messages", "activity_tasks"):
            conn.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))  # noqa: S608

    # ------------------------------------------------------------------------------------------- history

    def load_history(self, instance_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT event FROM history WHERE instance_id = ? ORDER BY position", (instance_id,)
        ).fetchall()
        return [json.loads(r["event"]) for r in rows]

    @staticmethod
    def append_history(conn: sqlite3.Connection, instance_id: str, start: int, events: list[dict[str, Any]]) -> None:
        conn.executemany(
            "INSERT INTO history (instance_id, position, event) VALUES (?, ?, ?)",
            [(instance_id, start + i, json.dumps(e)) for i, e in enumerate(events)],
        )

    @staticmethod
    def clear_history(conn: sqlite3.Connection, instance_id: str) -> None:
        conn.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    # ------------------------------------------------------------------------------------------ messages

    @staticmethod
    def add_message(
        conn: sqlite3.Connection,
        instance_id: str,
        execution_id: str | None,
        kind: str,
        event: dict[str, Any],
        visible_at: str,
        *,
        held: bool = False,
    ) -> None:
        conn.execute(
            "INSERT INTO messages (instance_id, execution_id, kind, event, visible_at, held) VALUES (?, ?, ?, ?, ?, ?)",
            (instance_id, execution_id, kind, json.dumps(event), visible_at, int(held)),
        )

    def due_messages(self, instance_id: str, now: str) -> list[Message]:
        rows = self._conn.execute(
            "SELECT * FROM messages WHERE instance_id = ? AND visible_at <= ? AND held = 0 ORDER BY id",
            (instance_id, now),
        ).fetchall()
        return [_message(r) for r in rows]

    def release_held(self, now: str) -> list[str]:
        """The queue poller found the held messages that are visible by now: deliver them; their instances."""
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT DISTINCT instance_id FROM messages WHERE held = 1 AND visible_at <= ?", (now,)
            ).fetchall()
            conn.execute("UPDATE messages SET held = 0 WHERE held = 1 AND visible_at <= ?", (now,))
        return [r["instance_id"] for r in rows]

    @staticmethod
    def delete_messages(conn: sqlite3.Connection, ids: list[int]) -> None:
        conn.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])

    @staticmethod
    def delete_timer_messages(
        conn: sqlite3.Connection, instance_id: str, execution_id: str, timer_ids: set[int]
    ) -> None:
        rows = conn.execute(
            "SELECT id, event FROM messages WHERE instance_id = ? AND execution_id = ? AND kind = 'event'",
            (instance_id, execution_id),
        ).fetchall()
        doomed = [r["id"] for r in rows if json.loads(r["event"]).get("TimerId") in timer_ids]
        Store.delete_messages(conn, doomed)

    def runnable_instances(self, now: str) -> list[str]:
        """Instances with a due message that can be processed now (a suspended one only takes control messages)."""
        rows = self._conn.execute(
            "SELECT DISTINCT m.instance_id FROM messages m LEFT JOIN instances i USING (instance_id) "
            "WHERE m.visible_at <= ? AND m.held = 0 AND (i.runtime_status IS NULL OR i.runtime_status != 'Suspended' "
            "OR m.kind IN ('terminate', 'resume'))",
            (now,),
        ).fetchall()
        return [r["instance_id"] for r in rows]

    def has_runnable_message(self, instance_id: str, now: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM messages m LEFT JOIN instances i USING (instance_id) "
            "WHERE m.instance_id = ? AND m.visible_at <= ? AND m.held = 0 AND (i.runtime_status IS NULL "
            "OR i.runtime_status != 'Suspended' OR m.kind IN ('terminate', 'resume')) LIMIT 1",
            (instance_id, now),
        ).fetchone()
        return row is not None

    def future_message_times(self, now: str) -> list[tuple[str, str]]:
        rows = self._conn.execute(
            "SELECT visible_at, instance_id FROM messages WHERE visible_at > ? AND held = 0", (now,)
        ).fetchall()
        return [(r["visible_at"], r["instance_id"]) for r in rows]

    # ------------------------------------------------------------------------------------ activity tasks

    @staticmethod
    def add_activity_task(
        conn: sqlite3.Connection, instance_id: str, execution_id: str, task_id: int, name: str, input_json: str | None
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO activity_tasks (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)",
            (instance_id, execution_id, task_id, name, input_json),
        )
        return int(cursor.lastrowid or 0)

    def all_activity_tasks(self) -> list[ActivityTask]:
        rows = self._conn.execute("SELECT * FROM activity_tasks ORDER BY id").fetchall()
        return [ActivityTask(**dict(r)) for r in rows]

    @staticmethod
    def take_activity_task(conn: sqlite3.Connection, task_row_id: int) -> bool:
        """Removes a finished work item; False when it is gone (instance terminated, purged or restarted)."""
        return conn.execute("DELETE FROM activity_tasks WHERE id = ?", (task_row_id,)).rowcount == 1

    @staticmethod
    def delete_activity_tasks(conn: sqlite3.Connection, instance_id: str) -> None:
        conn.execute("DELETE FROM activity_tasks WHERE instance_id = ?", (instance_id,))


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        instance_id=row["instance_id"],
        execution_id=row["execution_id"],
        kind=row["kind"],
        event=json.loads(row["event"]),
        visible_at=row["visible_at"],
    )
