"""Adapters between the Durable engine and the user's orchestrator/activity functions.

The payload types are converted with azure-functions' own trigger converters (the ones the Python worker
dispatches to), so user code sees exactly the objects it would see under ``func start``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from azure.durable_functions.models.utils import http_utils
from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter, OrchestrationTriggerConverter

from tools.devhost.indexing import FunctionSpec
from tools.devhost.invocation import REASON_DURABLE, Invoker


def orchestrator_invoker(spec: FunctionSpec, invoker: Invoker) -> Callable[[str], str]:
    """``invoke(context_json) -> result_json`` for one orchestrator function (may raise)."""
    binding_name = spec.trigger["name"]

    def invoke(context_json: str) -> str:
        context = OrchestrationTriggerConverter.decode(
            meta.Datum(type="json", value=context_json), trigger_metadata=None
        )
        result = invoker.invoke_blocking(spec, {binding_name: context}, REASON_DURABLE)
        return OrchestrationTriggerConverter.encode(result, expected_type=None).value

    return invoke


def activity_invoker(spec: FunctionSpec, invoker: Invoker) -> Callable[[str | None], str | None]:
    """``invoke(input_json) -> output_json`` for one activity function (raises on failure)."""
    binding_name = spec.trigger["name"]

    def invoke(input_json: str | None) -> str | None:
        value = None
        if input_json is not None:
            value = ActivityTriggerConverter.decode(meta.Datum(type="json", value=input_json), trigger_metadata=None)
        result = invoker.invoke_blocking(spec, {binding_name: value}, REASON_DURABLE)
        return ActivityTriggerConverter.encode(result, expected_type=None).value

    return invoke


async def close_sdk_client_session() -> None:
    """Close the aiohttp session the SDK's ``DurableOrchestrationClient`` shares across calls.

    The only private SDK function devhost uses, kept here alone. azure-functions-durable 1.7.0 opens one
    module-level session on the first client call and offers no public way to close it (the Python worker
    never does: the process exits). devhost runs one event loop per host (and tests one per harness), so the
    session must be closed before its loop goes away, or aiohttp warns "Unclosed client session".
    """
    with contextlib.suppress(Exception):  # nothing was opened, or it belongs to a loop that is already gone
        await http_utils._close_session()
