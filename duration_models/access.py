"""The process-wide store and the starter's short cache of plans' inputs.

A POST reads the analyzer's model at most once per CACHE_SECONDS per process, so it costs no storage call
most of the time; a failing store never fails a POST (the cold schedule, logged once per failure streak).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from config.settings import get_settings
from domain.duration_model import quantiles
from duration_models.store import DurationModelStore, StoreError, observation_entry

CACHE_SECONDS = 60.0
FAILURE_RETRY_SECONDS = 10.0

log = logging.getLogger("analysis.duration_models")
_lock = threading.Lock()
_store: DurationModelStore | None = None
_store_built = False
_cache: dict[str, tuple[float, dict | None]] = {}
_quantiles: dict[tuple[str, str], tuple[float, list | None]] = {}
_failing = False


def build_store(location: str | None, connection_string: str | None = None) -> DurationModelStore | None:
    if not location:
        return None
    if location.startswith("file:"):
        from duration_models.folder_store import FolderStore

        return FolderStore(Path(location[len("file:") :]))
    from duration_models.blob_store import BlobStore

    return BlobStore(location, connection_string)


def duration_model_store() -> DurationModelStore | None:
    """The configured store (DURATION_MODEL_STORE), None when unset."""
    global _store, _store_built
    if not _store_built:
        with _lock:
            if not _store_built:
                settings = get_settings()
                _store = build_store(settings.duration_model_store, settings.duration_model_connection_string)
                _store_built = True
    return _store


STALE = object()


def fresh_quantiles(analyzer_id: str, bucket: str, now: float | None = None) -> object:
    """The cached quantiles without any I/O, or STALE when they must be read (then call cached_quantiles)."""
    entry = _quantiles.get((analyzer_id, bucket))
    now = time.monotonic() if now is None else now
    return entry[1] if entry is not None and entry[0] > now else STALE


def cached_quantiles(analyzer_id: str, bucket: str, now: float | None = None) -> list | None:
    """The model's quantiles for this analyzer and size bucket, read at most once per CACHE_SECONDS; None when
    cold, unset or failing."""
    global _failing
    store = duration_model_store()
    if store is None:
        return None
    now = time.monotonic() if now is None else now
    entry = _quantiles.get((analyzer_id, bucket))
    if entry is not None and entry[0] > now:
        return entry[1]
    cached = _cache.get(analyzer_id)
    if cached is None or cached[0] <= now:
        try:
            document = store.read(analyzer_id)
            _failing = False
            cached = (now + CACHE_SECONDS, document)
        except (StoreError, Exception) as exc:
            if not _failing:
                log.warning("[AnalyzeContent] Duration models unavailable, cold schedule meanwhile: %s", exc)
            _failing = True
            cached = (now + FAILURE_RETRY_SECONDS, None)
        _cache[analyzer_id] = cached
    value = quantiles(cached[1], bucket)
    _quantiles[(analyzer_id, bucket)] = (cached[0], value)
    return value


def record_observations(analyzer_id: str, bucket: str, observations: list) -> bool:
    """Add finished analyses' durations to the shared model; False when there is no store."""
    store = duration_model_store()
    if store is None:
        return False
    store.record(analyzer_id, observation_entry(analyzer_id, bucket, observations))
    return True


def reset_duration_models() -> None:
    """Forget the store and the caches (tests that change settings)."""
    global _store, _store_built, _failing
    with _lock:
        _store, _store_built, _failing = None, False, False
        _cache.clear()
        _quantiles.clear()
