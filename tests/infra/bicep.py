"""Helpers that read infra/*.bicep through pycep-parser (a Python Bicep parser) for the infra tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
SECTIONS = ("parameters", "variables", "resources", "modules", "outputs")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    """The parsed template; a syntax error raises (lark's UnexpectedInput) with line and column.

    pycep leaves out the sections a file does not have; they are added here, empty.
    """
    template = BicepParser().parse(file_path=path)
    for section in SECTIONS:
        template.setdefault(section, {})
    return template


def leaves(node: Any) -> Iterator[Any]:
    """Every scalar in a parsed expression or object."""
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    else:
        yield node


def object_literal_keys(node: Any) -> set[str]:
    """Keys of the object literals an expression can evaluate to (through union(), ?: and friends).

    pycep writes an operator as {"operator": {"type", "operands"}} and a call as {"function": {"type",
    "parameters"}}; any other dict is an object literal. Values of a literal are not searched: an app
    setting's value is a string, never an object.
    """
    keys: set[str] = set()
    if isinstance(node, dict):
        if set(node) == {"operator"}:
            for operand in node["operator"].get("operands", {}).values():
                keys |= object_literal_keys(operand)
        elif set(node) == {"function"}:
            for argument in (node["function"].get("parameters") or {}).values():
                keys |= object_literal_keys(argument)
        else:
            keys |= set(node)
    elif isinstance(node, list):
        for item in node:
            keys |= object_literal_keys(item)
    return keys


def app_setting_names() -> set[str]:
    """Names set by every variable whose name starts with `appSettings`, in every template."""
    names: set[str] = set()
    for path in bicep_files():
        for name, variable in parse(path)["variables"].items():
            if name.startswith("appSettings"):
                names |= object_literal_keys(variable["value"])
    return names


def resolve_guids(token: Any, variables: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """Role definition ids a token stands for: a GUID itself, or a variable (or array variable) holding them."""
    if isinstance(token, str) and GUID.match(token):
        return {token}
    if isinstance(token, str) and token in variables and token not in seen:
        return {
            guid
            for leaf in leaves(variables[token]["value"])
            for guid in resolve_guids(leaf, variables, seen | {token})
        }
    return set()


def role_assignments() -> list[tuple[Path, str, dict[str, Any], set[str]]]:
    """(file, symbolic name, resource, role definition ids) of every Microsoft.Authorization/roleAssignments."""
    found = []
    for path in bicep_files():
        template = parse(path)
        for name, resource in template["resources"].items():
            if resource["type"] != "Microsoft.Authorization/roleAssignments":
                continue
            roles = {guid for leaf in leaves(resource["config"]) for guid in resolve_guids(leaf, template["variables"])}
            found.append((path, name, resource, roles))
    return found


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource's object, under a loop or a condition when it has one."""
    config = resource["config"]
    while isinstance(config, dict) and "config" in config and ("loop_type" in config or "condition" in config):
        config = config["config"]
    return config
