"""Every answer the e2e suite receives from the app is checked against http_api/openapi.json.

`checking_responses()` patches requests.Session.send (which requests.get/post/... use too) for as long as it
is active: each response to a path the document describes is validated with openapi-core, and a mismatch
raises ContractViolation (an AssertionError) in the test that made the call. Responses to paths the
document does not describe (the simulator, devhost's /admin endpoints) pass unchecked, and so do the
host's own answers to a URL that matches no function's route (an empty analyzer or operation id segment) and
to a body over its FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 404 / 413 with an empty body and no Content-Type, which
the Functions host gives before the app is involved (the document says so in its description). Violations
are also kept, so a test that swallows the exception still fails at teardown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import PathNotFound, ServerNotFound

from http_api.openapi_document import OPENAPI_FILE

ORIGINAL_SEND = requests.Session.send


class ContractViolation(AssertionError):
    """The app answered something its OpenAPI document does not allow."""


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(OPENAPI_FILE))


def host_found_no_route(response: requests.Response) -> bool:
    """The Functions host's own answers, before the app: 404 when no function's route matches, 413 for a body
    over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (set above MAX_REQUEST_BYTES); empty, no Content-Type."""
    return response.status_code in (404, 413) and not response.content and "Content-Type" not in response.headers


def violations_of(response: requests.Response) -> list[str] | None:
    """The document's complaints about one response; None when the document does not describe its path."""
    if host_found_no_route(response):
        return None
    request = RequestsOpenAPIRequest(response.request)
    response_adapter = RequestsOpenAPIResponse(response)
    try:
        errors = list(openapi().iter_response_errors(request, response_adapter))
    except (PathNotFound, ServerNotFound):
        return None
    if any(isinstance(error, (PathNotFound, ServerNotFound)) for error in errors):
        return None
    return [_describe(error) for error in errors]


def _describe(error: Exception) -> str:
    text = str(error) if str(error).startswith(type(error).__name__) else f"{type(error).__name__}: {error}"
    for cause in getattr(error, "schema_errors", None) or ([error.__cause__] if error.__cause__ else []):
        for detail in getattr(cause, "schema_errors", None) or [cause]:
            path = "/".join(str(p) for p in getattr(detail, "absolute_path", []) or [])
            text += f"\n    - {getattr(detail, 'message', detail)}" + (f" (at {path})" if path else "")
    return text


def check(response: requests.Response) -> str | None:
    """A readable failure message, or None when the response matches the document (or is not described)."""
    complaints = violations_of(response)
    if not complaints:
        return None
    body = response.text if len(response.text) <= 2000 else response.text[:2000] + "..."
    return (
        f"{response.request.method} {response.request.url} answered {response.status_code}, "
        f"which http_api/openapi.json does not allow:\n  " + "\n  ".join(complaints) + f"\n  headers: "
        f"{dict(response.headers)}\n  body: {body}"
    )


@contextmanager
def checking_responses() -> Iterator[list[str]]:
    """Check every response received while active; yields the list of violations seen (for teardown)."""
    seen: list[str] = []
    lock = threading.Lock()
    original_send = ORIGINAL_SEND

    def send(session: requests.Session, request: requests.PreparedRequest, **kwargs):
        response = original_send(session, request, **kwargs)
        if kwargs.get("stream"):
            return response  # the body is the caller's to read; nothing here reads streamed answers
        failure = check(response)
        if failure:
            with lock:
                seen.append(failure)
            raise ContractViolation(failure)
        return response

    requests.Session.send = send
    try:
        yield seen
    finally:
        requests.Session.send = original_send
