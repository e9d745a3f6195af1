"""A stand-in for Microsoft Entra ID's token-validation endpoints: JWKS, OpenID metadata, minted RS256 tokens.

Keys are RSA 2048 pairs generated in memory (never written anywhere) the first time a key is needed, so a
simulator that never serves tokens pays nothing. "rogue" tokens are signed by a key that is not in the JWKS
but carry the current trusted kid: a validator must reject them on the signature, not on the kid.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_TENANT = "00000000-0000-4000-8000-000000000001"
KEY_KINDS = frozenset({"trusted", "rogue"})


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwk(self, issuer: str) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        # Entra's v2.0 keys carry kty/use/kid/n/e/issuer (plus x5t/x5c certificates, which we do not fake).
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "issuer": issuer,
        }


class TokenIssuer:
    """Trusted signing keys (newest signs; all are published) and one rogue key; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._rogue: rsa.RSAPrivateKey | None = None

    def _ensure_keys(self) -> None:
        if not self._keys:
            self._keys.append(SigningKey(_new_kid(), _new_key()))

    def current_kid(self) -> str:
        with self._lock:
            self._ensure_keys()
            return self._keys[-1].kid

    def rotate(self) -> str:
        """Add a new trusted key; it signs from now on, the old ones stay in the JWKS."""
        key = SigningKey(_new_kid(), _new_key())
        with self._lock:
            self._ensure_keys()
            self._keys.append(key)
        return key.kid

    def jwks(self, tenant: str, base_url: str) -> dict[str, Any]:
        issuer = issuer_for(base_url, tenant)
        with self._lock:
            self._ensure_keys()
            keys = list(self._keys)
        return {"keys": [key.jwk(issuer) for key in keys]}

    def mint(
        self,
        base_url: str,
        claims: dict[str, Any] | None = None,
        *,
        key: str = "trusted",
        tenant: str = DEFAULT_TENANT,
        expires_in: float = 3600,
        not_before_in: float = 0,
    ) -> str:
        if key not in KEY_KINDS:
            raise ValueError(f"key must be one of {sorted(KEY_KINDS)}")
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": issuer_for(base_url, tenant),
            "tid": tenant,
            "iat": now,
            "nbf": now + int(not_before_in),
            "exp": now + int(expires_in),
            "ver": "2.0",
            # A signed-in user's token for an API always carries its delegated scopes; pass scp=None for an
            # app-only token (client credentials), which carries none.
            "scp": DEFAULT_DELEGATED_SCOPE,
        }
        payload.update(claims or {})
        payload = {name: value for name, value in payload.items() if value is not None}
        with self._lock:
            self._ensure_keys()
            current = self._keys[-1]
            if key == "rogue":
                if self._rogue is None:
                    self._rogue = _new_key()
                signer = self._rogue
            else:
                signer = current.private_key
        return jwt.encode(payload, signer, algorithm="RS256", headers={"kid": current.kid, "typ": "JWT"})


DEFAULT_DELEGATED_SCOPE = "Analysis.Run"


def _new_kid() -> str:
    return secrets.token_urlsafe(20)


def issuer_for(base_url: str, tenant: str) -> str:
    return f"{base_url.rstrip('/')}/{tenant}/v2.0"


def openid_configuration(base_url: str, tenant: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    return {
        "issuer": issuer_for(base, tenant),
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "ver", "roles", "groups"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "simulator.local",
    }
