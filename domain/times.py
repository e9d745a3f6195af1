"""Reading ISO 8601 times the one way: what the app writes, the service's `createdAt`, settings."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: object) -> datetime | None:
    """An aware datetime; a time without an offset is UTC; None for anything that is not an ISO 8601 text.

    The "Z" suffix is rewritten because datetime.fromisoformat accepts it only from Python 3.11.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
