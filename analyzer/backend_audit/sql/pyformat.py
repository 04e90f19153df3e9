"""Python's own string building (``%``, ``str.format``, ``str.join``) applied to pieces:
the text of the result in order, with the formatted arguments as holes, so the SQL
parser can say where each argument lands."""

from __future__ import annotations

import re
import string

from backend_audit.sql.shape import SAFE, Shape, concat, pieces_of

# A %-directive: optional ``(key)``, flags, width, precision, length, conversion.
_DIRECTIVE = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[a-zA-Z%])")
# Conversions that only ever produce a number: the argument cannot add SQL syntax.
NUMERIC_CONVERSIONS = frozenset("diouxXeEfFgG")


def percent_pieces(template: tuple[str | Shape, ...],
                   args: list[Shape] | dict[str, Shape] | Shape
                   ) -> tuple[str | Shape, ...] | None:
    """``template % args``: a tuple's items fill the directives in turn, a dict's values
    fill ``%(key)s``; a single shape fills every directive (a name holding a tuple).
    None when the directives and the arguments do not match."""
    out: list[tuple[str | Shape, ...]] = []
    position = 0
    for piece in template:
        if not isinstance(piece, str):
            out.append((piece,))
            continue
        last = 0
        for m in _DIRECTIVE.finditer(piece):
            out.append((piece[last:m.start()],))
            last = m.end()
            conv, key = m.group("conv"), m.group("key")
            if conv == "%":
                out.append(("%",))
                continue
            if isinstance(args, Shape):
                arg: Shape | None = args
            elif isinstance(args, dict):
                arg = args.get(key) if key is not None else None
            else:
                arg = args[position] if key is None and position < len(args) else None
                position += 1
            if arg is None:
                return None
            out.append((SAFE,) if conv in NUMERIC_CONVERSIONS else pieces_of(arg))
        out.append((piece[last:],))
    if isinstance(args, list) and position != len(args):
        return None
    return concat(*out)


_FORMATTER = string.Formatter()


def format_pieces(template: tuple[str | Shape, ...], positional: list[Shape],
                  keywords: dict[str, Shape], rest: Shape | None
                  ) -> tuple[str | Shape, ...] | None:
    """``template.format(*positional, **keywords)``; ``rest``: the shape of ``*args`` or
    ``**kwargs`` given too (fills fields no named argument does). None when a field has
    no argument or the template is not a valid format string."""
    out: list[tuple[str | Shape, ...]] = []
    auto = 0
    for piece in template:
        if not isinstance(piece, str):
            out.append((piece,))
            continue
        try:
            fields = list(_FORMATTER.parse(piece))
        except ValueError:
            return None
        for literal, field, spec, _conversion in fields:
            out.append((literal,))
            if field is None:
                continue
            base = re.split(r"[.\[]", field, maxsplit=1)[0]
            arg: Shape | None
            if base == "":
                arg = positional[auto] if auto < len(positional) else rest
                auto += 1
            elif base.isdigit():
                index = int(base)
                arg = positional[index] if index < len(positional) else rest
            else:
                arg = keywords.get(base, rest)
            if arg is None:
                return None
            numeric = bool(spec) and spec[-1] in "dfieEgGxXob%" and "{" not in spec
            out.append((SAFE,) if numeric else pieces_of(arg))
    return concat(*out)


def join_pieces(separator: Shape, items: list[Shape] | None, element: Shape | None
                ) -> tuple[str | Shape, ...] | None:
    """``separator.join(...)``: over ``items`` listed in the code, the items with the
    separator between them; over a comprehension, one ``element`` (a list of one shape
    reads like a list of many in SQL: ``IN (?, ?)`` / ``a = ? AND b = ?``)."""
    sep = pieces_of(separator)
    if items is not None:
        groups: list[tuple[str | Shape, ...] | None] = []
        for index, item in enumerate(items):
            if index:
                groups.append(sep)
            groups.append(pieces_of(item))
        return concat(*groups) if groups else ("",)
    if element is not None:
        return pieces_of(element)
    return None
