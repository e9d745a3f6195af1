"""Validate Microsoft Entra ID access tokens: signature (tenant JWKS), issuer, audience, expiry.

The crypto is PyJWT's; this module only fetches and caches the tenant's signing keys. Keys are refreshed
when a token names a key id we do not know (Entra rotates keys), at most once per MIN_REFRESH_SECONDS so a
flood of made-up key ids cannot turn into a flood of requests to Entra.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt
import requests

from auth.callers import DEFAULT_AUTHORITY_HOST, AuthenticationError

CLOCK_SKEW_SECONDS = 60
MIN_REFRESH_SECONDS = 10.0
ACCEPTED_ALGORITHMS = ["RS256"]


def _fetch_json(url: str) -> dict:
    response = requests.get(url, timeout=(5, 10))
    response.raise_for_status()
    return response.json()


class EntraTokenValidator:
    def __init__(
        self,
        tenant_id: str,
        audiences: tuple[str, ...],
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        fetch_json: Callable[[str], dict] = _fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ):
        authority = authority_host.rstrip("/")
        self.audiences = list(audiences)
        self.issuers = [f"{authority}/{tenant_id}/v2.0"]
        if authority == DEFAULT_AUTHORITY_HOST:
            self.issuers.append(f"https://sts.windows.net/{tenant_id}/")  # v1.0 access tokens
        self.jwks_url = f"{authority}/{tenant_id}/discovery/v2.0/keys"
        self._fetch_json = fetch_json
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def validate(self, token: str) -> dict:
        """The token's claims when it is valid; AuthenticationError saying why not otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("InvalidToken", "The bearer token is not a JWT.") from None
        if header.get("alg") not in ACCEPTED_ALGORITHMS:
            raise AuthenticationError("InvalidToken", "The token's signing algorithm is not accepted.")
        key = self._signing_key(str(header.get("kid") or ""))
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=ACCEPTED_ALGORITHMS,
                audience=self.audiences,
                issuer=self.issuers,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("InvalidToken", "The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("InvalidToken", "The token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError("InvalidToken", "The token was issued for another audience.") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("InvalidToken", "The token was issued by another tenant or authority.") from None
        except jwt.PyJWTError:
            raise AuthenticationError("InvalidToken", "The token's signature or claims are invalid.") from None

    def _signing_key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid not in self._keys and self._may_refresh():
                self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise AuthenticationError("InvalidToken", "The token is signed with an unknown key.")
        return key

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= MIN_REFRESH_SECONDS

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        try:
            document = self._fetch_json(self.jwks_url)
            key_set = jwt.PyJWKSet.from_dict(document)
        except (requests.RequestException, ValueError, jwt.PyJWTError):
            return  # keep the keys we have; the next unknown key id tries again after the interval
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
