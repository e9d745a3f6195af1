"""Reading an analysis' input the way the service does, for loopback URLs only.

The service downloads each input URL before it analyses it; when it cannot read it the analysis ends Failed
with `InvalidRequest` / innererror `ContentSourceNotAccessible` ("Content is not accessible: ..."). Sources:
Document Intelligence's error guide (MicrosoftDocs/azure-docs, articles/ai-services/document-intelligence/
v3-error-guide.md: InvalidRequest / ContentSourceNotAccessible, "Content isn't accessible: {details}"), which
Content Understanding shares its analyze pipeline and error codes with, and the Content Understanding SDK's
own test for an unreachable URL (Azure/azure-sdk-for-python, sdk/contentunderstanding/.../
test_analyze_inline_errors.py, which expects `InvalidRequest` or `ContentSourceNotAccessible`).

The simulator fetches only URLs whose host is loopback (127.0.0.0/8, ::1, `localhost`): Azurite, a test's
own server. Any other host is never contacted (no DNS lookup either); its content is assumed readable, as
before.
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

import aiohttp

FETCH_TIMEOUT_SECONDS = 30.0
MAX_SOURCE_BYTES = 200 * 1024 * 1024  # the service's limit for PDFs and images
NOT_ACCESSIBLE = "ContentSourceNotAccessible"


def is_loopback_url(url: str) -> bool:
    """True only for http(s) URLs on 127.0.0.0/8, ::1 or localhost: the only ones the simulator may fetch."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        _ = parts.port  # a malformed port is no URL to fetch
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def read_source(session: aiohttp.ClientSession, url: str) -> str | None:
    """None when the content could be read; otherwise why not (no URL, no query string: a SAS lives there)."""
    if not is_loopback_url(url):
        raise ValueError("only loopback sources are fetched")
    try:
        async with session.get(
            url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
        ) as response:
            if response.status != 200:
                code = response.headers.get("x-ms-error-code")
                return f"the source answered HTTP {response.status}" + (f" ({code})" if code else "")
            received = 0
            async for chunk in response.content.iter_chunked(1 << 16):
                received += len(chunk)
                if received > MAX_SOURCE_BYTES:
                    return f"the source is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB"
            return None if received else "the source is empty"
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return f"the source could not be reached ({type(exc).__name__})"
