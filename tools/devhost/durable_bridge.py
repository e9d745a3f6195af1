"""Adapters between the Durable engine and the user's orchestrator/activity functions.

The payload types are converted with azure-functions' own trigger converters (the ones the Python worker
dispatches to), so user code sees exactly the objects it would see under ``func start``.
"""

from __future__ import annotations

from collections.abc import Callable

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
