"""The long-lived clients the functions share: built once per worker process from the validated settings.

One requests.Session and one credential per process keep TCP connections and tokens warm across
activity invocations.
"""

from __future__ import annotations

import threading

from config.settings import get_settings
from content_understanding import ContentUnderstandingClient
from input_files.sas_urls import SasUrlFactory

_lock = threading.Lock()
_content_understanding: ContentUnderstandingClient | None = None


def content_understanding_client() -> ContentUnderstandingClient:
    global _content_understanding
    if _content_understanding is None:
        with _lock:
            if _content_understanding is None:
                settings = get_settings()
                _content_understanding = ContentUnderstandingClient(
                    settings.content_understanding_endpoint,
                    key=settings.content_understanding_key,
                    api_version=settings.content_understanding_api_version,
                )
    return _content_understanding


def reset_service_clients() -> None:
    """Forget the shared clients (tests that change settings)."""
    global _content_understanding, _sas_factory, _token_validator
    with _lock:
        if _content_understanding is not None:
            _content_understanding.close()
        _content_understanding = None
        _sas_factory = None
        _token_validator = None


_sas_factory: SasUrlFactory | None = None


def input_sas_factory() -> SasUrlFactory | None:
    """The SAS minter for file ids, or None when no INPUT_CONTAINER_URL is configured."""
    global _sas_factory
    settings = get_settings()
    if settings.input_container_url is None:
        return None
    if _sas_factory is None:
        with _lock:
            if _sas_factory is None:
                _sas_factory = SasUrlFactory(
                    settings.input_container_url,
                    settings.input_storage_connection_string,
                    settings.input_sas_ttl_seconds,
                    layout=settings.input_container_layout,
                )
    return _sas_factory


_token_validator = None


def token_validator():
    """The Entra token validator (AUTH_MODE=entra): one per process, so the tenant's keys are cached."""
    global _token_validator
    if _token_validator is None:
        with _lock:
            if _token_validator is None:
                from auth.entra_tokens import EntraTokenValidator

                settings = get_settings()
                _token_validator = EntraTokenValidator(
                    settings.auth_tenant_id or "", settings.auth_audiences, settings.auth_authority_host
                )
    return _token_validator
