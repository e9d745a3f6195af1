"""Every app setting, read and validated in one place.

The app reads its configuration once at start-up so that a bad value fails fast with a message that names
the setting, instead of surfacing minutes later inside an orchestration. Values that the orchestration
needs (timeout, polling intervals) are copied into its input by the starter, so a replay never reads the
environment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from auth.callers import DEFAULT_AUTHORITY_HOST
from config.per_process import per_process
from content_understanding.models import DEFAULT_API_VERSION
from domain.polling_schedule import PollingPolicy
from domain.times import parse_time
from input_files.sas_urls import (
    CONTAINER_LAYOUTS,
    MAX_BASE_CONTAINER_NAME,
    PER_SCOPE_LAYOUT,
    is_valid_container_name,
)

# Retired previews: the service no longer answers them, and their pro mode (several inputs in one request) is gone.
RETIRED_API_VERSIONS = frozenset({"2024-12-01-preview", "2025-05-01-preview"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
AUTH_MODES = ("entra", "appservice", "none")
TASK_HUB_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,44}$")
SIMULATOR_KEY = "local-simulator-key"  # the example settings' key for the local simulator; never valid in Azure
ORIGIN_PATTERN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
# The frontend polls every 5 s, 60 times: a 300 s budget from its POST. The deadline counts from the POST and
# leaves 30 s for a late durable timer (the Azure Storage backend polls its queues up to 30 s late) and two
# polls (10 s) for the timeout answer to be seen; the last 20 s cover the final check's own round trips (up to
# three rechecks at the deadline) and a frontend that starts polling late: 300 - 30 - 10 - 20 = 240.
DEFAULT_ANALYSIS_TIMEOUT_SECONDS = 240
# Where Content Understanding may process the data (its analyze query parameter processingLocation); unset
# leaves the service's default (global).
PROCESSING_LOCATIONS = ("geography", "dataZone", "global")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message lists every problem found, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"The app cannot start: {len(self.problems)} bad setting(s): " + " | ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    """The validated settings; _read_all gives every field its value (and its default)."""

    content_understanding_endpoint: str
    content_understanding_key: str | None
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
    durable_task_hub_name: str
    environment: str
    auth_mode: str
    auth_tenant_id: str | None
    auth_audiences: tuple[str, ...]
    auth_authority_host: str
    input_container_layout: str
    allowed_input_hosts: tuple[str, ...]
    legacy_results_lookup: bool
    legacy_lookup_per_minute: int
    legacy_results_cutover: datetime | None
    cors_allowed_origins: tuple[str, ...]
    file_analysis_parallelism: int
    duration_model_store: str | None
    duration_model_connection_string: str | None
    poll_target_lag_seconds: float
    auth_required_scopes: tuple[str, ...]
    auth_required_roles: tuple[str, ...]
    caller_starts_per_minute: int
    caller_reads_per_minute: int
    health_details_anonymous: bool
    result_store: str | None
    result_store_connection_string: str | None
    max_result_bytes: int
    content_understanding_processing_location: str | None

    @property
    def is_development(self) -> bool:
        return self.environment.lower() == "development"

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
        self.defaults: dict[str, object] = {}  # what an unset setting means, for docs that must say so

    def text(self, name: str, default: str | None = None) -> str | None:
        if name not in self.names:
            self.names.append(name)
        if default is not None:
            self.defaults.setdefault(name, default)
        value = self.environ.get(name, "").strip()
        return value or default

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        self.defaults.setdefault(name, default)
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

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        raw = self.text(name, default) or default
        if raw not in choices:
            self.problems.append(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
            return default
        return raw

    def optional_choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        """One of `choices` (spelled exactly, as the service expects it), or None when unset."""
        raw = self.text(name)
        if raw is not None and raw not in choices:
            self.problems.append(f"{name} must be one of {', '.join(choices)} (or unset), got {raw!r}")
            return None
        return raw

    def flag(self, name: str, default: bool) -> bool:
        self.defaults.setdefault(name, default)
        raw = (self.text(name) or str(default)).lower()
        if raw not in ("true", "false", "1", "0", "yes", "no"):
            self.problems.append(f"{name} must be true or false, got {raw!r}")
            return default
        return raw in ("true", "1", "yes")

    def items(self, name: str) -> tuple[str, ...]:
        """A comma-separated list, or a JSON array of strings (the form the platform writes on Linux)."""
        raw = self.text(name) or ""
        if raw.startswith("["):
            try:
                values = json.loads(raw)
            except ValueError:
                values = None
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.problems.append(f"{name} must be a comma-separated list or a JSON array of strings")
                return ()
            return tuple(v.strip() for v in values if v.strip())
        return tuple(item.strip() for item in raw.split(",") if item.strip())

    def required_text(self, name: str, example: str) -> str:
        if name not in self.required:
            self.required.append(name)
        value = self.text(name)
        if value is None:
            self.problems.append(f"{name} is required and empty (for example {example})")
            return ""
        return value

    def moment(self, name: str) -> datetime | None:
        raw = self.text(name)
        if raw is None:
            return None
        value = parse_time(raw)
        if value is None:
            self.problems.append(f"{name} must be an ISO 8601 time such as 2026-12-01T00:00:00Z, got {raw!r}")
        return value

    def url(self, name: str, *, required: bool, default: str | None = None) -> str | None:
        raw = self.text(name, default)
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
        raise SettingsError(read.problems)
    return settings


def known_setting_names() -> tuple[str, ...]:
    """Every app setting the app reads, so deployment templates can be checked against it."""
    read = _Reader({})
    _read_all(read)
    return tuple(read.names)


def required_setting_names() -> tuple[str, ...]:
    """The settings without which the app refuses to start (tests/infra checks the deployment sets each one)."""
    read = _Reader({})
    _read_all(read)
    return tuple(read.required)


def setting_defaults() -> dict[str, object]:
    """What each optional setting means when unset (number, flag or text); absent: unset means off or empty."""
    read = _Reader({})
    _read_all(read)
    return {name: value for name, value in read.defaults.items() if name not in read.required}


def _read_all(read: _Reader) -> Settings:
    container_url = read.url("INPUT_CONTAINER_URL", required=False)
    allowed_hosts = read.items("ALLOWED_INPUT_HOSTS")
    if not allowed_hosts and container_url:
        container = urlsplit(container_url)
        default_port = {"https": 443, "http": 80}.get(container.scheme)
        named_port = f":{container.port}" if container.port not in (None, default_port) else ""
        allowed_hosts = (f"{container.hostname or ''}{named_port}",)
    settings = Settings(
        content_understanding_endpoint=read.url("CONTENT_UNDERSTANDING_ENDPOINT", required=True) or "",
        content_understanding_key=read.text("CONTENT_UNDERSTANDING_KEY"),
        analysis_timeout_seconds=read.number(
            "ANALYSIS_TIMEOUT_SECONDS", DEFAULT_ANALYSIS_TIMEOUT_SECONDS, minimum=1, maximum=24 * 3600
        ),
        poll_initial_interval_seconds=read.number("POLL_INITIAL_INTERVAL_SECONDS", 10, minimum=0.1, maximum=600),
        poll_max_interval_seconds=read.number("POLL_MAX_INTERVAL_SECONDS", 10, minimum=0.1, maximum=3600),
        # The first GET reads results from Content Understanding (into a claim-check copy); it keeps them 24 hours.
        result_ttl_seconds=int(read.number("RESULT_TTL_SECONDS", 3600, minimum=1, maximum=23 * 3600)),
        purge_schedule=read.required_text("PURGE_SCHEDULE", "0 */5 * * * *"),
        input_container_url=container_url,
        input_storage_connection_string=read.text("INPUT_STORAGE_CONNECTION_STRING"),
        input_sas_ttl_seconds=int(read.number("INPUT_SAS_TTL_SECONDS", 900, minimum=60, maximum=7 * 86400)),
        max_input_files=int(read.number("MAX_INPUT_FILES", 10, minimum=1, maximum=100)),
        max_request_bytes=int(read.number("MAX_REQUEST_BYTES", 1_048_576, minimum=1024, maximum=100 * 1_048_576)),
        durable_task_hub_name=read.required_text("DURABLE_TASK_HUB_NAME", "ContentAnalysis"),
        environment=read.text("AZURE_FUNCTIONS_ENVIRONMENT", "Production") or "Production",
        auth_mode=read.choice("AUTH_MODE", AUTH_MODES, "entra"),
        auth_tenant_id=read.text("AUTH_TENANT_ID"),
        auth_audiences=read.items("AUTH_AUDIENCES"),
        auth_authority_host=read.url("AUTH_AUTHORITY_HOST", required=False, default=DEFAULT_AUTHORITY_HOST)
        or DEFAULT_AUTHORITY_HOST,
        input_container_layout=read.choice("INPUT_CONTAINER_LAYOUT", CONTAINER_LAYOUTS, PER_SCOPE_LAYOUT),
        allowed_input_hosts=allowed_hosts,
        legacy_results_lookup=read.flag("LEGACY_RESULTS_LOOKUP", False),
        legacy_lookup_per_minute=int(read.number("LEGACY_LOOKUP_PER_MINUTE", 10, minimum=1, maximum=600)),
        legacy_results_cutover=read.moment("LEGACY_RESULTS_CUTOVER"),
        cors_allowed_origins=read.items("CORS_ALLOWED_ORIGINS"),
        file_analysis_parallelism=int(read.number("FILE_ANALYSIS_PARALLELISM", 4, minimum=1, maximum=20)),
        duration_model_store=read.text("DURATION_MODEL_STORE"),
        duration_model_connection_string=read.text("DURATION_MODEL_STORAGE_CONNECTION_STRING"),
        poll_target_lag_seconds=read.number("POLL_TARGET_LAG_SECONDS", 3, minimum=0.01, maximum=600),
        auth_required_scopes=read.items("AUTH_REQUIRED_SCOPES"),
        auth_required_roles=read.items("AUTH_REQUIRED_ROLES"),
        caller_starts_per_minute=int(read.number("CALLER_STARTS_PER_MINUTE", 30, minimum=1, maximum=100_000)),
        caller_reads_per_minute=int(read.number("CALLER_READS_PER_MINUTE", 600, minimum=1, maximum=1_000_000)),
        health_details_anonymous=read.flag("HEALTH_DETAILS_ANONYMOUS", False),
        result_store=read.text("RESULT_STORE"),
        result_store_connection_string=read.text("RESULT_STORE_CONNECTION_STRING"),
        max_result_bytes=int(read.number("MAX_RESULT_BYTES", 32 * 1_048_576, minimum=65_536, maximum=512 * 1_048_576)),
        content_understanding_processing_location=read.optional_choice(
            "CONTENT_UNDERSTANDING_PROCESSING_LOCATION", PROCESSING_LOCATIONS
        ),
    )
    # Deployments set it (infra/main.bicep, the example settings), but the app speaks one version only
    # (DEFAULT_API_VERSION): the setting is read to refuse any other value with the reason, and nothing more.
    _check_api_version(read.text("CONTENT_UNDERSTANDING_API_VERSION", DEFAULT_API_VERSION), read.problems)
    _check_consistency(settings, read.problems)
    return settings


def _check_api_version(version: str | None, problems: list[str]) -> None:
    if version is None or version == DEFAULT_API_VERSION:
        return
    if version in RETIRED_API_VERSIONS:
        problems.append(
            f"CONTENT_UNDERSTANDING_API_VERSION {version} was retired on 2026-07-15 (with its pro mode); use the GA "
            f"version {DEFAULT_API_VERSION}"
        )
    else:
        problems.append(
            f"CONTENT_UNDERSTANDING_API_VERSION must be {DEFAULT_API_VERSION} (the GA version this app speaks), "
            f"got {version!r}"
        )


def _check_consistency(settings: Settings, problems: list[str]) -> None:
    """Rules that involve more than one setting, each reported as one sentence."""
    if settings.purge_schedule and len(settings.purge_schedule.split()) != 6:
        problems.append(f"PURGE_SCHEDULE must be a six-field NCRONTAB expression, got {settings.purge_schedule!r}")
    if settings.durable_task_hub_name and not TASK_HUB_PATTERN.fullmatch(settings.durable_task_hub_name):
        problems.append(
            "DURABLE_TASK_HUB_NAME must be 3-45 letters and digits starting with a letter, "
            f"got {settings.durable_task_hub_name!r}"
        )
    if settings.poll_initial_interval_seconds > settings.poll_max_interval_seconds:
        problems.append("POLL_INITIAL_INTERVAL_SECONDS must not exceed POLL_MAX_INTERVAL_SECONDS")
    _check_duration_model_store(settings, problems)
    location = settings.result_store
    if location is not None and not (
        (location.startswith("file:") and location[len("file:") :].strip()) or _is_container_url(location)
    ):
        problems.append(
            "RESULT_STORE must be file:<folder> or a blob container URL such as "
            f"https://<account>.blob.core.windows.net/<container>, got {location!r}"
        )
    _check_auth(settings, problems)
    _check_local_only_values(settings, problems)
    _check_input_container_name(settings, problems)
    for origin in settings.cors_allowed_origins:
        if origin != "*" and not ORIGIN_PATTERN.fullmatch(origin):
            problems.append(f"CORS_ALLOWED_ORIGINS must list origins such as https://app.contoso.com, got {origin!r}")
    if settings.legacy_results_lookup and settings.legacy_results_cutover is None:
        problems.append(
            "LEGACY_RESULTS_LOOKUP=true needs LEGACY_RESULTS_CUTOVER (the time this app took over from the old "
            "backend): only operations created before it are looked up"
        )


def _is_container_url(location: str) -> bool:
    """A blob container URL: https, or http on loopback (Azurite); a host, a container, no query or credentials
    (the SDK would send the identity's token in the clear over http, and refuses to)."""
    parts = urlsplit(location)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    return (
        (parts.scheme == "https" or loopback)
        and bool(parts.hostname)
        and bool(parts.path.strip("/"))
        and not parts.query
        and not parts.username
    )


def _check_duration_model_store(settings: Settings, problems: list[str]) -> None:
    """file:<folder> for local development only; otherwise a blob container URL (https, or http on loopback)."""
    location = settings.duration_model_store
    if location is None:
        return
    if location.startswith("file:"):
        if not location[len("file:") :].strip():
            problems.append("DURATION_MODEL_STORE=file:<folder> needs a folder, e.g. file:.devhost/duration-models")
        elif not settings.is_development:
            problems.append(
                "DURATION_MODEL_STORE=file:<folder> is for local development only (AZURE_FUNCTIONS_ENVIRONMENT="
                "Development): instances do not share a folder; use https://<account>.blob.core.windows.net/<container>"
            )
        return
    if not _is_container_url(location):
        problems.append(
            "DURATION_MODEL_STORE must be file:<folder> (development) or a blob container URL such as "
            f"https://<account>.blob.core.windows.net/duration-models, got {location!r}"
        )


def _check_auth(settings: Settings, problems: list[str]) -> None:
    if settings.auth_mode == "none" and not settings.is_development:
        problems.append(
            "AUTH_MODE=none (anonymous callers) is for local development only: it needs "
            "AZURE_FUNCTIONS_ENVIRONMENT=Development; use entra or appservice"
        )
    if settings.auth_mode == "entra":
        if not settings.auth_tenant_id:
            problems.append("AUTH_TENANT_ID is required with AUTH_MODE=entra (the directory (tenant) id)")
        if not settings.auth_audiences:
            problems.append("AUTH_AUDIENCES is required with AUTH_MODE=entra (e.g. api://<app client id>)")


def _check_input_container_name(settings: Settings, problems: list[str]) -> None:
    """Each caller scope's files live in `<container>-g-<group>` / `<container>-u-<user>`: a base name longer than
    MAX_BASE_CONTAINER_NAME makes those names longer than Azure's 63 characters, and every file id would fail
    after its 202."""
    if settings.input_container_url is None:
        return
    base = urlsplit(settings.input_container_url).path.rstrip("/").rpartition("/")[2]
    if not is_valid_container_name(base, MAX_BASE_CONTAINER_NAME):
        problems.append(
            f"INPUT_CONTAINER_URL must end with a container name of 3-{MAX_BASE_CONTAINER_NAME} lowercase letters, "
            f"digits and single hyphens (each caller scope's container adds up to 35 characters to it, and Azure "
            f"allows 63), got {base!r}"
        )


def _check_local_only_values(settings: Settings, problems: list[str]) -> None:
    """A real resource must not receive the simulator's key, nor file ids that become loopback SAS URLs."""
    endpoint_host = urlsplit(settings.content_understanding_endpoint).hostname or ""
    if not endpoint_host or endpoint_host in LOOPBACK_HOSTS:
        return
    if settings.content_understanding_key == SIMULATOR_KEY:
        problems.append(
            "CONTENT_UNDERSTANDING_KEY is the local simulator's key but CONTENT_UNDERSTANDING_ENDPOINT is a real "
            "resource: set the resource's key, or remove the setting to use Microsoft Entra ID"
        )
    container_host = urlsplit(settings.input_container_url or "").hostname
    if container_host in LOOPBACK_HOSTS:
        problems.append(
            "INPUT_CONTAINER_URL points at local storage (Azurite), which Content Understanding in Azure cannot "
            "reach: use a storage account container, e.g. https://<account>.blob.core.windows.net/pro-input-files"
        )


@per_process
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (the app calls this at start-up)."""
    return load_settings()
