"""Turn file ids (blob names in the input container) into short-lived, read-only SAS URLs.

Runs inside the submit activity, right before the analysis is sent, so a SAS is minted per attempt
and never stored in the orchestration's input. In Azure the SAS is a user delegation SAS signed through
the app's managed identity; where the storage connection carries an account key (Azurite locally) it
is an account-key SAS. A SAS URL is a secret: it is never logged.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit, urlunsplit

from azure.storage.blob import BlobSasPermissions, generate_blob_sas

# Azurite's documented development account (public, not a secret).
DEVELOPMENT_ACCOUNT = "devstoreaccount1"
DEVELOPMENT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CLOCK_SKEW = timedelta(minutes=5)


class InputFileError(ValueError):
    """A file id cannot be turned into a URL with this configuration."""


@dataclass(frozen=True)
class ContainerLocation:
    account_url: str  # scheme://host[:port][/account for path-style endpoints such as Azurite]
    account_name: str
    container: str

    def blob_url(self, blob_name: str) -> str:
        return f"{self.account_url}/{self.container}/{quote(blob_name, safe='/')}"


PER_SCOPE_LAYOUT = "per-scope"
LEGACY_GROUP_PREFIX_LAYOUT = "legacy-group-prefix"
CONTAINER_LAYOUTS = (PER_SCOPE_LAYOUT, LEGACY_GROUP_PREFIX_LAYOUT)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SCOPE_LETTER = {"group": "g", "user": "u"}
MAX_CONTAINER_NAME = 63
# Azure container names: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or
# digit. A scope's container adds `-u-`/`-g-` and at least 32 characters (a hashed id) to the base name, so a
# longer base would make every scope's container name invalid.
CONTAINER_NAME_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_BASE_CONTAINER_NAME = MAX_CONTAINER_NAME - len("-u-") - 32


def scope_container_name(base: str, scope: dict | None, layout: str = PER_SCOPE_LAYOUT) -> str:
    """The container holding a scope's files.

    per-scope (default): `<base>-g-<group id>` / `<base>-u-<user id>` for GUID ids (Entra object ids),
    `<base>-g-<sha256 of the id, 32 hex>` otherwise, so the whole id decides and two scopes never share a
    container. legacy-group-prefix: the old backend's `<base>-group-<first 8 characters>`, which groups
    sharing their first 8 characters (case-insensitively) share: only for existing storage. A user scope gets
    its own per-scope container in both layouts (the old backend put every user without a group in the base
    container, where each could name the others' files). Anonymous callers (AUTH_MODE none, no group) use the
    base container.
    """
    if not scope or scope.get("kind") not in _SCOPE_LETTER:
        return base
    scope_id = str(scope["id"])
    if layout == LEGACY_GROUP_PREFIX_LAYOUT and scope["kind"] == "group":
        return f"{base}-group-{scope_id[:8]}".lower()
    letter = _SCOPE_LETTER[scope["kind"]]
    name = f"{base}-{letter}-{scope_id.lower()}" if _GUID.fullmatch(scope_id) else ""
    if not name or len(name) > MAX_CONTAINER_NAME:
        name = f"{base}-{letter}-{hashlib.sha256(scope_id.encode()).hexdigest()[:32]}"
    return name


def is_valid_container_name(name: str, max_length: int = MAX_CONTAINER_NAME) -> bool:
    """Azure's container-name rules (3-63 lowercase letters, digits and single hyphens), or a shorter bound."""
    return 3 <= len(name) <= max_length and CONTAINER_NAME_PATTERN.fullmatch(name) is not None


def container_for_scope(container_url: str, scope: dict | None, layout: str = PER_SCOPE_LAYOUT) -> ContainerLocation:
    """Where a scope's file ids live: the account of INPUT_CONTAINER_URL, the scope's container."""
    parts = urlsplit(container_url.rstrip("/"))
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise InputFileError("INPUT_CONTAINER_URL must end with a container name")
    container = scope_container_name(segments[-1], scope, layout)
    base_path = "/".join(segments[:-1])
    account_url = urlunsplit((parts.scheme, parts.netloc, f"/{base_path}" if base_path else "", "", ""))
    account_name = segments[0] if base_path else (parts.hostname or "").split(".")[0]
    return ContainerLocation(account_url=account_url, account_name=account_name, container=container)


def account_key_from_connection_string(connection_string: str | None) -> tuple[str, str] | None:
    """(account name, key) when the connection string carries a key; None for identity-based connections."""
    if not connection_string:
        return None
    fields = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    if fields.get("UseDevelopmentStorage", "").lower() == "true":
        return DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY
    if fields.get("AccountName") and fields.get("AccountKey"):
        return fields["AccountName"], fields["AccountKey"]
    return None


class SasUrlFactory:
    """Mints read-only blob SAS URLs; caches the user delegation key until it is close to expiry."""

    def __init__(
        self,
        container_url: str,
        connection_string: str | None,
        ttl_seconds: int,
        credential=None,
        layout: str = PER_SCOPE_LAYOUT,
    ):
        self.container_url = container_url
        self.layout = layout
        self.account_key = account_key_from_connection_string(connection_string)
        self.ttl = timedelta(seconds=ttl_seconds)
        self._credential = credential
        self._delegation_key = None
        self._delegation_key_expiry: datetime | None = None
        self._lock = threading.Lock()

    def url_for(self, file_id: str, scope: dict | None, now: datetime | None = None) -> str:
        now = now or datetime.now(timezone.utc)
        location = container_for_scope(self.container_url, scope, self.layout)
        expiry = now + self.ttl
        signing = {"start": now - CLOCK_SKEW, "expiry": expiry, "permission": BlobSasPermissions(read=True)}
        if self.account_key is not None:
            account_name, key = self.account_key
            token = generate_blob_sas(account_name, location.container, file_id, account_key=key, **signing)
        else:
            delegation_key = self._user_delegation_key(location, now, expiry)
            token = generate_blob_sas(
                location.account_name,
                location.container,
                file_id,
                user_delegation_key=delegation_key,
                **signing,
            )
        return f"{location.blob_url(file_id)}?{token}"

    def _user_delegation_key(self, location: ContainerLocation, now: datetime, expiry: datetime):
        with self._lock:
            if self._delegation_key is None or self._delegation_key_expiry < expiry:
                from azure.identity import DefaultAzureCredential
                from azure.storage.blob import BlobServiceClient

                credential = self._credential or DefaultAzureCredential()
                service = BlobServiceClient(location.account_url, credential=credential)
                key_expiry = now + max(self.ttl * 4, timedelta(hours=1))
                self._delegation_key = service.get_user_delegation_key(now - CLOCK_SKEW, key_expiry)
                self._delegation_key_expiry = key_expiry
            return self._delegation_key
