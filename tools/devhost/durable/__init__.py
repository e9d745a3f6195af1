"""A local Durable Task engine for devhost: the Durable extension's behaviour, persisted in SQLite."""

from tools.devhost.durable.engine import (
    DurableEngine,
    InstanceExistsError,
    InstanceNotTerminalError,
    MessageTooLargeError,
    UnknownFunctionError,
)
from tools.devhost.durable.management_api import add_durable_routes, client_binding_json
from tools.devhost.durable.profiles import BackendProfile, profile_from_settings

__all__ = [
    "BackendProfile",
    "DurableEngine",
    "InstanceExistsError",
    "InstanceNotTerminalError",
    "MessageTooLargeError",
    "UnknownFunctionError",
    "add_durable_routes",
    "client_binding_json",
    "profile_from_settings",
]
