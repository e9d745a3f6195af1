"""Validate Microsoft Entra ID access tokens: signature (tenant JWKS), issuer, audience, expiry.

The crypto is PyJWT's; this module only fetches and caches the tenant's signing keys. Keys are refreshed
when a token names a key id we do not know (Entra rotates keys), at most once per MIN_REFRESH_SECONDS so a
flood of made-up key ids cannot turn into a flood of requests to Entra, and in the background once they are
KEYS_MAX_AGE_SECONDS old.

The refresh is off the request path: one fetch in flight (a background thread, REFRESH_TIMEOUT_SECONDS at
most), and no lock is held while it downloads. A token whose key id is known never waits; a token with an
unknown key id waits for the fetch in flight at most REFRESH_TIMEOUT_SECONDS and is then a 401 if the key is
still unknown. A slow keys endpoint therefore costs the requests with unknown key ids that much, and nothing
else.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import jwt
import requests

from auth.callers import DEFAULT_AUTHORITY_HOST, AuthenticationError

log = logging.getLogger("analysis.auth")

CLOCK_SKEW_SECONDS = 60
MIN_REFRESH_SECONDS = 10.0
REFRESH_TIMEOUT_SECONDS = 3.0
KEYS_MAX_AGE_SECONDS = 6 * 3600.0
ACCEPTED_ALGORITHMS = ["RS256"]


def _fetch_json(url: str) -> dict:
    response = requests.get(url, timeout=(REFRESH_TIMEOUT_SECONDS, REFRESH_TIMEOUT_SECONDS))
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
        refresh_timeout_seconds: float = REFRESH_TIMEOUT_SECONDS,
    ):
        authority = authority_host.rstrip("/")
        self.audiences = list(audiences)
        self.issuers = [f"{authority}/{tenant_id}/v2.0"]
        if authority == DEFAULT_AUTHORITY_HOST:
            self.issuers.append(f"https://sts.windows.net/{tenant_id}/")  # v1.0 access tokens
        self.jwks_url = f"{authority}/{tenant_id}/discovery/v2.0/keys"
        self._fetch_json = fetch_json
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}  # replaced whole by a refresh, read without a lock
        self._fetched_at: float | None = None  # when the last refresh started
        self._loaded_at: float | None = None  # when keys were last loaded
        self._in_flight: threading.Event | None = None  # set when the refresh in flight ends
        self._lock = threading.Lock()  # guards the fields above; never held during a download
        self.refresh_timeout = refresh_timeout_seconds

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
        key = self._keys.get(kid)
        if key is not None:
            if self._loaded_at is not None and self._clock() - self._loaded_at >= KEYS_MAX_AGE_SECONDS:
                self._start_refresh()  # in the background; this request does not wait
            return key
        done = self._start_refresh()
        if done is not None:
            done.wait(self.refresh_timeout)
            key = self._keys.get(kid)
        if key is None:
            raise AuthenticationError("InvalidToken", "The token is signed with an unknown key.")
        return key

    def _start_refresh(self) -> threading.Event | None:
        """The event of the refresh in flight (starting one when allowed); None when none runs or may start."""
        with self._lock:
            if self._in_flight is not None:
                return self._in_flight
            if self._fetched_at is not None and self._clock() - self._fetched_at < MIN_REFRESH_SECONDS:
                return None
            self._fetched_at = self._clock()
            done = self._in_flight = threading.Event()
        threading.Thread(target=self._refresh, args=(done,), name="entra-keys-refresh", daemon=True).start()
        return done

    def _refresh(self, done: threading.Event) -> None:
        try:
            document = self._fetch_json(self.jwks_url)
            key_set = jwt.PyJWKSet.from_dict(document)
            keys = {key.key_id: key for key in key_set.keys if key.key_id}
            with self._lock:
                self._keys = keys
                self._loaded_at = self._clock()
        except Exception as exc:  # unreachable, slow, malformed: keep the keys we have
            log.warning("Refreshing the Entra signing keys failed (%s); keeping the keys we have", type(exc).__name__)
        finally:
            with self._lock:
                self._in_flight = None
            done.set()
