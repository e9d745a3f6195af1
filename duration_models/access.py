"""The process-wide store, and the one cache in front of it: each analyzer's model, read at most once a minute.

A POST reads the analyzer's model at most once per CACHE_SECONDS per process, so it costs no storage call
most of the time; the plans made from a model are kept with it (one per size bucket), so a POST does not plan
again either (planning takes a few milliseconds). A failing store never fails a POST: the cold schedule, asked
again after FAILURE_RETRY_SECONDS, with one warning per failed read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from config.per_process import Expiring, per_process
from config.settings import get_settings
from domain.duration_model import quantiles
from domain.polling_schedule import PollingPolicy, planned_policy
from duration_models.store import DurationModelStore, observation_entry

CACHE_SECONDS = 60.0
FAILURE_RETRY_SECONDS = 10.0

log = logging.getLogger("analysis.duration_models")


@dataclass
class LearnedModel:
    """An analyzer's model as read from the store (None: cold, unset or failing), with the plans made from it."""

    document: dict | None
    plans: dict[str, PollingPolicy | None] = field(default_factory=dict)

    def policy(self, bucket: str, cold: PollingPolicy, target_lag_seconds: float) -> PollingPolicy | None:
        """The plan for this size bucket (made once per read of the model); None while the model is cold.

        Kept by bucket alone: `cold` and the target lag come from the settings, which a process never changes
        (reset_per_process forgets the models with them)."""
        if bucket not in self.plans:
            pairs = quantiles(self.document, bucket)
            self.plans[bucket] = planned_policy(cold, pairs, target_lag_seconds) if pairs else None
        return self.plans[bucket]


_models: Expiring[LearnedModel] = Expiring(CACHE_SECONDS)


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


def kept_model(analyzer_id: str, now: float | None = None) -> LearnedModel | None:
    """The analyzer's model when it was read less than CACHE_SECONDS ago, without any I/O; else None."""
    return _models.peek(analyzer_id, now)


def learned_model(analyzer_id: str, now: float | None = None) -> LearnedModel:
    """The analyzer's model, read from the store when the kept one expired: blocks, so call it from a thread."""

    def read() -> tuple[LearnedModel, float | None]:
        store = duration_model_store()
        try:
            return LearnedModel(store.read(analyzer_id) if store is not None else None), None
        except Exception as exc:  # StoreError, or the storage SDK's own: the cold schedule meanwhile
            log.warning("[AnalyzeContent] Duration models unavailable, cold schedule meanwhile: %s", exc)
            return LearnedModel(None), FAILURE_RETRY_SECONDS

    return _models.get(analyzer_id, read, now)


def record_observations(analyzer_id: str, bucket: str, observations: list) -> bool:
    """Add finished analyses' durations to the shared model; False when there is no store."""
    store = duration_model_store()
    if store is None:
        return False
    store.record(analyzer_id, observation_entry(analyzer_id, bucket, observations))
    return True
