"""Azure AI Content Understanding REST client (GA api-version 2025-11-01)."""

from .auth import COGNITIVE_SERVICES_SCOPE
from .client import ContentUnderstandingClient
from .errors import (
    ContentUnderstandingError,
    PermanentServiceError,
    TransientServiceError,
)
from .models import DEFAULT_API_VERSION, AnalysisOperation, AnalysisStatus
from .redaction import redact_text, redact_url

__all__ = [
    "COGNITIVE_SERVICES_SCOPE",
    "DEFAULT_API_VERSION",
    "AnalysisOperation",
    "AnalysisStatus",
    "ContentUnderstandingClient",
    "ContentUnderstandingError",
    "PermanentServiceError",
    "TransientServiceError",
    "redact_text",
    "redact_url",
]
