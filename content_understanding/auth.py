"""Request authentication: a subscription key, or a cached Entra ID bearer token."""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
# Fetch a new token when the cached one has less than this left, so a request never carries an expiring token.
TOKEN_REFRESH_MARGIN_SECONDS = 300.0


class TokenCredentialLike(Protocol):
    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class KeyAuth:
    """Ocp-Apim-Subscription-Key header auth."""

    def __init__(self, key: str) -> None:
        self._key = key

    def headers(self) -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self._key}

    def __repr__(self) -> str:  # never show the key
        return "KeyAuth(<redacted>)"


class BearerTokenAuth:
    """Bearer auth from a TokenCredential; one token is reused until it nears expiry (thread-safe)."""

    def __init__(self, credential: TokenCredentialLike | None = None, scope: str = COGNITIVE_SERVICES_SCOPE) -> None:
        self._credential = credential
        self._scope = scope
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_on: float = 0.0

    def _get_credential(self) -> TokenCredentialLike:
        if self._credential is None:
            # Imported lazily: creating DefaultAzureCredential is slow and not needed with key auth.
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._expires_on - time.time() < TOKEN_REFRESH_MARGIN_SECONDS:
                access_token = self._get_credential().get_token(self._scope)
                self._token = access_token.token
                self._expires_on = float(access_token.expires_on)
            return {"Authorization": f"Bearer {self._token}"}

    def __repr__(self) -> str:
        return "BearerTokenAuth(<redacted>)"
