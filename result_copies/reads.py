"""Serve a succeeded operation's body from its claim-check copy; read the service only to make the copy.

Concurrent GETs of one operation on one instance wait for one build (a lock per operation, one of
_LOCK_STRIPES), and the body of a recently read operation is held once in this process (RECENT_BODIES_BYTES,
shared by every request that serves it), so N concurrent GETs cost one copy in memory, not N, and never a
second round of service reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict

from config.per_process import per_process
from config.service_clients import content_understanding_client
from config.settings import get_settings
from domain.results_contract import merged_result
from result_copies.stores import CopyStore, ResultTooLarge, build_copy_store

RECENT_BODIES_BYTES = 64 * 1_048_576
TOO_LARGE_MARKER = b"\x00too-large:"  # a stored copy that only says how large the result was (never JSON)
_LOCK_STRIPES = 64

log = logging.getLogger("analysis.results")


class _RecentBodies:
    """Least recently used bodies, bounded by their total size (not Expiring: a body is dropped for room, never
    for age), and the locks that let one request per operation build a body while the others wait for it."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def building(self, key: str) -> threading.Lock:
        """The lock held while the body of `key` is built (striped: one per hex digest, not per operation)."""
        return self._building[int(key[-8:], 16) % _LOCK_STRIPES]

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            previous = self._bodies.pop(key, None)
            self._size -= len(previous or b"")
            self._bodies[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)


@per_process
def _store() -> CopyStore:
    settings = get_settings()
    return build_copy_store(
        settings.result_store, settings.result_store_connection_string, settings.durable_task_hub_name
    )


@per_process
def _recent() -> _RecentBodies:
    return _RecentBodies(RECENT_BODIES_BYTES)


def result_body(operation_id: str, locations: tuple[str, ...], request_id: str | None = None) -> bytes:
    """The 200 body of a succeeded operation (blocking: call it from a thread).

    ResultTooLarge when it exceeds MAX_RESULT_BYTES; the service client's TransientServiceError /
    PermanentServiceError when the copy must be made and the service cannot give the result.
    """
    key = copy_key(operation_id, locations)
    recent = _recent()
    body = recent.get(key)
    if body is None:
        with recent.building(key):
            body = recent.get(key)
            if body is None:
                body = _stored(key)
                if body is None:
                    body = _built(operation_id, locations, request_id)
                    _keep(key, body)
                recent.put(key, body)
    if body.startswith(TOO_LARGE_MARKER):
        raise ResultTooLarge(int(body[len(TOO_LARGE_MARKER) :] or 0), get_settings().max_result_bytes)
    return body


def copy_key(operation_id: str, locations: tuple[str, ...]) -> str:
    """The operation id plus a digest of its service operations: an id reused after a purge (the same
    Idempotency-Key later) names new analyses, so it never finds the old copy."""
    digest = hashlib.sha256("\n".join(locations).encode()).hexdigest()[:16]
    return f"{operation_id}-{digest}"


def _stored(operation_id: str) -> bytes | None:
    try:
        return _store().read(operation_id, get_settings().max_result_bytes)
    except ResultTooLarge as exc:  # made under a larger MAX_RESULT_BYTES: the cap holds for what is served too
        return TOO_LARGE_MARKER + str(exc.size).encode()
    except Exception as exc:  # the service still has the result: read it from there this time
        log.warning("[AnalysisResults] Reading the stored copy of %s failed: %s", operation_id, type(exc).__name__)
        return None


def _keep(operation_id: str, body: bytes) -> None:
    content_type = "application/octet-stream" if body.startswith(TOO_LARGE_MARKER) else "application/json"
    try:
        _store().write(operation_id, body, content_type)
    except Exception as exc:
        log.warning("[AnalysisResults] Keeping a copy of %s failed: %s", operation_id, type(exc).__name__)


def _built(operation_id: str, locations: tuple[str, ...], request_id: str | None) -> bytes:
    """Each file's result read from the service once, in input order, and merged; a marker when too large."""
    limit = get_settings().max_result_bytes
    client = content_understanding_client()
    bodies: list[bytes] = []
    total = 0
    for location in locations:
        body = client.fetch_result(location, request_id=request_id)
        total += len(body)
        if total > limit:
            return _too_large(operation_id, total, limit)
        bodies.append(body)
    if len(bodies) == 1:
        return bodies[0]  # the service's body, byte for byte
    parsed = [json.loads(body) for body in bodies]
    bodies.clear()
    merged = json.dumps(merged_result(operation_id, parsed), separators=(",", ":"), ensure_ascii=False).encode()
    if len(merged) > limit:
        return _too_large(operation_id, len(merged), limit)
    return merged


def _too_large(operation_id: str, size: int, limit: int) -> bytes:
    log.warning("[AnalysisResults] The result of %s exceeds MAX_RESULT_BYTES (%d > %d)", operation_id, size, limit)
    return TOO_LARGE_MARKER + str(size).encode()


def delete_copies_older_than(cutoff) -> int:
    """Retention: copies go with their operations (the purge timer)."""
    return _store().delete_older_than(cutoff)
