"""Where claim-check copies live: a folder (one instance) or a Blob container (every instance)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from config.blob_containers import container_client, upload_new

_KEY = re.compile(r"^[A-Za-z0-9-]{1,100}$")  # operation ids (an-<hex>, idem-<hex>): never a path


class ResultTooLarge(Exception):
    """A result (or its stored copy) over MAX_RESULT_BYTES: answered as a 500 ResultTooLarge."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"result of {size} bytes exceeds {limit}")
        self.size = size
        self.limit = limit


class CopyStore(Protocol):
    def read(self, key: str, max_bytes: int) -> bytes | None:
        """The copy, None when there is none; ResultTooLarge (before reading it) when it exceeds max_bytes."""

    def write(self, key: str, data: bytes, content_type: str = "application/json") -> None: ...

    def delete_older_than(self, cutoff: datetime) -> int: ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a result copy key: {key[:40]!r}")
    return key


class FolderCopies:
    """One file per operation; written to a temporary name and renamed, so a reader never sees half of one."""

    def __init__(self, folder: Path):
        self.folder = folder

    def read(self, key: str, max_bytes: int) -> bytes | None:
        try:
            with (self.folder / f"{_checked(key)}.json").open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size > max_bytes:
                    raise ResultTooLarge(size, max_bytes)
                return file.read()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes, content_type: str = "application/json") -> None:
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
    """One blob per operation in a container (every instance reads the same copies).

    Measured against Azurite (tests/storage/test_result_copies_blob_store.py) rather than assumed:
    - Write once (If-None-Match: *): a copy never changes, so a reader on another instance that is half way
      through a multi-range download never meets a newer ETag (the SDK reads the later ranges If-Match and
      would fail, costing that caller a second round of service reads). A racing writer's copy is the same.
    - The container is created on the first write when it is missing (azd creates it in Azure; a fresh Azurite
      starts empty); a read or purge of a missing container is simply nothing stored.
    - Read in CHUNK_BYTES ranges: with the SDK's defaults a copy up to 32 MB is one GET whose body is then
      copied into the result (a 30 MB copy peaked at 30 + 36 MB resident); range by range it peaks at the copy
      plus ~10 MB (30 + 9.7 MB). The first range tells the size, so a copy over the cap is refused after it.
    - Stored as application/json, so the blob is what it says when an operator downloads it.

    The app's identity needs Storage Blob Data Contributor (or Owner, which infra/ grants) on the container:
    read, write, list, delete and create container (docs/deploy.md).
    """

    CHUNK_BYTES = 4 * 1_048_576
    DELETE_BATCH = 256  # sub-requests per Blob Batch request (the service's limit)

    def __init__(self, container_url: str, connection_string: str | None = None):
        sizes = {"max_single_get_size": self.CHUNK_BYTES, "max_chunk_get_size": self.CHUNK_BYTES}
        self.container = container_client(container_url, connection_string, **sizes)

    def read(self, key: str, max_bytes: int) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            download = self.container.get_blob_client(f"{_checked(key)}.json").download_blob()
        except ResourceNotFoundError:  # no such copy, or no container yet
            return None
        if download.size > max_bytes:
            raise ResultTooLarge(download.size, max_bytes)
        return download.readall()

    def write(self, key: str, data: bytes, content_type: str = "application/json") -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import ContentSettings

        with contextlib.suppress(ResourceExistsError):  # another instance kept the same copy first
            upload_new(
                self.container,
                f"{_checked(key)}.json",
                data,
                content_settings=ContentSettings(content_type=content_type),
            )

    def delete_older_than(self, cutoff: datetime) -> int:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            names = [blob.name for blob in self.container.list_blobs() if blob.last_modified < cutoff]
        except ResourceNotFoundError:
            return 0  # no container: nothing was ever kept
        deleted = 0
        for start in range(0, len(names), self.DELETE_BATCH):
            answers = self.container.delete_blobs(*names[start : start + self.DELETE_BATCH], raise_on_any_failure=False)
            deleted += sum(1 for answer in answers if answer.status_code == 202)  # 404: another purge was first
        return deleted


def build_copy_store(location: str | None, connection_string: str | None, task_hub: str) -> CopyStore:
    if not location:
        return FolderCopies(Path(tempfile.gettempdir()) / "content-analysis-results" / task_hub)
    if location.startswith("file:"):
        return FolderCopies(Path(location[len("file:") :]))
    return BlobCopies(location, connection_string)
