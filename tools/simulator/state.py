"""In-memory state of the simulated service: operations, analyzers, injected faults, counters."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .options import SimulatorOptions
from .results import (
    DEFAULT_MODEL_DEPLOYMENTS,
    PREBUILT_ANALYZERS,
    SUPPORTED_MODELS,
    prebuilt_models,
    required_models,
)

OUTCOMES = frozenset({"succeeded", "failed", "canceled", "stuck"})
NOT_STARTED_FRACTION = 0.1


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ScenarioControls:
    """Per-analysis behaviour, read from the first input URL's query string (sim_* parameters)."""

    duration: float
    outcome: str = "succeeded"
    throttle: int = 0
    retry_after: float = 1.0
    fail: int = 0
    result_kb: float = 0.0


@dataclass
class Operation:
    id: str
    analyzer_id: str
    api_version: str
    inputs: list[dict[str, Any]]
    controls: ScenarioControls
    created_monotonic: float
    created_at: str
    string_encoding: str = "codePoint"
    signature: str | None = None
    throttle_left: int = 0
    fail_left: int = 0
    result_cache: dict[str, Any] | None = None
    # Reading the input (loopback URLs only, see sources.py): "unread" (nothing to read), "reading", "read",
    # or "unreadable" with source_error saying why.
    source: str = "unread"
    source_error: str | None = None

    def status_at(self, now: float) -> str:
        elapsed = now - self.created_monotonic
        duration = self.controls.duration
        if self.source == "unreadable":
            return "Failed"
        if elapsed < duration * NOT_STARTED_FRACTION:
            return "NotStarted"
        if self.controls.outcome == "stuck" or elapsed < duration or self.source == "reading":
            return "Running"
        return {"succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled"}[self.controls.outcome]


@dataclass
class Stats:
    analyze_calls: int = 0
    status_calls: int = 0
    delete_calls: int = 0
    status_calls_by_operation: Counter = field(default_factory=Counter)
    responses_by_status: Counter = field(default_factory=Counter)
    status_hosts: Counter = field(default_factory=Counter)
    connections: int = 0
    operations_created: int = 0
    jwks_calls: int = 0
    source_fetches: int = 0
    # x-ms-client-request-id values received, in order, with the method and path (never the query string).
    client_requests: list = field(default_factory=list)
    processing_locations: Counter = field(default_factory=Counter)  # analyze calls by processingLocation


