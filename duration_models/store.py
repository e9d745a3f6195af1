"""The store interface: read a document, update it with a function under optimistic concurrency."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

UPDATE_ATTEMPTS = 8
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class StoreError(RuntimeError):
    """The store could not be read or written."""


class StoreConflict(StoreError):
    """Someone else changed the document between our read and our write (retried by update())."""


class DurationModelStore(Protocol):
    def read(self, key: str) -> dict | None:
        """The document, None when there is none."""
        ...

    def update(self, key: str, change: Callable[[dict | None], dict]) -> dict:
        """Write change(current) unless the document changed meanwhile (then read and apply again)."""
        ...


def check_key(key: str) -> str:
    """Keys are analyzer ids (letters, digits, '.', '_', '-'): safe as file and blob names."""
    if not _KEY.fullmatch(key or ""):
        raise StoreError(f"invalid duration model key {key!r}")
    return key
