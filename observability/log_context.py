"""Properties that ride on every log record written while an operation is being handled.

Application Insights shows a record's extra attributes as customDimensions (through the Azure Monitor
OpenTelemetry distro, see observability/azure_monitor.py), so the runbook's queries can filter and group on
`operationId`, `serviceOperationId`, `analyzerId`, `scope` and `event` instead of parsing message text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PROPERTIES: ContextVar[dict] = ContextVar("analysis_log_properties", default={})  # noqa: B039 - never mutated


@contextmanager
def log_context(**properties: object) -> Iterator[None]:
    """Within the block, every log record also carries these properties (None values are left out)."""
    token = _PROPERTIES.set({**_PROPERTIES.get(), **{k: v for k, v in properties.items() if v is not None}})
    try:
        yield
    finally:
        _PROPERTIES.reset(token)


def install_record_factory() -> None:
    """Make every LogRecord pick up the current properties (idempotent; called once at start-up).

    The logging module's factory is the state: ours is marked, so a second call finds it installed and no
    flag of ours needs resetting."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_log_context", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for name, value in _PROPERTIES.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return record

    factory.adds_log_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
