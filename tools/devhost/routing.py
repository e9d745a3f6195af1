"""HTTP route templates matched the way the Functions host (ASP.NET Core routing) matches them.

Pure module: parse a template once, then match request paths against it. The complex-segment
algorithm (``{analyzerId}:analyze``) is a port of ASP.NET Core's ``RoutePatternMatcher``: literals are
found from the right, so the parameter before a literal takes the longest possible prefix.
"""

from __future__ import annotations

import itertools
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote


class RouteTemplateError(ValueError):
    """The template cannot be parsed (the real host refuses to index such a function)."""


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Parameter:
    name: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    constraints: tuple[str, ...] = ()


Part = Literal | Parameter


@dataclass(frozen=True)
class Segment:
    parts: tuple[Part, ...]

    @property
    def is_simple_literal(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], Literal)

    @property
    def single_parameter(self) -> Parameter | None:
        if len(self.parts) == 1 and isinstance(self.parts[0], Parameter):
            return self.parts[0]
        return None


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template (already including the route prefix)."""

    text: str
    segments: tuple[Segment, ...]
    precedence: tuple[int, ...] = field(compare=False)

    def match(self, path: str) -> dict[str, str] | None:
        """Return the URL-decoded route values when ``path`` (raw, still percent-encoded) matches."""
        request_segments = _split_path(path)
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            parameter = segment.single_parameter
            if parameter is not None and parameter.catch_all:
                rest = "/".join(unquote(s) for s in request_segments[index:])
                if rest:
                    if not _satisfies(parameter, rest):
                        return None
                    values[parameter.name] = rest
                elif parameter.default is not None:
                    values[parameter.name] = parameter.default
                return values
            if index >= len(request_segments):
                if not _can_be_omitted(segment, values):
                    return None
                continue
            request_segment = unquote(request_segments[index])
            if not _match_segment(segment, request_segment, values):
                return None
        if len(request_segments) > len(self.segments):
            return None
        return values


def parse_template(route: str, prefix: str = "") -> RouteTemplate:
    """Parse ``route`` as the host does for ``{prefix}/{route}``."""
    pieces = [p.strip("/") for p in (prefix, route) if p and p.strip("/")]
    text = "/".join(pieces)
    raw_segments = text.split("/") if text else []
    segments: list[Segment] = []
    for position, raw in enumerate(raw_segments):
        if raw == "":
            raise RouteTemplateError(f"empty segment in route template {text!r}")
        segment = Segment(tuple(_parse_segment(raw, text)))
        _validate_segment(segment, text, is_last=position == len(raw_segments) - 1)
        segments.append(segment)
    return RouteTemplate(text=text, segments=tuple(segments), precedence=_precedence(segments))


def _split_path(path: str) -> list[str]:
    path = path.strip("/")
    return path.split("/") if path else []


def _can_be_omitted(segment: Segment, values: dict[str, str]) -> bool:
    parameter = segment.single_parameter
    if parameter is None:
        return False
    if parameter.default is not None:
        values[parameter.name] = parameter.default
        return True
    return parameter.optional


def _match_segment(segment: Segment, request_segment: str, values: dict[str, str]) -> bool:
    if segment.is_simple_literal:
        literal = segment.parts[0]
        assert isinstance(literal, Literal)
        return ordinal_ignore_case(literal.text) == ordinal_ignore_case(request_segment)
    parameter = segment.single_parameter
    if parameter is not None:
        if request_segment == "":
            return False
        if not _satisfies(parameter, request_segment):
            return False
        values[parameter.name] = request_segment
        return True
    captured = _match_complex_segment(segment.parts, request_segment)
    if captured is None:
        return False
    for part in segment.parts:
        if isinstance(part, Parameter) and part.name in captured and not _satisfies(part, captured[part.name]):
            return False
    values.update(captured)
    return True


def _match_complex_segment(parts: Sequence[Part], request_segment: str) -> dict[str, str] | None:
    """Port of ASP.NET Core ``RoutePatternMatcher.MatchComplexSegmentCore`` (right-to-left)."""
    last = parts[-1]
    if isinstance(last, Parameter) and last.optional and len(parts) > 1:
        found = _match_complex_core(parts, request_segment, len(parts) - 1)
        if found is not None:
            return found
        # ASP.NET retries without the optional trailing parameter and the literal before it.
        return _match_complex_core(parts, request_segment, len(parts) - 3) if len(parts) >= 3 else None
    return _match_complex_core(parts, request_segment, len(parts) - 1)


def ordinal_ignore_case(text: str) -> str:
    """The text as ASP.NET's OrdinalIgnoreCase compares it: each character upper-cased on its own (simple case
    mapping), never expanded, so an offset in the folded text is the same offset in the original. Python's
    casefold() is full case folding (`ß` -> `ss`), which moves offsets and matches what .NET does not."""
    return "".join(upper if len(upper := char.upper()) == 1 else char for char in text)


def _match_complex_core(parts: Sequence[Part], segment: str, index_of_last_part: int) -> dict[str, str] | None:
    folded = ordinal_ignore_case(segment)
    last_index = len(segment)
    pending: Parameter | None = None
    last_literal: Literal | None = None
    captured: dict[str, str] = {}
    index = index_of_last_part
    while index >= 0:
        new_last_index = last_index
        part = parts[index]
        if isinstance(part, Parameter):
            pending = part
        else:
            last_literal = part
            start_index = last_index - 1 if pending is not None else last_index
            if start_index == 0:
                return None
            found_at = folded.rfind(ordinal_ignore_case(part.text), 0, start_index)
            if found_at == -1:
                return None
            if index == len(parts) - 1 and found_at + len(part.text) != len(segment):
                return None
            new_last_index = found_at
        if pending is not None and ((last_literal is not None and isinstance(part, Literal)) or index == 0):
            if last_literal is None or (index == 0 and isinstance(part, Parameter)):
                start, length = 0, last_index
            else:
                start = new_last_index + len(last_literal.text)
                length = last_index - start
            value = segment[start : start + length]
            if not value:
                return None
            captured[pending.name] = value
            pending = None
            last_literal = None
        last_index = new_last_index
        index -= 1
    if last_index == 0 or isinstance(parts[0], Parameter):
        return captured
    return None


# ---------------------------------------------------------------------------------------------- parsing

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse_segment(raw: str, template: str) -> Iterable[Part]:
    i = 0
    literal = []
    while i < len(raw):
        ch = raw[i]
        if ch == "{":
            if raw.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            end = _find_parameter_end(raw, i, template)
            if literal:
                yield Literal("".join(literal))
                literal = []
            yield _parse_parameter(raw[i + 1 : end], template)
            i = end + 1
        elif ch == "}":
            if raw.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise RouteTemplateError(f"unbalanced '}}' in route template {template!r}")
        else:
            literal.append(ch)
            i += 1
    if literal:
        yield Literal("".join(literal))


def _find_parameter_end(raw: str, start: int, template: str) -> int:
    depth = 0
    i = start + 1
    while i < len(raw):
        ch = raw[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "}" and depth == 0:
            if raw.startswith("}}", i):  # escaped brace inside a regex constraint
                i += 2
                continue
            return i
        i += 1
    raise RouteTemplateError(f"unterminated parameter in route template {template!r}")


def _parse_parameter(body: str, template: str) -> Parameter:
    catch_all = False
    if body.startswith("**"):
        catch_all, body = True, body[2:]
    elif body.startswith("*"):
        catch_all, body = True, body[1:]
    default = None
    name_and_constraints = body
    # `=default` comes after the constraints; constraints may themselves contain '=' inside regex(...).
    depth = 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "=" and depth == 0:
            name_and_constraints, default = body[:i], body[i + 1 :]
            break
    optional = name_and_constraints.endswith("?")
    if optional:
        name_and_constraints = name_and_constraints[:-1]
    name, *constraints = _split_constraints(name_and_constraints)
    if not _NAME.match(name):
        raise RouteTemplateError(f"invalid parameter name {name!r} in route template {template!r}")
    return Parameter(
        name=name,
        optional=optional,
        catch_all=catch_all,
        default=default,
        constraints=tuple(c.replace("{{", "{").replace("}}", "}") for c in constraints),
    )


def _split_constraints(text: str) -> list[str]:
    items, current, depth = [], [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ":" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _validate_segment(segment: Segment, template: str, *, is_last: bool) -> None:
    parts = segment.parts
    for left, right in itertools.pairwise(parts):
        if isinstance(left, Parameter) and isinstance(right, Parameter):
            raise RouteTemplateError(f"two consecutive parameters in one segment of {template!r}")
    for part in parts:
        if isinstance(part, Parameter) and part.catch_all and (len(parts) > 1 or not is_last):
            raise RouteTemplateError(f"a catch-all parameter must be the whole last segment of {template!r}")
    if len(parts) > 1:
        for part in parts[:-1]:
            if isinstance(part, Parameter) and part.optional:
                raise RouteTemplateError(f"only the last part of a complex segment may be optional: {template!r}")


def _precedence(segments: Sequence[Segment]) -> tuple[int, ...]:
    """Lower sorts first: literal segments beat constrained parameters beat parameters beat catch-alls."""
    ranks = []
    for segment in segments:
        parameter = segment.single_parameter
        if segment.is_simple_literal:
            ranks.append(1)
        elif parameter is None:
            ranks.append(2)  # complex segment
        elif parameter.catch_all:
            ranks.append(5)
        elif parameter.constraints:
            ranks.append(3)
        else:
            ranks.append(4)
    return tuple(ranks)


# ------------------------------------------------------------------------------------------ constraints

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ALPHA_RE = re.compile(r"^[A-Za-z]+$")
_CONSTRAINT_RE = re.compile(r"^(?P<name>[A-Za-z]+)(\((?P<args>.*)\))?$", re.DOTALL)


def _satisfies(parameter: Parameter, value: str) -> bool:
    return all(_check_constraint(c, value) for c in parameter.constraints)


def _check_constraint(constraint: str, value: str) -> bool:
    m = _CONSTRAINT_RE.match(constraint)
    if not m:
        return True  # unknown syntax: the host would refuse the route; be permissive locally
    name, args = m.group("name").lower(), m.group("args")
    if name == "int":
        return bool(_INT_RE.match(value)) and -(2**31) <= int(value) < 2**31
    if name == "long":
        return bool(_INT_RE.match(value)) and -(2**63) <= int(value) < 2**63
    if name in ("float", "double", "decimal"):
        return bool(_FLOAT_RE.match(value))
    if name == "bool":
        return value.lower() in ("true", "false")
    if name == "guid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if name == "alpha":
        return bool(_ALPHA_RE.match(value))
    if name == "datetime":
        from datetime import datetime

        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    numbers = [a.strip() for a in (args or "").split(",")] if name != "regex" else []
    if name in ("min", "max", "range"):
        if not _INT_RE.match(value):
            return False
        number = int(value)
        low = int(numbers[0]) if name in ("min", "range") else -math.inf
        high = int(numbers[-1]) if name in ("max", "range") else math.inf
        return low <= number <= high
    if name in ("minlength", "maxlength", "length"):
        if name == "minlength":
            return len(value) >= int(numbers[0])
        if name == "maxlength":
            return len(value) <= int(numbers[0])
        if len(numbers) == 1:
            return len(value) == int(numbers[0])
        return int(numbers[0]) <= len(value) <= int(numbers[1])
    if name == "regex":
        return re.search(args or "", value, re.IGNORECASE) is not None
    return True  # unknown constraint names are not enforced locally (documented)
