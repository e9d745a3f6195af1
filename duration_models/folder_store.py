"""A folder of JSON files, for local development (DURATION_MODEL_STORE=file:<folder>).

Every process on the machine shares it: an update takes an exclusive file lock, reads, writes a temporary file
and replaces the document atomically, so a reader never sees half a document.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from duration_models.store import StoreError, check_key, fold


class FolderStore:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{check_key(key)}.json"

    def read(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read duration model {key!r}: {exc}") from exc

    def record(self, key: str, entry: dict) -> None:
        self.update(key, lambda current: fold(current, entry))

    def update(self, key: str, change: Callable[[dict | None], dict]) -> dict:
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / ".lock", "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    document = change(self.read(key))
                    handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
                    try:
                        with os.fdopen(handle, "w", encoding="utf-8") as out:
                            json.dump(document, out, separators=(",", ":"))
                        os.replace(temporary, path)
                    finally:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(temporary)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        except OSError as exc:
            raise StoreError(f"cannot write duration model {key!r}: {exc}") from exc
        return document
