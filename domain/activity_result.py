"""The one result shape both activities return, so the orchestrator handles trouble in one way.

An activity never raises for service trouble: it answers `ok` with a value, `transient` (trying again
later may work; the service's Retry-After rides along) or `permanent` (the service refused; repeating the
same request will not help). Plain JSON, because it is written into the orchestration history.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = "ok"
TRANSIENT = "transient"
PERMANENT = "permanent"


@dataclass(frozen=True)
class ActivityResult:
    kind: str
    value: dict | None = None
    error: dict | None = None  # {"code", "message", "target"?, "innerCode"?}
    retry_after: float | None = None

    @classmethod
    def ok(cls, value: dict) -> ActivityResult:
        return cls(OK, value=value)

    @classmethod
    def transient(cls, error: dict, retry_after: float | None = None) -> ActivityResult:
        return cls(TRANSIENT, error=error, retry_after=retry_after)

    @classmethod
    def permanent(cls, error: dict) -> ActivityResult:
        return cls(PERMANENT, error=error)

    @property
    def is_ok(self) -> bool:
        return self.kind == OK

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "error": self.error, "retryAfter": self.retry_after}

    @classmethod
    def from_dict(cls, data: object) -> ActivityResult:
        """Read an activity's answer; anything unreadable counts as a transient failure, never a crash."""
        if not isinstance(data, dict) or data.get("kind") not in (OK, TRANSIENT, PERMANENT):
            return cls.transient({"code": "MalformedActivityResult", "message": "The activity answered nonsense."})
        retry_after = data.get("retryAfter")
        return cls(
            data["kind"],
            value=data.get("value"),
            error=data.get("error"),
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        )
