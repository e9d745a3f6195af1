"""App settings and host.json, read the way the Functions host reads them.

``local.settings.json`` ``Values`` become environment variables unless the environment already has them
(Core Tools behaves the same). ``%NAME%`` references in host.json and in binding properties resolve
against the environment, like the host's name resolver.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from tools.devhost.durable.profiles import ProfileError, parse_function_timeout

log = logging.getLogger("devhost")

DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_TASK_HUB = "TestHubName"
DEFAULT_MAX_CONCURRENT_FUNCTIONS = 8  # per kind (activity, orchestrator) when host.json does not say
REQUEST_BODY_SIZE_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
DEFAULT_REQUEST_BODY_SIZE_LIMIT = 104857600  # the Functions host's default (100 MiB)
# App settings override host.json values (AzureFunctionsJobHost__path__to__value), as the host reads them.
FUNCTION_TIMEOUT_OVERRIDE = "AzureFunctionsJobHost__functionTimeout"
_SETTING_REF = re.compile(r"%([^%]+)%")
_HUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,44}$")


class SettingNotFoundError(KeyError):
    """A ``%NAME%`` reference names a setting that is not defined."""


@dataclass(frozen=True)
class LocalSettings:
    applied: tuple[str, ...]  # names copied into the environment
    overridden: tuple[str, ...]  # names the environment already had (the environment wins)
    local_http_port: int | None
    cors: str | None = None  # Host.CORS: comma-separated origins
    cors_credentials: bool = False  # Host.CORSCredentials


@dataclass(frozen=True)
class HostConfig:
    route_prefix: str
    task_hub: str
    max_concurrent_activities: int
    max_concurrent_orchestrations: int
    function_timeout_seconds: float | None = None  # host.json functionTimeout (None: unbounded)


def apply_local_settings(
    app_dir: Path, environ: MutableMapping[str, str] | None = None, *, enabled: bool = True
) -> LocalSettings:
    """Copy ``Values`` from ``local.settings.json`` into ``environ`` without overriding existing ones.

    ``enabled=False`` (``--no-local-settings``) reads nothing: a test's host sees exactly the settings the test
    gives it, whatever the developer's file (the one ``make run`` creates) says.
    """
    environ = os.environ if environ is None else environ
    path = app_dir / "local.settings.json"
    if not enabled or not path.is_file():
        return LocalSettings(applied=(), overridden=(), local_http_port=None)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"devhost: cannot read {path}: {exc}") from exc
    if document.get("IsEncrypted"):
        log.warning("local.settings.json is encrypted; devhost cannot decrypt it, its Values are ignored")
        return LocalSettings(applied=(), overridden=(), local_http_port=None)
    applied, overridden = [], []
    for name, value in (document.get("Values") or {}).items():
        if name in environ:
            overridden.append(name)
            continue
        environ[name] = "" if value is None else str(value)
        applied.append(name)
    host = {str(k).casefold(): v for k, v in (document.get("Host") or {}).items()}  # Core Tools ignores case
    port = host.get("localhttpport")
    credentials = host.get("corscredentials")
    return LocalSettings(
        applied=tuple(applied),
        overridden=tuple(overridden),
        local_http_port=int(port) if port not in (None, "") else None,
        cors=str(host["cors"]) if host.get("cors") else None,
        cors_credentials=credentials is True or str(credentials).lower() == "true",
    )


def resolve_setting_refs(value: str, environ: MutableMapping[str, str] | None = None) -> str:
    """Replace every ``%NAME%`` with the setting's value; raise when a setting is missing."""
    environ = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise SettingNotFoundError(name)
        return environ[name]

    return _SETTING_REF.sub(substitute, value)


def _load_host_json(app_dir: Path) -> dict:
    path = app_dir / "host.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise SystemExit(f"devhost: host.json is not valid JSON: {exc}") from exc


def read_route_prefix(app_dir: Path) -> str:
    """``extensions.http.routePrefix`` ("api" when absent, "" allowed)."""
    http = (_load_host_json(app_dir).get("extensions") or {}).get("http") or {}
    route_prefix = http.get("routePrefix", DEFAULT_ROUTE_PREFIX)
    return DEFAULT_ROUTE_PREFIX if route_prefix is None else str(route_prefix).strip("/")


def read_host_config(app_dir: Path, environ: MutableMapping[str, str] | None = None) -> HostConfig:
    """The parts of host.json devhost honours (everything else is ignored)."""
    environ = os.environ if environ is None else environ
    document = _load_host_json(app_dir)
    durable = (document.get("extensions") or {}).get("durableTask") or {}
    timeout = environ.get(FUNCTION_TIMEOUT_OVERRIDE) or document.get("functionTimeout")
    try:
        function_timeout = parse_function_timeout(timeout)
    except ProfileError as exc:
        raise SystemExit(f"devhost: {exc}") from exc
    route_prefix = read_route_prefix(app_dir)
    hub = str(durable.get("hubName") or DEFAULT_TASK_HUB)
    try:
        hub = resolve_setting_refs(hub, environ)
    except SettingNotFoundError as missing:
        log.warning("host.json hubName refers to undefined setting %s; using %s", missing, DEFAULT_TASK_HUB)
        hub = DEFAULT_TASK_HUB
    if not _HUB_NAME.match(hub):
        log.warning("task hub name %r would be rejected in Azure (3-45 letters/digits, starting with a letter)", hub)
    return HostConfig(
        route_prefix=route_prefix,
        task_hub=hub,
        max_concurrent_activities=_positive_int(durable, "maxConcurrentActivityFunctions"),
        max_concurrent_orchestrations=_positive_int(durable, "maxConcurrentOrchestratorFunctions"),
        function_timeout_seconds=function_timeout,
    )


def _positive_int(durable: dict, name: str) -> int:
    """A concurrency limit from ``extensions.durableTask``; the extension refuses to start on a value below 1."""
    value = durable.get(name)
    if value is None:
        return DEFAULT_MAX_CONCURRENT_FUNCTIONS
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or isinstance(value, bool):
        raise SystemExit(f"devhost: host.json extensions.durableTask.{name} must be a positive integer, not {value!r}")
    return number


def read_request_body_size_limit(environ: MutableMapping[str, str] | None = None) -> int:
    """``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` in bytes (app setting), or the host's default when unset or invalid."""
    environ = os.environ if environ is None else environ
    raw = (environ.get(REQUEST_BODY_SIZE_LIMIT_SETTING) or "").strip()
    if not raw:
        return DEFAULT_REQUEST_BODY_SIZE_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit < 1:
        log.warning(
            "%s=%r is not a positive number of bytes; using the default %d",
            REQUEST_BODY_SIZE_LIMIT_SETTING,
            raw,
            DEFAULT_REQUEST_BODY_SIZE_LIMIT,
        )
        return DEFAULT_REQUEST_BODY_SIZE_LIMIT
    return limit
