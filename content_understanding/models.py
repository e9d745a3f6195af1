"""What the client returns: a submitted operation and one observation of its status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_API_VERSION = "2025-11-01"
TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Canceled"})
KNOWN_STATUSES = ("NotStarted", "Running", "Succeeded", "Failed", "Canceled")
_CANONICAL_BY_LOWER = {name.lower(): name for name in KNOWN_STATUSES}


def canonical_status(raw: str) -> str:
    """Map any casing the service (or a sample) uses to the spec's spelling; unknown values pass through."""
    return _CANONICAL_BY_LOWER.get(raw.strip().lower(), raw)


@dataclass(frozen=True)
class AnalysisOperation:
    """A submitted analysis: its id plus the polling URL exactly as the service returned it."""

    operation_id: str
    operation_location: str


@dataclass(frozen=True)
class AnalysisStatus:
    """One observation of an operation; a Failed analysis is data here, not an exception."""

    status: str
    body: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    retry_after: float | None = None
    error_target: str | None = None
    error_inner_code: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def error_detail(self) -> dict | None:
        """The service's error as plain data (code, message, target, innererror code), None without one."""
        if not (self.error_code or self.error_message):
            return None
        detail = {"code": self.error_code or "AnalysisFailed", "message": self.error_message or ""}
        if self.error_target:
            detail["target"] = self.error_target
        if self.error_inner_code:
            detail["innerCode"] = self.error_inner_code
        return detail
