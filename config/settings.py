"""Every app setting, read and validated in one place.

The app reads its configuration once at start-up so that a bad value fails fast with a message that names
the setting, instead of surfacing minutes later inside an orchestration. Values that the orchestration
needs (timeout, polling intervals) are copied into its input by the starter, so a replay never reads the
environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from domain.polling_schedule import PollingPolicy, worst_case_checks

DEFAULT_API_VERSION = "2025-11-01"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Each status check adds about four history events; past a few hundred the replays get slow.
MAX_CHECKS_PER_ANALYSIS = 300


class SettingsError(ValueError):
    """A setting is missing or malformed; the message lists every problem found."""


@dataclass(frozen=True)
class Settings:
    content_understanding_endpoint: str
    content_understanding_key: str | None
    content_understanding_api_version: str
    analysis_timeout_seconds: float
    poll_initial_interval_seconds: float
    poll_max_interval_seconds: float
    result_ttl_seconds: int
    purge_schedule: str
    input_container_url: str | None
    input_storage_connection_string: str | None
    input_sas_ttl_seconds: int
    max_input_files: int
    max_request_bytes: int

    @property
    def polling_policy(self) -> PollingPolicy:
        return PollingPolicy(
            timeout_seconds=self.analysis_timeout_seconds,
            initial_interval_seconds=self.poll_initial_interval_seconds,
            max_interval_seconds=self.poll_max_interval_seconds,
        )


class _Reader:
    """Collects every problem instead of stopping at the first, so one start-up shows them all."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ
        self.problems: list[str] = []
        self.names: list[str] = []  # every setting read, in order: what the infrastructure must provide
        self.required: list[str] = []

    def text(self, name: str, default: str | None = None) -> str | None:
        if name not in self.names:
            self.names.append(name)
        value = self.environ.get(name, "").strip()
        return value or default

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            self.problems.append(f"{name} must be a number of seconds or a count, got {raw!r}")
            return default
        if not minimum <= value <= maximum:
            self.problems.append(f"{name} must be between {minimum:g} and {maximum:g}, got {raw!r}")
            return default
        return value

    def url(self, name: str, *, required: bool) -> str | None:
        raw = self.text(name)
        if required and name not in self.required:
            self.required.append(name)
        if raw is None:
            if required:
                self.problems.append(f"{name} is required (for example https://<resource>.services.ai.azure.com)")
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problems.append(f"{name} must be an http(s) URL, got {raw!r}")
            return None
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            self.problems.append(f"{name} must use https (plain http only for a loopback host), got {raw!r}")
            return None
        if parts.username or parts.password or parts.query:
            self.problems.append(f"{name} must not carry credentials or a query string")
            return None
        return raw.rstrip("/")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise SettingsError naming each bad value."""
    read = _Reader(os.environ if environ is None else environ)
    settings = _read_all(read)
    if read.problems:
        raise SettingsError("Invalid app settings:\n  - " + "\n  - ".join(read.problems))
    return settings


def known_setting_names() -> tuple[str, ...]:
    """Every app setting the app reads, so deployment templates can be checked against it."""
    read = _Reader({})
    _read_all(read)
    return tuple(read.names)


def required_setting_names() -> tuple[str, ...]:
    """The settings without which the app refuses to start."""
    read = _Reader({})
    _read_all(read)
    return tuple(read.required)


def _read_all(read: _Reader) -> Settings:
    settings = Settings(
        content_understanding_endpoint=read.url("CONTENT_UNDERSTANDING_ENDPOINT", required=True) or "",
        content_understanding_key=read.text("CONTENT_UNDERSTANDING_KEY"),
        content_understanding_api_version=read.text("CONTENT_UNDERSTANDING_API_VERSION", DEFAULT_API_VERSION)
        or DEFAULT_API_VERSION,
        analysis_timeout_seconds=read.number("ANALYSIS_TIMEOUT_SECONDS", 300, minimum=1, maximum=24 * 3600),
        poll_initial_interval_seconds=read.number("POLL_INITIAL_INTERVAL_SECONDS", 2, minimum=0.1, maximum=600),
        poll_max_interval_seconds=read.number("POLL_MAX_INTERVAL_SECONDS", 10, minimum=0.1, maximum=3600),
        result_ttl_seconds=int(read.number("RESULT_TTL_SECONDS", 3600, minimum=1, maximum=30 * 86400)),
        purge_schedule=read.text("PURGE_SCHEDULE", "0 */5 * * * *") or "0 */5 * * * *",
        input_container_url=read.url("INPUT_CONTAINER_URL", required=False),
        input_storage_connection_string=read.text("INPUT_STORAGE_CONNECTION_STRING"),
        input_sas_ttl_seconds=int(read.number("INPUT_SAS_TTL_SECONDS", 900, minimum=60, maximum=7 * 86400)),
        max_input_files=int(read.number("MAX_INPUT_FILES", 10, minimum=1, maximum=100)),
        max_request_bytes=int(read.number("MAX_REQUEST_BYTES", 1_048_576, minimum=1024, maximum=100 * 1_048_576)),
    )
    if len(settings.purge_schedule.split()) != 6:
        read.problems.append(f"PURGE_SCHEDULE must be a six-field NCRONTAB expression, got {settings.purge_schedule!r}")
    if settings.poll_initial_interval_seconds > settings.poll_max_interval_seconds:
        read.problems.append("POLL_INITIAL_INTERVAL_SECONDS must not exceed POLL_MAX_INTERVAL_SECONDS")
    elif worst_case_checks(settings.polling_policy) > MAX_CHECKS_PER_ANALYSIS:
        read.problems.append(
            f"ANALYSIS_TIMEOUT_SECONDS / POLL_*_INTERVAL_SECONDS allow more than {MAX_CHECKS_PER_ANALYSIS} "
            "status checks per analysis: raise the intervals or lower the timeout"
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (the app calls this at start-up)."""
    return load_settings()
