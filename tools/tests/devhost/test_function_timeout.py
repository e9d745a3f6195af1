"""host.json functionTimeout (or AzureFunctionsJobHost__functionTimeout) bounds HTTP and timer functions too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tools.devhost.indexing import HTTP_TRIGGER, FunctionSpec
from tools.devhost.invocation import FunctionTimeoutError, Invoker
from tools.devhost.settings import read_host_config


async def slow_http(req=None):
    await asyncio.sleep(5)


def test_a_function_running_past_function_timeout_fails_with_the_hosts_message(tmp_path):
    spec = FunctionSpec("slow_http", HTTP_TRIGGER, {"name": "req"}, slow_http)
    invoker = Invoker(tmp_path, function_timeout_seconds=0.2)
    try:
        with pytest.raises(FunctionTimeoutError, match=r"Timeout value of 00:00:00.2000000 was exceeded by function"):
            asyncio.run(invoker.invoke(spec, {}, "test"))
    finally:
        invoker.close()


def test_function_timeout_comes_from_host_json_and_the_app_setting_overrides_it(tmp_path: Path):
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "functionTimeout": "00:10:00"}))
    assert read_host_config(tmp_path, {}).function_timeout_seconds == 600
    override = {"AzureFunctionsJobHost__functionTimeout": "00:00:02"}
    assert read_host_config(tmp_path, override).function_timeout_seconds == 2
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "functionTimeout": "ten"}))
    with pytest.raises(SystemExit, match="functionTimeout"):
        read_host_config(tmp_path, {})
