"""The one way the HTTP layer refuses a request: raise Refusal; http_api.responses.answered turns it into the body.

Validation, identity and scope checks raise a Refusal (or a subclass naming where it came from) with the HTTP
status, a machine-readable code, a sentence a person can read and any headers the answer needs; nothing else
decides a refusal's status.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
