"""Who is calling: a Caller from the request's credentials, or an AuthenticationError (401).

Three modes (AUTH_MODE): `entra` validates the bearer token itself; `appservice` trusts the principal
header that App Service Authentication puts on every request it let through (safe ONLY with App Service
Authentication on: it strips client-sent copies of that header); `none` is anonymous, for local
development. The token itself is never stored or logged; only the ids it proves.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.refusal import Refusal

# Where Microsoft Entra ID publishes a tenant's signing keys (sovereign clouds and tests use another host).
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
OBJECT_ID_CLAIMS = ("oid", "http://schemas.microsoft.com/identity/claims/objectidentifier")
GROUP_CLAIMS = ("groups",)
ROLE_CLAIMS = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
SCOPE_CLAIMS = ("scp", "http://schemas.microsoft.com/identity/claims/scope")
# Kestrel accepts at most 32 KB of request headers in total, so a larger principal cannot be genuine.
MAX_PRINCIPAL_HEADER_CHARS = 32 * 1024


class AuthenticationError(Refusal):
    """No credentials, or credentials that do not prove who is calling: 401 with the challenge RFC 6750 asks
    for; the reason is in the body, never the token."""

    def __init__(self, code: str, message: str):
        challenge = 'Bearer error="invalid_token"' if code == "InvalidToken" else "Bearer"
        super().__init__(401, code, message, {"WWW-Authenticate": challenge})


@dataclass(frozen=True)
class Caller:
    user_id: str | None  # the Entra object id (oid); None only when anonymous
    groups: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)  # delegated permissions (`scp`); none for app-only
    anonymous: bool = False
    groups_overage: bool = False  # the token says "too many groups to list" instead of listing them

    @property
    def key(self) -> str:
        """A stable key for per-caller limits (never the token)."""
        return "anonymous" if self.anonymous else f"user:{self.user_id}"


ANONYMOUS = Caller(user_id=None, anonymous=True)


def caller_from_claims(claims: Mapping[str, object]) -> Caller:
    """The caller a validated token's claims describe."""
    user_id = next((str(claims[c]) for c in OBJECT_ID_CLAIMS if claims.get(c)), None)
    if not user_id:
        raise AuthenticationError("InvalidToken", "The token has no object id (oid) claim.")
    names = claims.get("_claim_names")
    overage = isinstance(names, dict) and "groups" in names
    scopes = next((claims[c] for c in SCOPE_CLAIMS if claims.get(c)), "")
    return Caller(
        user_id=user_id,
        groups=frozenset(_strings(claims.get("groups"))),
        roles=frozenset(_strings(claims.get("roles"))),
        scopes=frozenset(scopes.split()) if isinstance(scopes, str) else frozenset(),
        groups_overage=overage,
    )


def caller_from_app_service_principal(header_value: str | None) -> Caller:
    """Decode X-MS-CLIENT-PRINCIPAL (base64 JSON with a claims list) as App Service Authentication sends it."""
    if not header_value:
        raise AuthenticationError("MissingToken", "Sign in first: the request carries no authenticated principal.")
    if len(header_value) > MAX_PRINCIPAL_HEADER_CHARS:
        raise AuthenticationError("InvalidToken", "The authenticated principal header is too large.")
    try:
        principal = json.loads(base64.b64decode(header_value, validate=False))
        claims = principal["claims"]
        if not isinstance(claims, list):
            raise TypeError("claims is not a list")
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise AuthenticationError("InvalidToken", "The authenticated principal header is malformed.") from None
    role_type = principal.get("role_typ")
    values: dict[str, list[str]] = {}
    for claim in claims:
        if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
            typ = "roles" if claim["typ"] in (*ROLE_CLAIMS, role_type) else claim["typ"]
            typ = "scp" if typ in SCOPE_CLAIMS else typ
            values.setdefault(typ, []).append(claim["val"])
    flat = {name: (vals if name in ("groups", "roles") else vals[0]) for name, vals in values.items()}
    return caller_from_claims(flat)


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an AuthenticationError."""
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("MissingToken", "Send an Authorization: Bearer <token> header.")
    return token.strip()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []
