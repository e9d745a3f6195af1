"""The app's three endpoints over HTTP, and nothing else. Every answer comes back as an Answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

HTTP_TIMEOUT_SECONDS = 30.0


class Unreachable(Exception):
    """No HTTP answer at all: connection refused, DNS failure, HTTP timeout."""


@dataclass
class Answer:
    status: int
    body: object  # parsed JSON, or None when the body is empty or not JSON
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    @property
    def fields(self) -> dict:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class AnalysisApi:
    base_url: str
    token: str | None = None
    group_id: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "tools.cli"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.group_id:
            headers["X-Group-ID"] = self.group_id
        return {**headers, **(extra or {})}

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def _send(self, method: str, path: str, **kwargs) -> Answer:
        try:
            response = self.session.request(method, self._url(path), timeout=HTTP_TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {type(exc).__name__}: {exc}") from exc
        try:
            body = response.json() if response.content else None
        except (ValueError, json.JSONDecodeError):
            body = None
        return Answer(response.status_code, body, dict(response.headers))

    def analyze(
        self, analyzer_id: str, input_files: list[str], pages: str | None = None, idempotency_key: str | None = None
    ) -> Answer:
        body: dict = {"analyzerId": analyzer_id, "inputFiles": list(input_files)}
        if pages:
            body["pages"] = pages
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._send(
            "POST",
            f"/pro-mode/content-analyzers/{quote(analyzer_id, safe='')}:analyze",
            json=body,
            headers=self._headers(extra),
        )

    def results_path(self, analyzer_id: str, operation_id: str) -> str:
        return f"/pro-mode/content-analyzers/{quote(analyzer_id, safe='')}/results/{quote(operation_id, safe='')}"

    def results(self, analyzer_id: str, operation_id: str) -> Answer:
        return self._send("GET", self.results_path(analyzer_id, operation_id), headers=self._headers())

    def cancel(self, analyzer_id: str, operation_id: str) -> Answer:
        return self._send("DELETE", self.results_path(analyzer_id, operation_id), headers=self._headers())
