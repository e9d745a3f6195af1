"""The long-lived clients the functions share: built once per worker process from the validated settings.

One requests.Session and one credential per process keep TCP connections and tokens warm across
activity invocations; one token validator keeps the tenant's signing keys cached.
"""

from __future__ import annotations

from config.per_process import per_process
from config.settings import get_settings
from content_understanding import ContentUnderstandingClient
from input_files.sas_urls import SasUrlFactory


@per_process(close=ContentUnderstandingClient.close)
def content_understanding_client() -> ContentUnderstandingClient:
    settings = get_settings()
    return ContentUnderstandingClient(
        settings.content_understanding_endpoint,
        key=settings.content_understanding_key,
        processing_location=settings.content_understanding_processing_location,
    )


@per_process
def _sas_factory() -> SasUrlFactory:
    settings = get_settings()
    return SasUrlFactory(
        settings.input_container_url,
        settings.input_storage_connection_string,
        settings.input_sas_ttl_seconds,
        layout=settings.input_container_layout,
    )


@per_process
def token_validator():
    """The Entra token validator (AUTH_MODE=entra)."""
    from auth.entra_tokens import EntraTokenValidator  # PyJWT's crypto is loaded only in entra mode

    settings = get_settings()
    return EntraTokenValidator(settings.auth_tenant_id or "", settings.auth_audiences, settings.auth_authority_host)


def input_sas_factory() -> SasUrlFactory | None:
    """The SAS minter for file ids, or None when no INPUT_CONTAINER_URL is configured."""
    return _sas_factory() if get_settings().input_container_url is not None else None
