"""BA809: an outbound HTTP request goes to a URL the client chose (server-side request forgery).

Reads where client input sits in the URL. The whole URL, its scheme or its host from the
request is the finding (high confidence); input that lands in the host after a fixed
start (``"https://" + region + ".example.com"``) or in a relative URL resolved with
``urljoin`` is medium; a path segment after a fixed scheme and host is low (the client can
reach other paths of that one service, not other hosts); a query-string value after a
fixed host is not a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Formatter

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.sinks import (
    CLIENT_FACTORIES,
    CLIENT_METHODS,
    URL_FUNCTIONS,
    URL_WRAPPERS,
    URLJOIN,
)
from backend_audit.flow.specs import OUTBOUND
from backend_audit.flow.taint import Taint, single_segment_params
from backend_audit.visitor import Check

HIGH, MEDIUM, LOW = 3, 2, 1
_LEVEL_NAMES = {HIGH: "high", MEDIUM: "medium", LOW: "low"}
_MESSAGES = {
    MEDIUM: "Client input decides part of the host of an outbound HTTP request (or a URL "
            "joined onto a base, which an absolute URL replaces), so the client can steer "
            "the server to other hosts.",
    LOW: "Client input fills a path segment of an outbound HTTP request to a fixed host, "
         "so the client can reach other paths of that service.",
}
_UNKNOWN = "\x00"  # text we cannot read (a setting, an environment variable...)
_FORMAT_SPEC = re.compile(r"%(?:\(([^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([a-zA-Z%])")

Part = str | cst.BaseExpression


class OutboundUrlFromRequest(Check):
    rule_id = "BA809"

    def visit_Call(self, node: cst.Call) -> None:
        url = self._url_arg(node)
        if url is None:
            return
        level = _UrlReader(self).level(url)
        if level is not None:
            self.report(node, message=_MESSAGES.get(level), confidence=_LEVEL_NAMES[level])

    def _url_arg(self, call: cst.Call) -> cst.BaseExpression | None:
        imports = self.ctx.imports
        qual = imports.qualname(call.func)
        position: int | None = None
        if qual is not None:
            position = URL_FUNCTIONS.get(qual)
        elif isinstance(call.func, cst.Attribute) and \
                call.func.attr.value in CLIENT_METHODS and self._is_client(call.func.value):
            position = CLIENT_METHODS[call.func.attr.value]
        if position is None:
            return None
        arg = get_arg(call, "url", position)
        return arg.value if arg is not None else None

    def _is_client(self, expr: cst.BaseExpression, budget: Budget | None = None) -> bool:
        budget = budget or Budget()
        if budget.exhausted:
            return False
        budget = budget.deeper()
        if isinstance(expr, cst.Await):
            return self._is_client(expr.expression, budget)
        if isinstance(expr, cst.Call):
            return self.ctx.imports.qualname(expr.func) in CLIENT_FACTORIES
        if isinstance(expr, cst.Name):
            values = self.values_of(expr.value)
            if any(self._is_client(v, budget) for v in values):
                return True
            return self._client_param(expr.value)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and \
                expr.value.value == "self" and self.ctx.class_stack:
            return self._client_attribute(self.ctx.class_stack[-1], expr.attr.value)
        return False

    def _client_param(self, name: str) -> bool:
        """``client: httpx.AsyncClient`` (a FastAPI dependency, a helper's argument)."""
        fn = self.ctx.current_function
        if fn is None:
            return False
        for param in (*fn.params.params, *fn.params.kwonly_params):
            if param.name.value == name and param.annotation is not None:
                ann = param.annotation.annotation
                if isinstance(ann, cst.Subscript) and last_name(ann.value) == "Annotated":
                    first = ann.slice[0].slice
                    ann = first.value if isinstance(first, cst.Index) else ann
                return self.ctx.imports.qualname(ann) in CLIENT_FACTORIES
        return False

    def _client_attribute(self, cls: cst.ClassDef, attr: str) -> bool:
        """``self.session`` assigned a client anywhere in the class."""
        imports = self.ctx.imports
        for node in descendants(cls, cst.Assign):
            if isinstance(node.value, cst.Call) and \
                    imports.qualname(node.value.func) in CLIENT_FACTORIES:
                for t in node.targets:
                    target = t.target
                    if isinstance(target, cst.Attribute) and target.attr.value == attr and \
                            isinstance(target.value, cst.Name) and target.value.value == "self":
                        return True
        return False

    def values_of(self, name: str) -> list[cst.BaseExpression]:
        """What a name may hold: its local assignments, else a module-level one."""
        local = self.ctx.flow().values_of(name)
        if local:
            return local
        if name in _params(self.ctx.current_function):
            return []
        return self.ctx.flow(self.ctx.module).values_of(name)


def _params(fn: cst.FunctionDef | None) -> set[str]:
    if fn is None:
        return set()
    p = fn.params
    names = {param.name.value for param in (*p.posonly_params, *p.params, *p.kwonly_params)}
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


@dataclass(frozen=True)
class _Before:
    """What ``name`` held before ``name += ...``: its values other than the augmented."""

    name: str
    exclude: frozenset[int]


class _UrlReader:
    """Where in a URL expression client input sits.

    Reads the URL as a sequence of parts (literal text and expressions), expanding names
    into each value they may hold together with the parts that follow, so the text
    before every client value is known: ``url = "https://"; url += host`` puts ``host``
    in the authority.
    """

    def __init__(self, check: OutboundUrlFromRequest) -> None:
        self.check = check
        self.ctx = check.ctx
        self.taint = Taint(check.ctx, OUTBOUND)
        self.flow = self.ctx.flow()
        self.segments = single_segment_params(check.ctx)

    def level(self, url: cst.BaseExpression) -> int | None:
        return self._parts([url], "", Budget(), frozenset())

    def _parts(self, parts: list[Part | _Before], prefix: str, budget: Budget,
               active: frozenset[int]) -> int | None:
        """The level of the first client value in ``parts`` read after ``prefix``."""
        for i, part in enumerate(parts):
            if isinstance(part, str):
                prefix += part
                continue
            if budget.exhausted:
                return None
            step = budget.deeper()
            rest = parts[i + 1:]
            if isinstance(part, _Before):
                values = [v for v in self.check.values_of(part.name)
                          if id(v) not in part.exclude and id(v) not in active]
                if values:
                    return self._branches(values, part.name, rest, prefix, step, active)
                part = cst.Name(part.name)
            built = _ordered_parts(part)
            if built is not None:
                return self._parts([*built, *rest], prefix, step, active)
            if isinstance(part, cst.Name) and part.value not in self.taint.guarded:
                values = [v for v in self.check.values_of(part.value) if id(v) not in active]
                if values:
                    return self._branches(values, part.value, rest, prefix, step, active)
            found = self._opaque(part, rest, prefix, step, active)
            if found is not None:
                return found
            prefix += _UNKNOWN
        return None

    def _branches(self, values: list[cst.BaseExpression], name: str,
                  rest: list[Part | _Before], prefix: str, budget: Budget,
                  active: frozenset[int]) -> int | None:
        """The worst level over the values a name may hold, each followed by ``rest``."""
        augmented = frozenset(id(v) for v in self.flow.values_of("__aug__" + name))
        best: int | None = None
        for value in values:
            head: list[Part | _Before] = [value]
            if id(value) in augmented:
                head = [_Before(name, augmented), value]
            found = self._parts([*head, *rest], prefix, budget, active | {id(value)})
            if found is not None and (best is None or found > best):
                best = found
        return best

    def _opaque(self, expr: cst.BaseExpression, rest: list[Part | _Before], prefix: str,
                budget: Budget, active: frozenset[int]) -> int | None:
        """A part we cannot read as text: a choice, a wrapper, a call, client input."""
        if isinstance(expr, (cst.IfExp, cst.BooleanOperation)):
            branches = [expr.body, expr.orelse] if isinstance(expr, cst.IfExp) else \
                [expr.left, expr.right]
            levels = [lv for b in branches
                      if (lv := self._parts([b, *rest], prefix, budget, active))]
            return max(levels) if levels else None
        if isinstance(expr, cst.Call):
            qual = self.ctx.imports.qualname(expr.func)
            if qual in URL_WRAPPERS:
                arg = get_arg(expr, "url", URL_WRAPPERS[qual])
                return self._parts([arg.value, *rest], prefix, budget, active) \
                    if arg is not None else None
            if qual in URLJOIN or (qual is None and last_name(expr.func) == "urljoin"):
                return self._urljoin(expr, prefix, budget, active)
        source = self.taint.source(expr)
        if source is None:
            return None
        level = _level(prefix)
        if level == LOW and isinstance(source, cst.Name) and source.value in self.segments:
            # ``/items/<sku>``: a route parameter is one path segment, never ``/`` or ``?``.
            return None
        return level

    def _urljoin(self, call: cst.Call, prefix: str, budget: Budget,
                 active: frozenset[int]) -> int | None:
        base = get_arg(call, "base", 0)
        rel = get_arg(call, "url", 1)
        if base is not None:
            found = self._parts([base.value], prefix, budget, active)
            if found is not None:
                return found
        if rel is None or self.taint.source(rel.value) is None:
            return None
        # ``urljoin(BASE, "//evil.example/x")`` or an absolute URL replaces the host.
        start = _rel_prefix(rel.value)
        if start is not None and start.startswith("/") and not start.startswith("//"):
            return LOW
        return MEDIUM


def _rel_prefix(expr: cst.BaseExpression) -> str | None:
    parts = _ordered_parts(expr)
    if not parts or not isinstance(parts[0], str):
        return None
    return parts[0]


def _level(prefix: str) -> int | None:
    """How much of the URL client input controls when it follows ``prefix``."""
    if "://" in prefix:
        rest = prefix.split("://", 1)[1]
        if any(c in rest for c in "?#"):
            return None  # a query-string value or a fragment
        if "/" in rest:
            return LOW  # a path on a fixed host
        return HIGH if rest == "" else MEDIUM
    if prefix == "":
        return HIGH
    if prefix.startswith((_UNKNOWN, "/")):
        # after a base we cannot read (a setting) or on a client's base URL
        return None if any(c in prefix for c in "?#") else LOW
    return MEDIUM  # "www." + input, "http" + input


def _ordered_parts(expr: cst.BaseExpression) -> list[Part] | None:
    """The pieces a string-building expression joins, in order: literal text and the
    expressions between; None when ``expr`` does not build a string."""
    if isinstance(expr, cst.SimpleString):
        text = string_value(expr)
        return [text] if text is not None else None
    if isinstance(expr, cst.FormattedString):
        out: list[Part] = []
        for p in expr.parts:
            if isinstance(p, cst.FormattedStringText):
                out.append(p.value.replace("{{", "{").replace("}}", "}"))
            elif isinstance(p, cst.FormattedStringExpression):
                out.append(p.expression)
        return out
    if isinstance(expr, cst.ConcatenatedString) or (
            isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add)):
        return (_ordered_parts(expr.left) or [expr.left]) + \
            (_ordered_parts(expr.right) or [expr.right])
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        fmt = string_value(expr.left)
        return _percent_parts(fmt, expr.right) if fmt is not None else None
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        template = string_value(expr.func.value)
        method = expr.func.attr.value
        if template is not None and method == "format":
            return _format_parts(template, expr)
        if template is not None and method == "join" and len(expr.args) == 1 and \
                isinstance(expr.args[0].value, (cst.List, cst.Tuple)):
            out = []
            for i, el in enumerate(expr.args[0].value.elements):
                if i:
                    out.append(template)
                out.append(el.value)
            return out
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and \
            expr.func.value == "str" and len(expr.args) == 1:
        return [expr.args[0].value]
    return None


