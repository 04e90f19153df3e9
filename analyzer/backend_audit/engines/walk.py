"""A read-only libcst traversal that is several times faster than ``node.visit``.

libcst's ``visit`` rebuilds (and re-validates) every node on the way back up, even for
visitors that never change anything; on a large code base that rebuilding costs more
than parsing. These walkers call the same callbacks, on the same original nodes, in the
same order, without rebuilding. The order of each node type's children is read once
from libcst's own ``_visit_and_replace_children`` so it cannot drift from libcst's, and
tests/test_property.py compares both traversals event by event.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

import libcst as cst
from libcst import MaybeSentinel

_VISIT_HELPERS = {"visit_required", "visit_optional", "visit_sentinel", "visit_sequence",
                  "visit_iterable", "visit_body_sequence", "visit_body_iterable"}

VisitorMethod = Callable[[cst.CSTNode], object]


@cache
def child_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields libcst visits for ``node_type``, in libcst's visiting order.

    Whether a field holds one node or a sequence is decided from its value when walking,
    as libcst itself does for fields such as ``ImportFrom.names``.
    """
    source = textwrap.dedent(inspect.getsource(node_type._visit_and_replace_children))
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in _VISIT_HELPERS and len(node.args) >= 2 and \
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            calls.append((node.lineno, node.col_offset, node.args[1].value))
    return tuple(dict.fromkeys(name for _, _, name in sorted(calls)))


@cache
def _node_type_names() -> frozenset[str]:
    return frozenset(name for name, obj in vars(cst).items()
                     if isinstance(obj, type) and issubclass(obj, cst.CSTNode))


def _has_attribute_methods(names: Iterable[str]) -> bool:
    """True when a visitor defines ``visit_<Node>_<field>``-style callbacks."""
    types = _node_type_names()
    for name in names:
        for prefix in ("visit_", "leave_"):
            if name.startswith(prefix) and name[len(prefix):] not in types:
                return True
    return False


def _default_callbacks(visitor: cst.CSTVisitor) -> bool:
    return type(visitor).on_visit is cst.CSTVisitor.on_visit and \
        type(visitor).on_leave is cst.CSTVisitor.on_leave


_LIBCST_VISITOR_MRO = frozenset(cst.CSTVisitor.__mro__)


@lru_cache(maxsize=512)
def _own_callback_names(visitor_type: type[cst.CSTVisitor]) -> tuple[str, ...]:
    """``visit_*``/``leave_*`` names the visitor defines beyond libcst's no-op defaults."""
    # Only the classes below CSTVisitor can define callbacks of their own; ``dir()`` over
    # libcst's thousand stubs cost milliseconds per call, and checks that define a visitor
    # class inside a method create a new class (a cache miss) for every function scanned.
    names = {name for klass in visitor_type.__mro__ if klass not in _LIBCST_VISITOR_MRO
             for name in vars(klass) if name.startswith(("visit_", "leave_"))}
    return tuple(sorted(name for name in names
                        if getattr(visitor_type, name) is not getattr(cst.CSTVisitor, name,
                                                                      None)))


def _own_method(visitor: cst.CSTVisitor, name: str) -> VisitorMethod | None:
    """The visitor's method, or None where it is libcst's no-op default."""
    method = getattr(type(visitor), name, None)
    if method is None or method is getattr(cst.CSTVisitor, name, None):
        return None
    return getattr(visitor, name)


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a visitor that only reads the tree."""
    if _has_attribute_methods(_own_callback_names(type(visitor))) or any(
            getattr(type(visitor), m) is not getattr(cst.CSTVisitor, m)
            for m in ("on_visit_attribute", "on_leave_attribute")):
        node.visit(visitor)  # rare: keep libcst's traversal for per-attribute callbacks
        return
    if not _default_callbacks(visitor):
        _walk_custom(node, visitor)
        return
    per_type: dict[type, tuple[tuple[str, ...], VisitorMethod | None, VisitorMethod | None]] = {}

    def go(n: cst.CSTNode) -> None:
        kind = type(n)
        entry = per_type.get(kind)
        if entry is None:
            entry = per_type[kind] = (child_fields(kind),
                                      _own_method(visitor, f"visit_{kind.__name__}"),
                                      _own_method(visitor, f"leave_{kind.__name__}"))
        names, visit_fn, leave_fn = entry
        # Same rule as CSTVisitor.on_visit: only an explicit False skips the children.
        if visit_fn is None or visit_fn(n) is not False:
            for name in names:
                value = getattr(n, name)
                if isinstance(value, (tuple, list)):
                    for child in value:
                        go(child)
                elif value is not None and not isinstance(value, MaybeSentinel):
                    go(value)
        if leave_fn is not None:
            leave_fn(n)

    go(node)


def _walk_custom(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    on_visit, on_leave = visitor.on_visit, visitor.on_leave

    def go(n: cst.CSTNode) -> None:
        if on_visit(n):
            for name in child_fields(type(n)):
                value = getattr(n, name)
                if isinstance(value, (tuple, list)):
                    for child in value:
                        go(child)
                elif value is not None and not isinstance(value, MaybeSentinel):
                    go(value)
        on_leave(n)

    go(node)


_BATCHED_NAMES: dict[type, tuple[str, ...]] = {}


def _batched_names(kind: type, visitor: cst.BatchableCSTVisitor) -> tuple[str, ...]:
    # get_visitors() inspects every member of the instance; the answer depends only on
    # the class, and computing it per file and per check was a visible share of a scan.
    names = _BATCHED_NAMES.get(kind)
    if names is None:
        names = _BATCHED_NAMES[kind] = tuple(visitor.get_visitors())
    return names


def walk_batched(node: cst.CSTNode, visitors: Iterable[cst.BatchableCSTVisitor],
                 before_visit: VisitorMethod | None = None,
                 after_leave: VisitorMethod | None = None) -> None:
    """``libcst.visit_batched`` for visitors that only read the tree."""
    visitors = list(visitors)
    methods: dict[str, list[VisitorMethod]] = {}
    for v in visitors:
        for name in _batched_names(type(v), v):
            methods.setdefault(name, []).append(getattr(v, name))
    if _has_attribute_methods(methods):
        cst.visit_batched(node, visitors, before_visit=before_visit, after_leave=after_leave)
        return
    per_type: dict[type, tuple[tuple[str, ...], list[VisitorMethod], list[VisitorMethod]]] = {}

    def go(n: cst.CSTNode) -> None:
        kind = type(n)
        entry = per_type.get(kind)
        if entry is None:
            entry = per_type[kind] = (child_fields(kind),
                                      methods.get(f"visit_{kind.__name__}", []),
                                      methods.get(f"leave_{kind.__name__}", []))
        names, visit_fns, leave_fns = entry
        if before_visit is not None:
            before_visit(n)
        for fn in visit_fns:
            fn(n)
        for name in names:
            value = getattr(n, name)
            if isinstance(value, (tuple, list)):
                for child in value:
                    go(child)
            elif value is not None and not isinstance(value, MaybeSentinel):
                go(value)
        for fn in leave_fns:
            fn(n)
        if after_leave is not None:
            after_leave(n)

    go(node)
