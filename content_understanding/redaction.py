"""Keep SAS tokens, keys and user info out of logs and error texts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_URL_WITH_QUERY = re.compile(r"(https?://[^\s?#\"'<>]+)[?#][^\s\"'<>]*", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Drop query string, fragment and user:password@ from a URL (SAS signatures live in the query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable-url>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def url_path(url: str) -> str:
    """Only the path: what request logs show."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "<unparseable-url>"


def redact_text(text: str) -> str:
    """Strip query strings from every URL inside free text (service error messages may echo input URLs)."""
    return _URL_WITH_QUERY.sub(r"\1", text)
