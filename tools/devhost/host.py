"""The local Functions host: load the app, index its functions, serve HTTP, run timers and Durable."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from aiohttp import web

from tools.devhost.console import emit
from tools.devhost.cors import CorsPolicy, install_cors
from tools.devhost.durable import DurableEngine, add_durable_routes, client_binding_json, profile_from_settings
from tools.devhost.durable.management_api import RPC_PREFIX, WEBHOOK_PREFIX
from tools.devhost.durable.profiles import ProfileError
from tools.devhost.durable_bridge import activity_invoker, close_sdk_client_session, orchestrator_invoker
from tools.devhost.host_keys import host_key, require_host_key
from tools.devhost.http_triggers import HttpTriggerHandler
from tools.devhost.indexing import (
    ACTIVITY_TRIGGER,
    HTTP_TRIGGER,
    ORCHESTRATION_TRIGGER,
    TIMER_TRIGGER,
    FunctionSpec,
    index_functions,
)
from tools.devhost.invocation import Invoker
from tools.devhost.settings import DEFAULT_REQUEST_BODY_SIZE_LIMIT, HostConfig, read_host_config
from tools.devhost.timers import TimerScheduler, prepare_timers

log = logging.getLogger("devhost")

STATE_DIR_ENV = "DEVHOST_STATE_DIR"
DEFAULT_STATE_DIR = ".devhost"
DURABLE_DB_FILE = "durable.sqlite3"
SHUTDOWN_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class HostOptions:
    app_dir: Path
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 7071
    verbose: bool = False
    max_request_body_bytes: int = DEFAULT_REQUEST_BODY_SIZE_LIMIT  # FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
    cors: CorsPolicy | None = None  # None: no CORS handling (no origin configured)
    json_not_found: bool = False  # --json-not-found: unmatched paths get a JSON 404 (the real host: empty)


class StartupError(RuntimeError):
    """The app cannot be loaded; the message says why."""


def load_function_app(app_dir: Path) -> Any:
    """Import ``function_app`` from ``app_dir`` and return its FunctionApp (the worker's lookup)."""
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    if not (app_dir / "function_app.py").is_file():
        raise StartupError(f"no function_app.py in {app_dir}")
    try:
        module = importlib.import_module("function_app")
    except Exception as exc:
        # The worker reports an app that fails at import as one "failed to index" line, not a traceback:
        # what the app logged before raising (e.g. one line per bad setting) is what a person needs.
        log.debug("function_app failed to import", exc_info=True)
        raise StartupError(f"the app failed to load: {type(exc).__name__}: {exc}") from exc
    return _find_app(module)


def _find_app(module: ModuleType) -> Any:
    import azure.functions as func

    registers = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if not registers:
        raise StartupError("function_app.py defines no FunctionApp / DFApp instance")
    if len(registers) > 1:
        raise StartupError("function_app.py defines more than one FunctionApp instance (the worker refuses this)")
    return registers[0]


class FunctionsHost:
    """Owns the server, the Durable engine and the timer scheduler for one app."""

    def __init__(self, options: HostOptions, config: HostConfig, specs: list[FunctionSpec]) -> None:
        self.options = options
        self.config = config
        self.specs = specs
        self.invoker = Invoker(options.app_dir, function_timeout_seconds=config.function_timeout_seconds)
        self._socket = _bind(options.host, options.port)
        self.port: int = self._socket.getsockname()[1]
        self.base_url = f"http://{_client_host(options.host)}:{self.port}"
        # The Durable client's RPC endpoint: loopback only, another port, no key (the real host's local RPC).
        self._rpc_socket = _bind("127.0.0.1", 0)
        self.rpc_base_url = f"http://127.0.0.1:{self._rpc_socket.getsockname()[1]}"
        self.host_key = host_key(options.state_dir)
        self._rpc_runner: web.AppRunner | None = None
        self._engine: DurableEngine | None = None
        self._runner: web.AppRunner | None = None
        self._timers: TimerScheduler | None = None

    # ------------------------------------------------------------------------------------------ durable

    def _durable_client_value(self, task_hub: str | None) -> str:
        if self._engine is None:
            raise RuntimeError("Durable client requested but the Durable engine is not running")
        return _client_binding(self.base_url, task_hub or self.config.task_hub, self.host_key, self.rpc_base_url)

    def _setup_durable(self) -> None:
        durable_specs = [s for s in self.specs if s.trigger_type in (ORCHESTRATION_TRIGGER, ACTIVITY_TRIGGER)]
        needs_durable = durable_specs or any(s.durable_clients for s in self.specs)
        if not needs_durable:
            return
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            profile = profile_from_settings()
        except ProfileError as exc:
            raise StartupError(str(exc)) from exc
        self._engine = DurableEngine(
            self.options.state_dir / DURABLE_DB_FILE,
            task_hub=self.config.task_hub,
            activity_workers=self.config.max_concurrent_activities,
            orchestrator_workers=self.config.max_concurrent_orchestrations,
            logger=logging.getLogger("devhost.durable"),
            log_function_executions=False,  # the invokers already log Executing/Executed
            profile=profile,
            function_timeout_seconds=self.config.function_timeout_seconds,
        )
        for spec in durable_specs:
            if spec.trigger_type == ORCHESTRATION_TRIGGER:
                self._engine.register_orchestrator(spec.durable_name, orchestrator_invoker(spec, self.invoker))
            else:
                self._engine.register_activity(spec.durable_name, activity_invoker(spec, self.invoker))

    # ------------------------------------------------------------------------------------------ lifecycle

    def build_web_app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.options.max_request_body_bytes, middlewares=[require_host_key(self.host_key)]
        )
        if self.options.cors is not None:
            install_cors(app, self.options.cors)
        if self._engine is not None:
            add_durable_routes(app, self._engine, (WEBHOOK_PREFIX,))
        app.router.add_get("/admin/host/status", self._host_status)
        app.router.add_post("/admin/functions/{name}", self._invoke_non_http)
        handler = HttpTriggerHandler(
            self.specs,
            self.invoker,
            self._durable_client_value,
            lambda: self.base_url,
            self.options.max_request_body_bytes,
            json_not_found=self.options.json_not_found,
        )
        # Any path, including percent-encoded control characters (".*" would not match a decoded newline).
        app.router.add_route("*", r"/{tail:[\s\S]*}", handler, expect_handler=handler.expect)
        return app

    async def start(self) -> None:
        self._setup_durable()
        if self._engine is not None:
            await self._engine.start()
        self._runner = web.AppRunner(self.build_web_app(), access_log=None, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        if self._engine is not None:
            rpc_app = web.Application(client_max_size=self.options.max_request_body_bytes)
            add_durable_routes(rpc_app, self._engine, (RPC_PREFIX,))
            self._rpc_runner = web.AppRunner(rpc_app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
            await self._rpc_runner.setup()
            await web.SockSite(self._rpc_runner, self._rpc_socket).start()
        self._print_functions()
        emit(f"Host started. Listening on {self.base_url}")
        timers = prepare_timers([s for s in self.specs if s.trigger_type == TIMER_TRIGGER])
        self._timers = TimerScheduler(timers, self.invoker, self._durable_client_value)
        self._timers.start()

    async def stop(self) -> None:
        emit("Application is shutting down...")
        if self._timers is not None:
            await self._timers.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._rpc_runner is not None:
            await self._rpc_runner.cleanup()
        if self._engine is not None:
            try:
                await self._engine.stop()
            except Exception:
                log.exception("Durable engine did not stop cleanly")
        await close_sdk_client_session()
        self.invoker.close()

    def _print_functions(self) -> None:
        emit()
        emit("Functions:")
        emit()
        for spec in self.specs:
            if spec.trigger_type == HTTP_TRIGGER:
                assert spec.route is not None
                methods = ",".join(spec.methods)
                emit(f"        {spec.name}: [{methods}] {self.base_url}/{spec.route.text}")
            else:
                emit(f"        {spec.name}: {spec.trigger_type}")
            emit()
        emit(f"Task hub: {self.config.task_hub}   Route prefix: '{self.config.route_prefix}'")
        if self._engine is not None:
            emit(f"Durable backend profile: {self._engine.profile.describe()}")
        emit(
            f"Host key (/admin, /runtime/webhooks; ?code= or x-functions-key): in {self.options.state_dir / 'host-key'}"
        )
        if self.options.cors is not None:
            emit(f"CORS allowed origins: {self.options.cors.describe()}")

    # ------------------------------------------------------------------------------------ admin endpoints

    async def _host_status(self, request: web.Request) -> web.Response:
        return web.json_response({"state": "Running", "processId": os.getpid(), "version": "devhost"})

    async def _invoke_non_http(self, request: web.Request) -> web.Response:
        """``POST /admin/functions/{name}`` runs a timer function now (Core Tools' admin API)."""
        if self._timers is None or not self._timers.fire_now(request.match_info["name"]):
            return web.Response(status=404)
        return web.Response(status=202)


@lru_cache(maxsize=32)
def _client_binding(base_url: str, task_hub: str, key: str, rpc_base_url: str) -> str:
    return client_binding_json(base_url, task_hub, key, rpc_base_url)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - mapping, not binding


async def serve(options: HostOptions) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    config = read_host_config(options.app_dir)
    app = load_function_app(options.app_dir)
    specs = index_functions(app, config.route_prefix)
    host = FunctionsHost(options, config, specs)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await host.start()
        await stop.wait()
    finally:
        await host.stop()
    return 0
