"""Where claim-check copies live: a folder (one instance) or a Blob container (every instance)."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

_KEY = re.compile(r"^[A-Za-z0-9-]{1,100}$")  # operation ids (an-<hex>, idem-<hex>): never a path


class CopyStore(Protocol):
    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...

    def delete_older_than(self, cutoff: datetime) -> int: ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a result copy key: {key[:40]!r}")
    return key


class FolderCopies:
    """One file per operation; written to a temporary name and renamed, so a reader never sees half of one."""

    def __init__(self, folder: Path):
        self.folder = folder

    def read(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{_checked(key)}.json").read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{_checked(key)}.json"
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete_older_than(self, cutoff: datetime) -> int:
        deleted = 0
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        return deleted


class BlobCopies:
    """One blob per operation in a container; the app's identity needs Storage Blob Data Contributor on it."""

    def __init__(self, container_url: str, connection_string: str | None = None):
        from azure.storage.blob import ContainerClient

        if connection_string:
            container = urlsplit(container_url).path.rstrip("/").rsplit("/", 1)[-1]
            self.container = ContainerClient.from_connection_string(connection_string, container)
        else:
            from azure.identity import DefaultAzureCredential

            self.container = ContainerClient.from_container_url(container_url, credential=DefaultAzureCredential())

    def read(self, key: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self.container.get_blob_client(f"{_checked(key)}.json").download_blob().readall()
        except ResourceNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        self.container.get_blob_client(f"{_checked(key)}.json").upload_blob(data, overwrite=True)

    def delete_older_than(self, cutoff: datetime) -> int:
        deleted = 0
        for blob in self.container.list_blobs():
            if blob.last_modified is not None and blob.last_modified < cutoff:
                self.container.delete_blob(blob.name)
                deleted += 1
        return deleted


def build_copy_store(location: str | None, connection_string: str | None, task_hub: str) -> CopyStore:
    if not location:
        return FolderCopies(Path(tempfile.gettempdir()) / "content-analysis-results" / task_hub)
    if location.startswith("file:"):
        return FolderCopies(Path(location[len("file:") :]))
    return BlobCopies(location, connection_string)
