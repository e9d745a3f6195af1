"""Where the duration models live: one JSON document per analyzer, shared by every instance of the app.

I/O at the edge: domain/duration_model.py decides, this package reads and writes. DURATION_MODEL_STORE picks
the store: `file:<folder>` (local development only) or `https://<account>.blob.core.windows.net/<container>`
(Azure Blob Storage, ETag-guarded updates). Unset: no model, the cold schedule always.
"""

from duration_models.access import duration_model_store, model_quantiles, record_observations
from duration_models.store import DurationModelStore, StoreConflict, StoreError

__all__ = [
    "DurationModelStore",
    "StoreConflict",
    "StoreError",
    "duration_model_store",
    "model_quantiles",
    "record_observations",
]
