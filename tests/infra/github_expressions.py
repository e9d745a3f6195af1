"""A small evaluator of GitHub Actions `if:` expressions, enough to test a workflow's conditions on events.

Covers what our workflows use: property paths (`github.event.workflow_run.event`), string literals, `true`
/ `false` / `null`, `==` / `!=`, `!`, `&&`, `||` and parentheses, with GitHub's rules: string comparison
ignores case, a missing property is null, `&&` / `||` return an operand (falsy: null, false, 0, '').
Anything else (function calls, indexes, numbers) raises, so a condition using it cannot be half-checked.
(docs.github.com, "Evaluate expressions in workflows and actions", Operators and Literals.)
"""

from __future__ import annotations

import re
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(\|\||&&|==|!=|!|\(|\))|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position, text = [], 0, text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match:
            raise ValueError(f"unsupported expression syntax at {text[position:]!r}")
        operator, string, name = match.groups()
        if operator:
            found.append(("op", operator))
        elif string is not None:
            found.append(("str", string.replace("''", "'")))
        else:
            found.append(("name", name))
        position = match.end()
    return found


def truthy(value: Any) -> bool:
    """GitHub's rule, by which a job's `if:` runs it too: null, false, 0 and '' are falsy."""
    return value not in (None, False, 0, "")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    return left == right


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of `expression` (with or without `${{ }}`) against `context` ({"github": {...}, ...})."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    tokens = _tokens(text)
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def either() -> Any:
        value = both()
        while peek() == ("op", "||"):
            take()
            right = both()
            value = value if truthy(value) else right
        return value

    def both() -> Any:
        value = unary()
        while peek() == ("op", "&&"):
            take()
            right = unary()
            value = right if truthy(value) else value
        return value

    def unary() -> Any:
        if peek() == ("op", "!"):
            take()
            return not truthy(unary())
        left = primary()
        if peek() in (("op", "=="), ("op", "!=")):
            operator = take()[1]
            right = primary()
            return _equal(left, right) if operator == "==" else not _equal(left, right)
        return left

    def primary() -> Any:
        kind, value = take()
        if (kind, value) == ("op", "("):
            inner = either()
            if take() != ("op", ")"):
                raise ValueError("unbalanced parentheses")
            return inner
        if kind == "str":
            return value
        if kind == "name":
            literals = {"true": True, "false": False, "null": None}
            if value in literals:
                return literals[value]
            node: Any = context
            for part in value.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            return node
        raise ValueError(f"unexpected {value!r}")

    result = either()
    if position != len(tokens):
        raise ValueError(f"unparsed rest of the expression: {tokens[position:]}")
    return result