class SimulatorState:
    """All mutable state behind one lock: handlers run on the server's loop, the handle's calls on other threads."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self.lock = threading.RLock()
        self.operations: dict[str, Operation] = {}
        self.custom_analyzers: dict[str, dict[str, Any]] = {}
        self.stats = Stats()
        self.submit_fail_left = options.submit_fail
        self.submit_fail_status = options.submit_fail_status
        self.submit_throttle_left = options.submit_throttle
        self.submit_retry_after = options.submit_retry_after
        self.model_deployments: dict[str, str] = dict(DEFAULT_MODEL_DEPLOYMENTS) if options.default_models else {}
        for analyzer_id in options.analyzers:
            self.put_analyzer(analyzer_id, {"description": "pre-created by --analyzers"})

    # ---- analyzers

    def analyzer_exists(self, analyzer_id: str) -> bool:
        with self.lock:
            return analyzer_id in PREBUILT_ANALYZERS or analyzer_id in self.custom_analyzers

    def get_analyzer(self, analyzer_id: str) -> dict[str, Any] | None:
        with self.lock:
            if analyzer_id in self.custom_analyzers:
                return dict(self.custom_analyzers[analyzer_id])
            if analyzer_id in PREBUILT_ANALYZERS:
                resource: dict[str, Any] = {
                    "analyzerId": analyzer_id,
                    "description": PREBUILT_ANALYZERS[analyzer_id],
                    "status": "ready",
                    "createdAt": "2025-11-01T00:00:00Z",
                    "lastModifiedAt": "2025-11-01T00:00:00Z",
                    "warnings": [],
                    "tags": {},
                }
                if required_models(analyzer_id, None):
                    resource["models"] = prebuilt_models(analyzer_id)
                    resource["supportedModels"] = {kind: list(names) for kind, names in SUPPORTED_MODELS.items()}
                return resource
            return None

    def list_analyzers(self) -> list[dict[str, Any]]:
        with self.lock:
            ids = sorted(PREBUILT_ANALYZERS) + sorted(self.custom_analyzers)
        return [a for a in (self.get_analyzer(i) for i in ids) if a is not None]

    def put_analyzer(self, analyzer_id: str, definition: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a custom analyzer; returns (resource, created)."""
        now = utc_now_iso()
        with self.lock:
            existing = self.custom_analyzers.get(analyzer_id)
            resource = {
                key: value
                for key, value in definition.items()
                if key not in {"analyzerId", "status", "createdAt", "lastModifiedAt", "warnings"}
            }
            resource.update(
                {
                    "analyzerId": analyzer_id,
                    "status": "ready",
                    "createdAt": existing["createdAt"] if existing else now,
                    "lastModifiedAt": now,
                    "warnings": [],
                }
            )
            resource.setdefault("tags", {})
            self.custom_analyzers[analyzer_id] = resource
            return dict(resource), existing is None

    def delete_analyzer(self, analyzer_id: str) -> bool:
        with self.lock:
            return self.custom_analyzers.pop(analyzer_id, None) is not None

    # ---- resource defaults (GET/PATCH /contentunderstanding/defaults)

    def defaults(self) -> dict[str, Any]:
        with self.lock:
            return {"modelDeployments": dict(self.model_deployments)}

    def update_defaults(self, patch: dict[str, Any]) -> dict[str, Any]:
        """JSON merge patch of modelDeployments: a null value removes that model's default."""
        with self.lock:
            deployments = patch.get("modelDeployments")
            if deployments is None and "modelDeployments" in patch:
                self.model_deployments.clear()
            elif isinstance(deployments, dict):
                for model, deployment in deployments.items():
                    if deployment is None:
                        self.model_deployments.pop(model, None)
                    else:
                        self.model_deployments[model] = deployment
            return {"modelDeployments": dict(self.model_deployments)}

    def missing_models(self, analyzer_id: str, overrides: dict[str, str]) -> list[str]:
        """Models the analyzer needs that neither the resource defaults nor the request map to a deployment."""
        analyzer = self.get_analyzer(analyzer_id)
        with self.lock:
            available = {**self.model_deployments, **overrides}
        return [model for model in required_models(analyzer_id, analyzer) if not available.get(model)]

    # ---- operations

    def create_operation(
        self,
        analyzer_id: str,
        api_version: str,
        inputs: list[dict[str, Any]],
        controls: ScenarioControls,
        string_encoding: str = "codePoint",
    ) -> Operation:
        operation = Operation(
            id=str(uuid.uuid4()),
            analyzer_id=analyzer_id,
            api_version=api_version,
            inputs=inputs,
            controls=controls,
            created_monotonic=time.monotonic(),
            created_at=utc_now_iso(),
            string_encoding=string_encoding,
            signature=uuid.uuid4().hex if self.options.signed_operation_location else None,
            throttle_left=controls.throttle,
            fail_left=controls.fail,
        )
        with self.lock:
            self.operations[operation.id] = operation
            self.stats.operations_created += 1
        return operation

    def get_operation(self, operation_id: str) -> Operation | None:
        with self.lock:
            return self.operations.get(operation_id)

    def delete_operation(self, operation_id: str) -> bool:
        with self.lock:
            return self.operations.pop(operation_id, None) is not None

    # ---- injected submit faults

    def take_submit_fault(self) -> tuple[int, float | None] | None:
        """Consume one armed submit fault: (status, retry_after) or None."""
        with self.lock:
            if self.submit_throttle_left > 0:
                self.submit_throttle_left -= 1
                return 429, self.submit_retry_after
            if self.submit_fail_left > 0:
                self.submit_fail_left -= 1
                return self.submit_fail_status, None
            return None

    def configure(self, settings: dict[str, Any]) -> None:
        """Arm faults at runtime (POST /_sim/config)."""
        with self.lock:
            if "submit_fail" in settings:
                self.submit_fail_left = int(settings["submit_fail"])
            if "submit_fail_status" in settings:
                self.submit_fail_status = int(settings["submit_fail_status"])
            if "submit_throttle" in settings:
                self.submit_throttle_left = int(settings["submit_throttle"])
            if "submit_retry_after" in settings:
                self.submit_retry_after = float(settings["submit_retry_after"])
            if "duration" in settings:
                self.options.duration = float(settings["duration"])

    # ---- counters

    def count_connection(self) -> None:
        with self.lock:
            self.stats.connections += 1

    def count_jwks_call(self) -> None:
        with self.lock:
            self.stats.jwks_calls += 1

    def record_client_request(self, method: str, path: str, request_id: str | None) -> None:
        with self.lock:
            if len(self.stats.client_requests) < 10_000:
                self.stats.client_requests.append([method, path, request_id])

    def count_response(self, status: int) -> None:
        with self.lock:
            self.stats.responses_by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            s = self.stats
            return {
                "analyze_calls": s.analyze_calls,
                "status_calls": s.status_calls,
                "delete_calls": s.delete_calls,
                "status_calls_by_operation": dict(s.status_calls_by_operation),
                "responses_by_status": dict(s.responses_by_status),
                "status_hosts": dict(s.status_hosts),
                "connections": s.connections,
                "operations": len(self.operations),
                "operations_created": s.operations_created,
                "custom_analyzers": sorted(self.custom_analyzers),
                "jwks_calls": s.jwks_calls,
                "source_fetches": s.source_fetches,
                "client_requests": list(s.client_requests),
                "processing_locations": dict(s.processing_locations),
            }

    def reset(self) -> None:
        """Clear counters, operations and armed submit faults; custom analyzers stay."""
        with self.lock:
            self.stats = Stats()
            self.operations.clear()
            self.submit_fail_left = 0
            self.submit_throttle_left = 0
