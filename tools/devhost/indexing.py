"""Index an app's functions from the library's own metadata (what the worker reports to the host)."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.devhost.routing import RouteTemplate, RouteTemplateError, parse_template

log = logging.getLogger("devhost")

HTTP_TRIGGER = "httpTrigger"
ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
TIMER_TRIGGER = "timerTrigger"
SUPPORTED_TRIGGERS = (HTTP_TRIGGER, ORCHESTRATION_TRIGGER, ACTIVITY_TRIGGER, TIMER_TRIGGER)
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


@dataclass
class FunctionSpec:
    """One indexed function: its trigger, its other input bindings and the callable to invoke."""

    name: str
    trigger_type: str
    trigger: dict[str, Any]
    user_function: Callable[..., Any]
    durable_clients: dict[str, str | None] = field(default_factory=dict)  # param name -> taskHub override
    wants_context: bool = False
    route: RouteTemplate | None = None
    methods: tuple[str, ...] = ()
    index: int = 0  # registration order, the tie-breaker between routes of equal precedence

    @property
    def durable_name(self) -> str:
        """Name the Durable extension registers an orchestrator/activity under."""
        key = "orchestration" if self.trigger_type == ORCHESTRATION_TRIGGER else "activity"
        return str(self.trigger.get(key) or self.name)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.user_function)


def index_functions(app: Any, route_prefix: str) -> list[FunctionSpec]:
    """Build specs for every supported function; warn about (and skip) the others."""
    specs: list[FunctionSpec] = []
    for position, function in enumerate(app.get_functions()):
        name = function.get_function_name()
        bindings = json.loads(function.get_function_json()).get("bindings", [])
        triggers = [b for b in bindings if str(b.get("type", "")).lower().endswith("trigger")]
        if len(triggers) != 1:
            log.warning("Function '%s' has %d triggers; skipped", name, len(triggers))
            continue
        trigger = triggers[0]
        trigger_type = trigger["type"]
        if trigger_type not in SUPPORTED_TRIGGERS:
            log.warning("Function '%s': trigger type '%s' is not supported by devhost; skipped", name, trigger_type)
            continue
        user_function = function.get_user_function()
        spec = FunctionSpec(
            name=name,
            trigger_type=trigger_type,
            trigger=trigger,
            user_function=user_function,
            wants_context=_wants_context(user_function, bindings),
            index=position,
        )
        for binding in bindings:
            kind = binding.get("type")
            if binding is trigger or kind == "http":
                continue
            if kind == "durableClient":
                spec.durable_clients[binding["name"]] = binding.get("taskHub")
            else:
                log.warning("Function '%s': binding type '%s' is not supported by devhost; ignored", name, kind)
        if trigger_type == HTTP_TRIGGER:
            try:
                spec.route = parse_template(str(trigger.get("route") or name), route_prefix)
            except RouteTemplateError as exc:
                log.error("Function '%s' skipped: %s", name, exc)
                continue
            methods = trigger.get("methods") or ALL_METHODS
            spec.methods = tuple(str(getattr(m, "value", m)).upper() for m in methods)
        specs.append(spec)
    return specs


def _wants_context(user_function: Callable[..., Any], bindings: list[dict]) -> bool:
    """The Python worker passes the invocation context to a parameter called ``context``."""
    names = {b.get("name") for b in bindings}
    try:
        parameters = inspect.signature(user_function).parameters
    except (TypeError, ValueError):
        return False
    return "context" in parameters and "context" not in names


def sorted_http_routes(specs: list[FunctionSpec]) -> list[FunctionSpec]:
    """HTTP functions in the order routes are tried (route precedence, then registration order)."""
    http = [s for s in specs if s.route is not None]
    return sorted(http, key=lambda s: (s.route.precedence, s.index))  # type: ignore[union-attr]
