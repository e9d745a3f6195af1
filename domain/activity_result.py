"""The one result shape the activities return, so the orchestrator handles trouble in one way.

An activity never raises for service trouble: it answers `ok` with a value, `transient` (trying again
later may work; the service's Retry-After rides along) or `permanent` (the service refused; repeating the
same request will not help). Plain JSON, because it is written into the orchestration history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.orchestration_data import ErrorDetail

OK = "ok"
TRANSIENT = "transient"
PERMANENT = "permanent"


@dataclass(frozen=True)
class ActivityResult:
    kind: str
    value: Any = None  # the activity's answer: SubmitAccepted, CheckedStatus, ... (domain.orchestration_data)
    error: ErrorDetail | None = None
    retry_after: float | None = None

    @classmethod
    def ok(cls, value: Any) -> ActivityResult:
        return cls(OK, value=value)

    @classmethod
    def transient(cls, error: ErrorDetail, retry_after: float | None = None) -> ActivityResult:
        return cls(TRANSIENT, error=error, retry_after=retry_after)

    @classmethod
    def permanent(cls, error: ErrorDetail) -> ActivityResult:
        return cls(PERMANENT, error=error)

    @property
    def is_ok(self) -> bool:
        return self.kind == OK

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "error": self.error, "retryAfter": self.retry_after}

    @classmethod
    def from_dict(cls, data: dict) -> ActivityResult:
        """An answer our activities wrote with to_dict."""
        retry_after = data.get("retryAfter")
        retry_after = float(retry_after) if retry_after is not None else None
        return cls(data["kind"], value=data.get("value"), error=data.get("error"), retry_after=retry_after)
