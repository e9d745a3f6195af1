"""Invoke user functions the way the Python worker does, with the host's Executing/Executed log lines."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import azure.functions as func

from tools.devhost.durable.profiles import function_timeout_message
from tools.devhost.indexing import FunctionSpec

log = logging.getLogger("devhost")

REASON_HTTP = "This function was programmatically called via the host APIs."
REASON_DURABLE = "(null)"


class InvocationContext(func.Context):
    """What the worker hands to a parameter named ``context``."""

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._thread_local_storage = threading.local()
        self._thread_local_storage.invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._thread_local_storage

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


class FunctionTimeoutError(Exception):
    """The function ran longer than host.json functionTimeout (the host's FunctionTimeoutException)."""


class Invoker:
    """Runs user functions: coroutines on the host loop, plain functions on a thread pool."""

    def __init__(self, app_dir: Path, max_workers: int = 16, function_timeout_seconds: float | None = None) -> None:
        self._app_dir = app_dir
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="devhost-fn")
        # host.json functionTimeout for the functions awaited here (HTTP, timer); the Durable engine applies it
        # to activities and orchestrator episodes itself.
        self.function_timeout_seconds = function_timeout_seconds

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def invoke(self, spec: FunctionSpec, kwargs: dict[str, Any], reason: str) -> Any:
        """Await the user function (raises what it raises, after logging the failure)."""
        invocation_id = str(uuid.uuid4())
        kwargs = self._with_context(spec, kwargs, invocation_id)
        with _logged_execution(spec.name, reason, invocation_id):
            if spec.is_async:
                running = spec.user_function(**kwargs)
            else:
                loop = asyncio.get_running_loop()
                running = loop.run_in_executor(self._executor, functools.partial(spec.user_function, **kwargs))
            try:
                return await asyncio.wait_for(running, self.function_timeout_seconds)
            except (TimeoutError, asyncio.TimeoutError):
                raise FunctionTimeoutError(function_timeout_message(self.function_timeout_seconds, spec.name)) from None

    def invoke_blocking(self, spec: FunctionSpec, kwargs: dict[str, Any], reason: str) -> Any:
        """Run the user function in the calling thread (async ones on a fresh event loop)."""
        invocation_id = str(uuid.uuid4())
        kwargs = self._with_context(spec, kwargs, invocation_id)
        with _logged_execution(spec.name, reason, invocation_id):
            if spec.is_async:
                return asyncio.run(spec.user_function(**kwargs))
            return spec.user_function(**kwargs)

    def _with_context(self, spec: FunctionSpec, kwargs: dict[str, Any], invocation_id: str) -> dict[str, Any]:
        if not spec.wants_context:
            return kwargs
        directory = str(self._app_dir / spec.name)
        return {**kwargs, "context": InvocationContext(invocation_id, spec.name, directory)}


@contextlib.contextmanager
def _logged_execution(name: str, reason: str, invocation_id: str) -> Iterator[None]:
    log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", name, reason, invocation_id)
    started = time.monotonic()
    try:
        yield
    except BaseException as exc:
        duration = _millis(started)
        if isinstance(exc, Exception):
            log.error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)", name, invocation_id, duration)
            log.error("Function '%s' raised: %s", name, _describe(exc), exc_info=exc)
        else:
            log.error("Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)", name, invocation_id, duration)
        raise
    log.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", name, invocation_id, _millis(started))


def _millis(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _describe(exc: BaseException) -> str:
    text = str(exc).split("\n\n$OutOfProcData$", 1)[0]  # orchestrator failures carry replay state
    return f"{type(exc).__name__}: {text}"
