"""The long-lived clients the functions share: built once per worker process from the validated settings.

One requests.Session and one credential per process keep TCP connections and tokens warm across
activity invocations; one token validator keeps the tenant's signing keys cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from config.settings import get_settings
from content_understanding import ContentUnderstandingClient
from input_files.sas_urls import SasUrlFactory

T = TypeVar("T")


class PerProcess(Generic[T]):
    """A value built on first use (thread-safe) and then shared by every invocation in this process."""

    instances: list[PerProcess] = []

    def __init__(self, build: Callable[[], T], close: Callable[[T], None] | None = None):
        self._build = build
        self._close = close
        self._value: T | None = None
        self._lock = threading.Lock()
        PerProcess.instances.append(self)

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value

    def reset(self) -> None:
        with self._lock:
            if self._value is not None and self._close is not None:
                self._close(self._value)
            self._value = None


def _build_content_understanding() -> ContentUnderstandingClient:
    settings = get_settings()
    return ContentUnderstandingClient(
        settings.content_understanding_endpoint,
        key=settings.content_understanding_key,
        api_version=settings.content_understanding_api_version,
        processing_location=settings.content_understanding_processing_location,
    )


def _build_sas_factory() -> SasUrlFactory:
    settings = get_settings()
    return SasUrlFactory(
        settings.input_container_url,
        settings.input_storage_connection_string,
        settings.input_sas_ttl_seconds,
        layout=settings.input_container_layout,
    )


def _build_token_validator():
    from auth.entra_tokens import EntraTokenValidator  # PyJWT's crypto is loaded only in entra mode

    settings = get_settings()
    return EntraTokenValidator(settings.auth_tenant_id or "", settings.auth_audiences, settings.auth_authority_host)


_content_understanding = PerProcess(_build_content_understanding, close=ContentUnderstandingClient.close)
_sas_factory = PerProcess(_build_sas_factory)
_token_validator = PerProcess(_build_token_validator)


def content_understanding_client() -> ContentUnderstandingClient:
    return _content_understanding.get()


def input_sas_factory() -> SasUrlFactory | None:
    """The SAS minter for file ids, or None when no INPUT_CONTAINER_URL is configured."""
    return _sas_factory.get() if get_settings().input_container_url is not None else None


def token_validator():
    """The Entra token validator (AUTH_MODE=entra)."""
    return _token_validator.get()


def reset_service_clients() -> None:
    """Forget every shared client (tests that change settings)."""
    for shared in PerProcess.instances:
        shared.reset()
