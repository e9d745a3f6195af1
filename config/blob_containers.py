"""The app's Blob containers (duration models, result copies): one way to connect, one way to write a new blob.

Authentication: a connection string (Azurite's `UseDevelopmentStorage=true`, or an account key) or the app's
identity through DefaultAzureCredential (AZURE_CLIENT_ID names a user-assigned identity).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit


def container_client(container_url: str, connection_string: str | None = None, **options):
    """A ContainerClient for `https://<account>.blob.core.windows.net/<container>` (or Azurite's URL)."""
    from azure.storage.blob import ContainerClient

    if connection_string:
        container = urlsplit(container_url).path.rstrip("/").rsplit("/", 1)[-1]
        return ContainerClient.from_connection_string(connection_string, container, **options)
    from azure.identity import DefaultAzureCredential

    return ContainerClient.from_container_url(container_url, credential=DefaultAzureCredential(), **options)


def upload_new(container, name: str, data: bytes, **options) -> None:
    """Upload a blob that must not exist yet (If-None-Match: *; ResourceExistsError when it does); the container
    is created first when it is missing (azd creates it in Azure; a fresh Azurite starts empty)."""
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

    try:
        container.upload_blob(name, data, overwrite=False, **options)
    except ResourceNotFoundError:
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        container.upload_blob(name, data, overwrite=False, **options)
