"""Turn file ids (blob names in the input container) into short-lived, read-only SAS URLs.

Runs inside the submit activity, right before the analysis is sent, so a SAS is minted per attempt
and never stored in the orchestration's input. In Azure the SAS is a user delegation SAS signed through
the app's managed identity; where the storage connection carries an account key (Azurite locally) it
is an account-key SAS. A SAS URL is a secret: it is never logged.
"""

from __future__ import annotations

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


def container_for_group(container_url: str, group_id: str | None) -> ContainerLocation:
    """The input container, or its per-group sibling `<container>-group-<first 8 chars of the group id>`."""
    parts = urlsplit(container_url.rstrip("/"))
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise InputFileError("INPUT_CONTAINER_URL must end with a container name")
    container = segments[-1]
    if group_id:
        container = f"{container}-group-{group_id[:8]}".lower()
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

    def __init__(self, container_url: str, connection_string: str | None, ttl_seconds: int, credential=None):
        self.container_url = container_url
        self.account_key = account_key_from_connection_string(connection_string)
        self.ttl = timedelta(seconds=ttl_seconds)
        self._credential = credential
        self._delegation_key = None
        self._delegation_key_expiry: datetime | None = None
        self._lock = threading.Lock()

    def url_for(self, file_id: str, group_id: str | None, now: datetime | None = None) -> str:
        now = now or datetime.now(timezone.utc)
        location = container_for_group(self.container_url, group_id)
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
