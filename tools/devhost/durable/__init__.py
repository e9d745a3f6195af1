"""A local Durable Task engine for devhost: the Durable extension's behaviour, persisted in SQLite."""

from tools.devhost.durable.engine import (
    DurableEngine,
    InstanceExistsError,
    InstanceNotTerminalError,
    UnknownFunctionError,
)
from tools.devhost.durable.management_api import add_durable_routes, client_binding_json

__all__ = [
    "DurableEngine",
    "InstanceExistsError",
    "InstanceNotTerminalError",
    "UnknownFunctionError",
    "add_durable_routes",
    "client_binding_json",
]
