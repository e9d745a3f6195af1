"""The process-wide store, and the one cache in front of it: each analyzer's model read at most once a minute.

A POST reads the analyzer's model at most once per CACHE_SECONDS per process, so it costs no storage call
most of the time; a failing store never fails a POST (the cold schedule; asked again after
FAILURE_RETRY_SECONDS, with one warning per failed read).
"""

from __future__ import annotations

import logging
from pathlib import Path

from config.per_process import Expiring, per_process
from config.settings import get_settings
from domain.duration_model import observe, quantiles
from duration_models.store import DurationModelStore

CACHE_SECONDS = 60.0
FAILURE_RETRY_SECONDS = 10.0

log = logging.getLogger("analysis.duration_models")
_documents: Expiring[dict | None] = Expiring(CACHE_SECONDS)


def build_store(location: str | None, connection_string: str | None = None) -> DurationModelStore | None:
    if not location:
        return None
    if location.startswith("file:"):
        from duration_models.folder_store import FolderStore

        return FolderStore(Path(location[len("file:") :]))
    from duration_models.blob_store import BlobStore

    return BlobStore(location, connection_string)


@per_process
def duration_model_store() -> DurationModelStore | None:
    """The configured store (DURATION_MODEL_STORE), None when unset."""
    settings = get_settings()
    return build_store(settings.duration_model_store, settings.duration_model_connection_string)


def model_quantiles(analyzer_id: str, bucket: str, now: float | None = None) -> list | None:
    """The model's quantiles for this analyzer and size bucket; None when cold, unset or failing. Blocks on
    storage at most once per CACHE_SECONDS per analyzer: call it from a thread."""
    store = duration_model_store()
    if store is None:
        return None

    def read() -> tuple[dict | None, float | None]:
        try:
            return store.read(analyzer_id), None
        except Exception as exc:  # StoreError, or the storage SDK's own: the cold schedule meanwhile
            log.warning("[AnalyzeContent] Duration models unavailable, cold schedule meanwhile: %s", exc)
            return None, FAILURE_RETRY_SECONDS

    return quantiles(_documents.get(analyzer_id, read, now), bucket)


def record_observations(analyzer_id: str, bucket: str, observations: list) -> bool:
    """Add finished analyses' durations to the shared model; False when there is no store."""
    store = duration_model_store()
    if store is None:
        return False
    store.update(analyzer_id, lambda current: observe(current, analyzer_id, bucket, observations))
    return True
