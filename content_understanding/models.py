"""What the client returns: a submitted operation and one observation of its status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.analysis_outcome import SERVICE_STATUSES
from domain.orchestration_data import ErrorDetail

from .errors import error_detail

# The one version this app speaks (GA); the retired previews had another request shape.
DEFAULT_API_VERSION = "2025-11-01"
_CANONICAL_BY_LOWER = {name.lower(): name for name in SERVICE_STATUSES}


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

    def error_detail(self) -> ErrorDetail | None:
        """The failed analysis's error as plain data; None without one."""
        if not (self.error_code or self.error_message):
            return None
        return error_detail(
            self.error_code or "AnalysisFailed", self.error_message or "", self.error_target, self.error_inner_code
        )