def _percent_parts(fmt: str, right: cst.BaseExpression) -> list[Part]:
    items: list[cst.BaseExpression] | None = None
    mapping: dict[str, cst.BaseExpression] = {}
    if isinstance(right, cst.Tuple):
        items = [e.value for e in right.elements]
    elif isinstance(right, cst.Dict):
        for el in right.elements:
            if isinstance(el, cst.DictElement):
                key = string_value(el.key)
                if key is not None:
                    mapping[key] = el.value
    out: list[Part] = []
    pos = index = 0
    for m in _FORMAT_SPEC.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        if m.group(2) == "%":
            out.append("%")
        elif m.group(1) is not None:
            out.append(mapping.get(m.group(1), right))
        elif items is None:
            out.append(right)
        else:
            out.append(items[index] if index < len(items) else _UNKNOWN)
            index += 1
    out.append(fmt[pos:])
    return out


def _format_parts(template: str, call: cst.Call) -> list[Part]:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    out: list[Part] = []
    auto = 0
    try:
        fields = list(Formatter().parse(template))
    except ValueError:
        return [_UNKNOWN]
    for literal, field, _spec, _conv in fields:
        out.append(literal)
        if field is None:
            continue
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        if root == "":
            value = positional[auto] if auto < len(positional) else None
            auto += 1
        elif root.isdigit():
            value = positional[int(root)] if int(root) < len(positional) else None
        else:
            value = keywords.get(root)
        out.append(value if value is not None else _UNKNOWN)
    return out
