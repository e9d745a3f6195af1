"""REST client for Azure AI Content Understanding (GA 2025-11-01): submit, poll once, delete.

Designed for a submit-now / check-later flow: every public call is one logical request with
bounded, in-client retries; the caller (a durable orchestration) owns the long waits.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .auth import BearerTokenAuth, KeyAuth, TokenCredentialLike
from .errors import ContentUnderstandingError, PermanentServiceError, TransientServiceError
from .models import DEFAULT_API_VERSION, AnalysisOperation, AnalysisStatus, canonical_status
from .redaction import redact_text, url_path
from .retry import AMBIGUOUS_STATUS, RETRIABLE_STATUS, full_jitter_delay, parse_retry_after

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _MalformedResponse(Exception):
    """A success status whose body we cannot use (not JSON, wrong shape)."""


@dataclass
class _TransientFailure:
    message: str
    ambiguous: bool
    code: str | None = None
    http_status: int | None = None
    retry_after: float | None = None

    def to_error(self, attempts: int) -> TransientServiceError:
        return TransientServiceError(
            f"{self.message} (after {attempts} attempt(s))",
            code=self.code,
            http_status=self.http_status,
            retry_after=self.retry_after,
            ambiguous=self.ambiguous,
        )


class ContentUnderstandingClient:
    """The only place in the app that speaks the Content Understanding REST API."""

    def __init__(
        self,
        endpoint: str,
        *,
        key: str | None = None,
        credential: TokenCredentialLike | None = None,
        api_version: str = DEFAULT_API_VERSION,
        processing_location: str | None = None,
        session: requests.Session | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retry_total_seconds: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        user_agent: str = "content-analysis-functions",
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not endpoint or not endpoint.startswith(("http://", "https://")):
            raise ValueError("endpoint must be an http(s) URL")
        self.endpoint = endpoint.rstrip("/")
        self.api_version = api_version
        self.processing_location = processing_location
        self._auth = KeyAuth(key) if key else BearerTokenAuth(credential)
        self._session = session if session is not None else self._new_session()
        self._timeout = (connect_timeout, read_timeout)
        self._retry_total_seconds = retry_total_seconds
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._user_agent = user_agent
        self._sleep = sleep
        self._rng = rng

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        # Many activity threads share one client; a bigger pool keeps their connections alive.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------------ public API

    def submit(
        self,
        analyzer_id: str,
        input_url: str,
        *,
        pages: str | None = None,
        processing_location: str | None = None,
        request_id: str | None = None,
        time_budget_seconds: float | None = None,
    ) -> AnalysisOperation:
        """Start the analysis of one input (GA analyzes one input per request outside the retired pro mode).

        Retried inside only when the service surely did not process the request (connect
        failure, 429, 503). An ambiguous failure raises TransientServiceError(ambiguous=True):
        retrying it could start a second analysis. `processing_location` (else the client's) goes out as the
        `processingLocation` query parameter; unset leaves the service's default. `time_budget_seconds` bounds
        every wait, retries included.
        """
        if not input_url:
            raise ValueError("input_url must not be empty")
        item = {"url": input_url}
        if pages:
            item["range"] = pages
        url = f"{self.endpoint}/contentunderstanding/analyzers/{quote(analyzer_id, safe='')}:analyze"
        params = {"api-version": self.api_version}
        processing_location = processing_location or self.processing_location
        if processing_location:
            params["processingLocation"] = processing_location

        def parse(response: requests.Response) -> AnalysisOperation:
            if response.status_code != 202 and response.status_code != 200:
                raise _MalformedResponse(f"unexpected status {response.status_code} for analyze")
            body = _json_or_none(response)
            location = response.headers.get("Operation-Location")
            operation_id = body.get("id") if isinstance(body, dict) else None
            if not operation_id and location:
                operation_id = _operation_id_from_location(location)
            if not operation_id:
                raise _MalformedResponse("analyze answer has neither an id nor an Operation-Location")
            if not location:
                location = self.operation_for_id(str(operation_id)).operation_location
            return AnalysisOperation(operation_id=str(operation_id), operation_location=location)

        return self._call(
            "POST",
            url,
            params=params,
            json_body={"inputs": [item]},
            parse=parse,
            retry_ambiguous=False,
            request_id=request_id,
            time_budget_seconds=time_budget_seconds,
        )

    def get_status(self, operation: AnalysisOperation | str, *, request_id: str | None = None) -> AnalysisStatus:
        """One logical status GET of the Operation-Location URL, used exactly as the service returned it."""
        location = operation.operation_location if isinstance(operation, AnalysisOperation) else operation

        def parse(response: requests.Response) -> AnalysisStatus:
            body = _json_or_none(response)
            if not isinstance(body, dict) or not isinstance(body.get("status"), str):
                raise _MalformedResponse("status answer is not a JSON object with a string 'status'")
            status = canonical_status(body["status"])
            retry_after = parse_retry_after(response.headers)
            if status == "Succeeded":
                return AnalysisStatus(status=status, body=body, retry_after=retry_after)
            error = body.get("error") if isinstance(body.get("error"), dict) else None
            if status in ("Failed", "Canceled") and error:
                return AnalysisStatus(
                    status=status,
                    error_code=_str_or_none(error.get("code")),
                    error_message=_redacted_or_none(error.get("message")),
                    retry_after=retry_after,
                    error_target=_str_or_none(error.get("target")),
                    error_inner_code=_inner_code(error),
                )
            return AnalysisStatus(status=status, retry_after=retry_after)

        return self._call(
            "GET", location, params=None, json_body=None, parse=parse, retry_ambiguous=True, request_id=request_id
        )

    def fetch_result(self, operation: AnalysisOperation | str, *, request_id: str | None = None) -> bytes:
        """The finished analysis body as the service sent it (bytes, unparsed: results can be megabytes)."""
        location = operation.operation_location if isinstance(operation, AnalysisOperation) else operation

        def parse(response: requests.Response) -> bytes:
            if not response.content.lstrip().startswith(b"{"):
                raise _MalformedResponse("result answer is not a JSON object")
            return response.content

        return self._call(
            "GET", location, params=None, json_body=None, parse=parse, retry_ambiguous=True, request_id=request_id
        )

    def probe(self, timeout_seconds: float = 5.0) -> tuple[bool, bool | None, str | None]:
        """(reachable, credentials accepted, code): one cheap authenticated GET, no retries (health checks)."""
        url = f"{self.endpoint}/contentunderstanding/analyzers"
        try:
            response = self._session.get(
                url,
                params={"api-version": self.api_version},
                headers=self._headers(None),
                timeout=(min(self._timeout[0], timeout_seconds), timeout_seconds),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return False, None, type(exc).__name__
        except Exception as exc:  # e.g. no Entra credential available on this machine
            return True, False, type(exc).__name__
        if response.status_code in (401, 403):
            return True, False, _error_details(response)[0] or str(response.status_code)
        if response.status_code >= 500:
            return False, None, str(response.status_code)
        return True, response.status_code < 400, None if response.status_code < 400 else str(response.status_code)

    def operation_for_id(self, operation_id: str) -> AnalysisOperation:
        """The GA polling URL for an id this client did not submit (e.g. migrated state)."""
        location = (
            f"{self.endpoint}/contentunderstanding/analyzerResults/{quote(operation_id, safe='')}"
            f"?api-version={quote(self.api_version, safe='')}"
        )
        return AnalysisOperation(operation_id=operation_id, operation_location=location)

    # ------------------------------------------------------------------ transport

    def _headers(self, request_id: str | None) -> dict[str, str]:
        headers = {
            "x-ms-client-request-id": request_id or new_request_id(),
            "x-ms-useragent": self._user_agent,
            "User-Agent": self._user_agent,
            "Accept": "application/json",
        }
        headers.update(self._auth.headers())
        return headers

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None,
        json_body: Any,
        parse: Callable[[requests.Response], T],
        retry_ambiguous: bool,
        request_id: str | None = None,
        time_budget_seconds: float | None = None,
    ) -> T:
        budget = self._retry_total_seconds if time_budget_seconds is None else time_budget_seconds
        deadline = time.monotonic() + budget
        path = url_path(url)
        # One id per request (the Azure convention; its retries keep it): support correlates by it, and every
        # attempt's log line carries it next to the caller's operation id (the log context's properties).
        request_id = request_id or new_request_id()
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            failure: _TransientFailure
            timeout = self._timeout
            if time_budget_seconds is not None:
                # A call never waits past its budget: the caller's deadline (e.g. the analysis timeout) wins.
                left = max(deadline - started, 0.1)
                timeout = (min(self._timeout[0], left), min(self._timeout[1], left))
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=self._headers(request_id),
                    timeout=timeout,
                    allow_redirects=False,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                failure = _classify_network_error(exc)
                _log_attempt(
                    method, path, failure.code or "network-error", attempt, started, logging.WARNING, request_id
                )
            else:
                level = logging.INFO if response.status_code < 400 else logging.WARNING
                _log_attempt(method, path, response.status_code, attempt, started, level, request_id)
                if 200 <= response.status_code < 300:
                    try:
                        return parse(response)
                    except _MalformedResponse as exc:
                        failure = _TransientFailure(
                            str(exc),
                            ambiguous=True,
                            code="MalformedResponse",
                            http_status=response.status_code,
                        )
                elif response.status_code in RETRIABLE_STATUS:
                    code, message, target, inner_code = _error_details(response)
                    failure = _TransientFailure(
                        message,
                        ambiguous=response.status_code in AMBIGUOUS_STATUS,
                        code=code,
                        http_status=response.status_code,
                        retry_after=parse_retry_after(response.headers),
                    )
                else:
                    code, message, target, inner_code = _error_details(response)
                    logger.warning(
                        "CU %s %s refused: code=%s inner_code=%s target=%s request_id=%s",
                        method,
                        path,
                        code,
                        inner_code,
                        target,
                        request_id,
                    )
                    raise PermanentServiceError(
                        message, code=code, http_status=response.status_code, target=target, inner_code=inner_code
                    )

            if failure.ambiguous and not retry_ambiguous:
                raise failure.to_error(attempt)
            if attempt >= self._max_attempts:
                raise failure.to_error(attempt)
            delay = (
                failure.retry_after
                if failure.retry_after is not None
                else full_jitter_delay(attempt, self._backoff_base, self._backoff_max, self._rng)
            )
            if time.monotonic() + delay > deadline:
                raise failure.to_error(attempt)
            logger.info("CU %s %s retrying in %.2fs (attempt %d)", method, path, delay, attempt)
            self._sleep(delay)


# ---------------------------------------------------------------------- helpers


def new_request_id() -> str:
    """A fresh x-ms-client-request-id (a UUID, as the service expects)."""
    return str(uuid.uuid4())


def _log_attempt(
    method: str, path: str, status: int | str, attempt: int, started: float, level: int, request_id: str
) -> None:
    duration_ms = (time.monotonic() - started) * 1000.0
    logger.log(
        level,
        "CU %s %s -> %s attempt=%d duration_ms=%.0f request_id=%s",
        method,
        path,
        status,
        attempt,
        duration_ms,
        request_id,
        extra={"clientRequestId": request_id},
    )


def _classify_network_error(exc: Exception) -> _TransientFailure:
    """Connect failures surely did not reach the service; anything after the connect may have."""
    if isinstance(exc, requests.ConnectTimeout):
        return _TransientFailure("connect timeout", ambiguous=False, code="ConnectTimeout")
    if isinstance(exc, requests.ReadTimeout):
        return _TransientFailure("read timeout", ambiguous=True, code="ReadTimeout")
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    if isinstance(reason, NewConnectionError | ConnectTimeoutError):
        return _TransientFailure("connection failed", ambiguous=False, code="ConnectionFailed")
    if isinstance(exc, requests.Timeout):
        return _TransientFailure("timeout", ambiguous=True, code="Timeout")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return _TransientFailure("response body broken", ambiguous=True, code="ResponseBodyBroken")
    return _TransientFailure("connection broken", ambiguous=True, code="ConnectionBroken")


def _json_or_none(response: requests.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


def _redacted_or_none(value: Any) -> str | None:
    return redact_text(str(value)) if value is not None else None


def _inner_code(error: dict) -> str | None:
    """The innermost innererror.code: the most specific reason the service gives."""
    code = None
    inner = error.get("innererror")
    for _ in range(10):  # nested innererror objects; bounded against a hostile body
        if not isinstance(inner, dict):
            break
        code = _str_or_none(inner.get("code")) or code
        inner = inner.get("innererror")
    return code


def _error_details(response: requests.Response) -> tuple[str | None, str, str | None, str | None]:
    """Service error code, message, target and innererror code; else the x-ms-error-code header and HTTP reason."""
    body = _json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    code = message = target = inner_code = None
    if isinstance(error, dict):
        code = _str_or_none(error.get("code"))
        message = _redacted_or_none(error.get("message"))
        target = _str_or_none(error.get("target"))
        inner_code = _inner_code(error)
    code = code or response.headers.get("x-ms-error-code") or None
    reason = response.reason or "HTTP error"
    return code, message or f"{response.status_code} {reason}", target, inner_code


def _operation_id_from_location(location: str) -> str | None:
    path = urlsplit(location).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    return last or None


__all__ = ["ContentUnderstandingClient", "ContentUnderstandingError"]
