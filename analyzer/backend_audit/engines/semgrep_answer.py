"""The shape of semgrep's JSON answers, checked before a value in them is used.

semgrep is another program, and the one found may not be the one expected: every field
the engine reads is checked here first, so an answer of another shape is a notification
and never a crash that loses the libcst findings too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Maybe:
    """A field that may be absent or null."""

    shape: Any


def _line(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


_POSITION = {"line": _line, "col": _line}

#: One match, as both ``semgrep scan --json`` and semgrep-core give it.
_RESULT = {"check_id": str, "path": str, "start": _POSITION, "end": _POSITION,
           "extra": Maybe({"fix": Maybe(str), "message": Maybe(str)})}

#: ``semgrep scan --json`` (semgrep-core's errors are converted to this shape).
WRAPPER = {
    "results": [_RESULT],
    "errors": Maybe([{
        "type": Maybe((str, list)), "level": Maybe(str), "path": Maybe(str),
        "message": Maybe(str), "rule_id": Maybe(str),
        "spans": Maybe([{"file": Maybe(str), "start": Maybe({"line": Maybe(int)})}]),
    }]),
}

_LOCATION = {"path": Maybe(str), "start": Maybe({"line": Maybe(int)}),
             "end": Maybe({"line": Maybe(int)})}

#: semgrep-core ``-json_nodots``.
CORE = {
    "version": str,
    "results": [_RESULT],
    "errors": Maybe([{
        "error_type": (str, list), "severity": Maybe(str), "rule_id": Maybe(str),
        "message": Maybe(str), "location": Maybe(_LOCATION),
    }]),
}

#: The locations of a ``["PartialParsing", [location, ...]]`` error type.
PARTIAL_PARSING = [_LOCATION]


def _name(shape: Any) -> str:
    if isinstance(shape, dict):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    if isinstance(shape, tuple):
        return " or ".join(_name(s) for s in shape)
    if shape is _line:
        return "a line or column number"
    return {str: "a string", int: "a number"}.get(shape, getattr(shape, "__name__", "?"))


def mismatch(value: Any, shape: Any, where: str = "") -> str | None:
    """Where ``value`` differs from ``shape``, or None when it has it.

    A shape is a type (or tuple of types), a predicate, ``{key: shape}`` for an object
    with those keys (each required unless ``Maybe``), or ``[shape]`` for a list of them.
    ``where`` is the path to ``value`` (``results[0].path``); empty for the whole answer."""
    name = where or "the answer"
    if isinstance(shape, Maybe):
        return None if value is None else mismatch(value, shape.shape, where)
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{name} is not {_name(shape)}"
        for key, inner in shape.items():
            if key not in value and not isinstance(inner, Maybe):
                return f"{name} has no '{key}'"
            problem = mismatch(value.get(key), inner, f"{where}.{key}" if where else key)
            if problem is not None:
                return problem
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{name} is not a list"
        for i, item in enumerate(value):
            problem = mismatch(item, shape[0], f"{where}[{i}]")
            if problem is not None:
                return problem
        return None
    if isinstance(shape, type | tuple):
        kinds = shape if isinstance(shape, tuple) else (shape,)
        fits = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    else:
        check: Callable[[Any], bool] = shape
        fits = check(value)
    return None if fits else f"{name} is not {_name(shape)}"
