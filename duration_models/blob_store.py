"""Azure Blob Storage: one blob per analyzer in a container, updated with If-Match on its ETag.

Authentication: a connection string (DURATION_MODEL_STORAGE_CONNECTION_STRING, e.g. Azurite's) or the app's
identity through DefaultAzureCredential (AZURE_CLIENT_ID names a user-assigned identity); the identity needs
Storage Blob Data Contributor on the container.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from duration_models.store import UPDATE_ATTEMPTS, StoreConflict, StoreError, check_key


class BlobStore:
    def __init__(self, container_url: str, connection_string: str | None = None):
        from azure.storage.blob import ContainerClient

        if connection_string:
            container = urlsplit(container_url).path.rstrip("/").rsplit("/", 1)[-1]
            self.container = ContainerClient.from_connection_string(connection_string, container)
        else:
            from azure.identity import DefaultAzureCredential

            self.container = ContainerClient.from_container_url(container_url, credential=DefaultAzureCredential())

    def _read(self, key: str) -> tuple[dict | None, str | None]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            downloader = self.container.get_blob_client(f"{check_key(key)}.json").download_blob()
            return json.loads(downloader.readall()), downloader.properties.etag
        except ResourceNotFoundError:
            return None, None
        except Exception as exc:
            raise StoreError(f"cannot read duration model {key!r}: {type(exc).__name__}") from exc

    def read(self, key: str) -> dict | None:
        return self._read(key)[0]

    def update(self, key: str, change: Callable[[dict | None], dict]) -> dict:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        blob = self.container.get_blob_client(f"{check_key(key)}.json")
        for _ in range(UPDATE_ATTEMPTS):
            current, etag = self._read(key)
            document = change(current)
            data = json.dumps(document, separators=(",", ":")).encode()
            try:
                if etag is None:
                    blob.upload_blob(data, overwrite=False)
                else:
                    blob.upload_blob(data, overwrite=True, etag=etag, match_condition=MatchConditions.IfNotModified)
                return document
            except (ResourceModifiedError, ResourceExistsError):
                continue  # someone else wrote first: read their version and apply the change again
            except Exception as exc:
                raise StoreError(f"cannot write duration model {key!r}: {type(exc).__name__}") from exc
        raise StoreConflict(f"duration model {key!r} kept changing: gave up after {UPDATE_ATTEMPTS} attempts")
