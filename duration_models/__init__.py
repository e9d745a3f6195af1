"""Where the duration models live: one JSON document per analyzer, shared by every instance of the app.

I/O at the edge: domain/duration_model.py decides, this package reads and writes. DURATION_MODEL_STORE picks
the store: `file:<folder>` (local development only) or `https://<account>.blob.core.windows.net/<container>`
(Azure Blob Storage: one blob per recorded operation, compacted into a snapshot; see blob_store.py).
Unset: no model, the cold schedule always.
"""

from duration_models.access import LearnedModel, duration_model_store, kept_model, learned_model, record_observations
from duration_models.store import DurationModelStore, StoreError

__all__ = [
    "DurationModelStore",
    "LearnedModel",
    "StoreError",
    "duration_model_store",
    "kept_model",
    "learned_model",
    "record_observations",
]
