"""Exceptions the client raises; the split transient/permanent is what callers base retry decisions on."""

from __future__ import annotations

from domain.orchestration_data import ErrorDetail


def error_detail(code: str, message: str, target: str | None, inner_code: str | None) -> ErrorDetail:
    """A service error as plain data: code, message, and the target and innererror code when the service sent them."""
    detail: ErrorDetail = {"code": code, "message": message}
    if target:
        detail["target"] = target
    if inner_code:
        detail["innerCode"] = inner_code
    return detail


class ContentUnderstandingError(Exception):
    """Base error: `code`/`message` come from the service's error body when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        target: str | None = None,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.retry_after = retry_after
        self.target = target  # which part of the request the service blames, e.g. "inputs[0].url"
        self.inner_code = inner_code  # the service's innererror.code, e.g. InvalidContentSourceFormat

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"code={self.code}")
        if self.inner_code:
            parts.append(f"inner_code={self.inner_code}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        return " ".join(parts)

    def _kwargs(self) -> dict:
        return {
            "code": self.code,
            "http_status": self.http_status,
            "retry_after": self.retry_after,
            "target": self.target,
            "inner_code": self.inner_code,
        }

    def detail(self) -> ErrorDetail:
        """The refusal as plain data (what the orchestrator records)."""
        return error_detail(self.code or _code_for(self.http_status), self.message, self.target, self.inner_code)

    def __reduce__(self):
        # Keyword-only constructor args would otherwise be lost when the error is pickled across processes.
        return (_rebuild, (type(self), self.message, self._kwargs()))


def _code_for(http_status: int | None) -> str:
    return f"HTTP{http_status}" if http_status else "ServiceUnavailable"


def _rebuild(cls: type, message: str, kwargs: dict) -> ContentUnderstandingError:
    return cls(message, **kwargs)


class TransientServiceError(ContentUnderstandingError):
    """Retries inside the client were exhausted (or not allowed); trying again later may work.

    `ambiguous` is True when the request may already have been processed by the service
    (read timeout, 500, 502, 504, malformed success answer); False when it surely was not
    (connect failure, 429, 503).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
        target: str | None = None,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(
            message, code=code, http_status=http_status, retry_after=retry_after, target=target, inner_code=inner_code
        )
        self.ambiguous = ambiguous

    def _kwargs(self) -> dict:
        return {**super()._kwargs(), "ambiguous": self.ambiguous}


class PermanentServiceError(ContentUnderstandingError):
    """The service rejected the request (4xx other than 429); repeating it unchanged will not help."""
