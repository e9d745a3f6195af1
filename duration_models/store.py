"""The store interface: read an analyzer's model, record one finished operation's observations."""

from __future__ import annotations

import re
from typing import Protocol

from domain.duration_model import observe

_KEY = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class StoreError(RuntimeError):
    """The store could not be read or written."""


class DurationModelStore(Protocol):
    def read(self, key: str) -> dict | None:
        """The model with every recorded observation in it, None when there is none."""
        ...

    def record(self, key: str, entry: dict) -> None:
        """Keep one entry (see `observation_entry`) for good: concurrent calls never lose one another's."""
        ...


def observation_entry(analyzer_id: str, bucket: str, observations: list) -> dict:
    """What record() keeps: one finished operation's observations for one size bucket (stored as JSON)."""
    return {"analyzerId": analyzer_id, "bucket": bucket, "observations": [list(o) for o in observations]}


def fold(document: dict | None, recorded: dict) -> dict:
    """The model with one recorded entry added (stores fold entries oldest first)."""
    return observe(document, str(recorded["analyzerId"]), str(recorded["bucket"]), list(recorded["observations"]))


def check_key(key: str) -> str:
    """Keys are analyzer ids (letters, digits, '.', '_', '-'): safe as file and blob names."""
    if not _KEY.fullmatch(key or ""):
        raise StoreError(f"invalid duration model key {key!r}")
    return key
