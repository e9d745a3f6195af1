"""Console output in the spirit of ``func start``: host lines and app log lines on stdout, timestamped."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

# Libraries that are chatty at INFO and would drown the app's own lines (the real host filters them too).
_QUIET_LOGGERS = ("azure.core.pipeline.policies.http_logging_policy", "azure.identity", "aiohttp.access")


class _UtcFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class _NoRequestText(logging.Filter):
    """aiohttp logs a malformed request with its parser error, which quotes the start of the offending line
    (an oversized Authorization header: the token's first ~100 characters). Keep the fact, drop the text."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__module__.startswith("aiohttp.http_exceptions"):
            record.msg = "Refused a malformed request (%s, status %s); its content is not logged"
            record.args = (type(exc).__name__, getattr(exc, "code", 400))
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(verbose: bool, stream: TextIO | None = None) -> None:
    """Root logger -> one stdout handler; INFO by default, DEBUG with --verbose."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(_UtcFormatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        logging.getLogger("asyncio").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.server").addFilter(_NoRequestText())


def emit(line: str = "") -> None:
    """A plain line on stdout (function list, ready line), flushed so parent processes see it at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
