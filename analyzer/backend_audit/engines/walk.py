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
import typing
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import attrgetter
from typing import TypeVar, cast

import libcst as cst
from libcst import MaybeSentinel

_VISIT_HELPERS = {"visit_required", "visit_optional", "visit_sentinel", "visit_sequence",
                  "visit_iterable", "visit_body_sequence", "visit_body_iterable"}

VisitorMethod = Callable[[cst.CSTNode], object]
NodeT = TypeVar("NodeT", bound=cst.CSTNode)


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


# ---------------------------------------------------------------- the module index
# Checks walk the same function bodies many times over (data flow, scope scans, sinks):
# a file's tree is flattened once into preorder, and a walk of any of its subtrees
# becomes a loop over only the nodes of the types the visitor has callbacks for. The
# tree never changes while a file is analysed.

_TOKEN_BASES = (cst.BaseParenthesizableWhitespace, cst.BaseBinaryOp, cst.BaseBooleanOp,
                cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
_TOKEN_NAMES = {"Comma", "Dot", "Semicolon", "Colon", "AssignEqual", "ImportStar",
                "LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket",
                "LeftCurlyBrace", "RightCurlyBrace", "TrailingWhitespace", "Newline",
                "Comment", "EmptyLine", "Asynchronous"}
#: Whitespace, comments, operators and punctuation: two thirds of a tree's nodes, which
#: hold nothing but more of the same and which no check looks for. The index leaves
#: them out; a visitor with a callback for one of them gets the direct traversal.
# Read off each class's MRO: libcst's classes are ABCs whose issubclass() answers the same
# (they register no virtual subclasses) through a slow search of every subclass.
TOKEN_TYPES: frozenset[type] = frozenset(
    obj for name, obj in vars(cst).items()
    if isinstance(obj, type) and cst.CSTNode in obj.__mro__ and
    (any(base in obj.__mro__ for base in _TOKEN_BASES) or name in _TOKEN_NAMES))
_TOKEN_TYPE_NAMES = frozenset(t.__name__ for t in TOKEN_TYPES)


@dataclass(slots=True)
class ModuleIndex:
    """One module's nodes, except tokens (``TOKEN_TYPES``), in libcst's visiting order."""

    #: The nodes in the order ``visit`` reaches them; ``order[0]`` is the root.
    order: list[cst.CSTNode]
    #: ``ends[i]``: the index just past the subtree of ``order[i]``.
    ends: list[int]
    #: Type name -> ascending indices of the nodes of that type.
    by_name: dict[str, list[int]]
    _pos: dict[int, int] | None = None

    def position(self, node: cst.CSTNode) -> int | None:
        """Where ``node`` is in ``order``, or None when it is not part of this index.

        The index holds its nodes alive, so no other object can share one's ``id``.
        """
        if self._pos is None:
            self._pos = dict(zip(map(id, self.order), range(len(self.order)), strict=True))
        return self._pos.get(id(node))


def _classes_in(annotation: object) -> list[type] | None:
    """The classes a field's annotation allows (through ``Union``, ``Optional``,
    ``Sequence``...), or None when one of them cannot be told."""
    if typing.get_origin(annotation) is None:
        return [annotation] if isinstance(annotation, type) else None
    found: list[type] = []
    for arg in typing.get_args(annotation):
        if arg is Ellipsis:
            continue
        inner = _classes_in(arg)
        if inner is None:
            return None
        found.extend(inner)
    return found


_NOT_NODES = (*TOKEN_TYPES, MaybeSentinel, type(None))


def _holds_tokens_only(kind: type, name: str) -> bool:
    """Whether field ``name`` of ``kind`` can hold nothing the index keeps (whitespace,
    punctuation, operators, MaybeSentinel, None), by its annotation: a third of the
    fields a walk would read (``lpar``, ``comma``, ``whitespace_after_func``...)."""
    try:
        annotation = typing.get_type_hints(kind).get(name)
    except (NameError, TypeError, AttributeError):
        return False
    classes = _classes_in(annotation) if annotation is not None else None
    return bool(classes) and all(any(base in _NOT_NODES for base in c.__mro__)
                                 for c in classes)  # type: ignore[union-attr]


@cache
def _child_getter(kind: type) -> Callable[[cst.CSTNode], tuple[object, ...]] | None:
    """The values of ``kind``'s fields that may hold indexed nodes, in visiting order."""
    names = tuple(n for n in child_fields(kind) if not _holds_tokens_only(kind, n))
    if not names:
        return None
    if len(names) == 1:
        only = names[0]
        return lambda n: (getattr(n, only),)
    return attrgetter(*names)


def build_index(root: cst.CSTNode) -> ModuleIndex:
    """Flatten ``root``'s tree (tokens left out) in libcst's visiting order."""
    order: list[cst.CSTNode] = []
    ends: list[int] = []
    by_type: dict[type, list[int]] = {}
    add = order.append
    getters: dict[type, Callable[[cst.CSTNode], tuple[object, ...]] | None] = {}
    skip = TOKEN_TYPES | {type(None), MaybeSentinel}

    def go(n: cst.CSTNode) -> None:
        i = len(order)
        add(n)
        ends.append(0)
        kind = type(n)
        if kind in getters:
            get = getters[kind]
            by_type[kind].append(i)
        else:
            get = getters[kind] = _child_getter(kind)
            by_type[kind] = [i]
        if get is not None:
            for value in get(n):
                kind = type(value)
                if kind is tuple or kind is list:
                    for child in value:  # type: ignore[attr-defined]
                        if type(child) not in skip:
                            go(child)
                elif kind not in skip:
                    go(value)  # type: ignore[arg-type]
        ends[i] = len(order)

    go(root)
    return ModuleIndex(order, ends, {k.__name__: v for k, v in by_type.items()})


# The two most recent modules: another tree walked on the side (a synthetic module built
# by a check) must not evict the file being analysed. Replaced as files go by; call
# ``forget_indexes`` to release them at once.
_INDEXES: list[ModuleIndex] = []


def forget_indexes() -> None:
    """Drop the cached module indexes (their trees are kept alive until then)."""
    _INDEXES.clear()


def _module_index(module: cst.Module) -> ModuleIndex:
    for index in _INDEXES:
        if index.order[0] is module:
            return index
    index = build_index(module)
    _INDEXES.insert(0, index)
    del _INDEXES[2:]
    return index


def _locate(node: cst.CSTNode) -> tuple[ModuleIndex | None, int]:
    """The cached index holding ``node`` and its position there (a module is indexed on
    its first walk; a node of a module never walked whole has no index)."""
    if type(node) is cst.Module:
        return _module_index(node), 0
    for index in _INDEXES:
        pos = index.position(node)
        if pos is not None:
            return index, pos
    return None, 0


def _index_of(node: cst.CSTNode) -> tuple[ModuleIndex, int]:
    index, start = _locate(node)
    return (index, start) if index is not None else (build_index(node), 0)


def index_of(node: cst.CSTNode) -> ModuleIndex:
    """The index holding ``node``: its module's when that module was walked (positions
    then compare across the module), else one built for ``node``'s own tree."""
    return _index_of(node)[0]


def descendants(node: cst.CSTNode, *types: type[NodeT]) -> Iterator[NodeT]:
    """``node`` and the nodes below it whose type is exactly one of ``types``, in the order
    a walk reaches them (no pruning)."""
    if any(t in TOKEN_TYPES for t in types):
        raise ValueError("descendants() does not list whitespace or operator nodes")
    index, start = _index_of(node)
    end = index.ends[start]
    found: list[int] = []
    for kind in types:
        positions = index.by_name.get(kind.__name__)
        if positions:
            lo = bisect_left(positions, start)
            found.extend(positions[lo:bisect_left(positions, end, lo)])
    if len(types) > 1:
        found.sort()
    order = index.order
    return (cast(NodeT, order[i]) for i in found)


def own_returns(body: cst.CSTNode) -> list[cst.Return]:
    """The ``return`` statements of a function's body (or a block of it), not those of
    the functions defined inside it, in source order."""
    nested = {id(r) for fn in descendants(body, cst.FunctionDef)
              for r in descendants(fn, cst.Return)}
    return [r for r in descendants(body, cst.Return) if id(r) not in nested]


class _Finder(cst.CSTVisitor):
    def __init__(self, node: cst.CSTNode) -> None:
        self.node = node
        self.found = False

    def on_visit(self, n: cst.CSTNode) -> bool:
        self.found = self.found or n is self.node
        return not self.found


def contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    """Is ``node`` ``tree`` itself or one of its descendants?"""
    if tree is node:
        return True
    if type(node) in TOKEN_TYPES or type(tree) in TOKEN_TYPES:
        finder = _Finder(node)
        _walk_custom(tree, finder)
        return finder.found
    index, start = _index_of(tree)
    pos = index.position(node)
    # every node below ``tree`` is in the index that holds ``tree``
    return pos is not None and start < pos < index.ends[start]


# (visit, leave) for one node type; a visit returning False prunes the subtree.
Handlers = dict[str, tuple[VisitorMethod | None, VisitorMethod | None]]


def _walk_indexed(index: ModuleIndex, start: int, handlers: Handlers) -> None:
    """Call ``handlers`` on the nodes of their types in the subtree at ``start``, in
    preorder, each leave before the first node after its subtree (as libcst does)."""
    end = index.ends[start]
    positions: list[int] = []
    kinds = 0
    for kind in handlers:
        found = index.by_name.get(kind)
        if found:
            lo = bisect_left(found, start)
            hi = bisect_left(found, end, lo)
            if lo < hi:
                positions.extend(found[lo:hi])
                kinds += 1
    if kinds > 1:
        positions.sort()
    order, ends = index.order, index.ends
    pending: list[tuple[int, VisitorMethod, cst.CSTNode]] = []  # leaves still due
    skip = start
    for i in positions:
        if i < skip:
            continue
        while pending and pending[-1][0] <= i:
            _, leave_fn, done = pending.pop()
            leave_fn(done)
        n = order[i]
        visit_fn, leave_fn = handlers[type(n).__name__]
        if visit_fn is not None and visit_fn(n) is False:
            skip = ends[i]
        if leave_fn is not None:
            pending.append((ends[i], leave_fn, n))
    while pending:
        _, leave_fn, done = pending.pop()
        leave_fn(done)


@lru_cache(maxsize=512)
def _typed_callbacks(visitor_type: type[cst.CSTVisitor]) -> tuple[tuple[str, str, str], ...]:
    """(node type name, visit method, leave method) for each type the visitor handles."""
    kinds = sorted({n.split("_", 1)[1] for n in _own_callback_names(visitor_type)})
    return tuple((k, f"visit_{k}", f"leave_{k}") for k in kinds)


_LIBCST, _CUSTOM, _INDEXED, _DIRECT = range(4)
#: (node type name, own visit method name or None, own leave method name or None)
_Callbacks = tuple[tuple[str, str | None, str | None], ...]


@lru_cache(maxsize=512)
def _walk_plan(visitor_type: type[cst.CSTVisitor]) -> tuple[int, _Callbacks]:
    """How ``walk`` goes through a tree for a visitor class (the same for every call
    with one, and checks walk function bodies thousands of times per file): libcst's
    own traversal for per-attribute callbacks, the generic one for ``on_visit`` /
    ``on_leave``, else the module index unless the visitor handles tokens."""
    if _has_attribute_methods(_own_callback_names(visitor_type)) or any(
            getattr(visitor_type, m) is not getattr(cst.CSTVisitor, m)
            for m in ("on_visit_attribute", "on_leave_attribute")):
        return _LIBCST, ()
    if visitor_type.on_visit is not cst.CSTVisitor.on_visit or \
            visitor_type.on_leave is not cst.CSTVisitor.on_leave:
        return _CUSTOM, ()
    callbacks = _typed_callbacks(visitor_type)
    if any(kind in _TOKEN_TYPE_NAMES for kind, _, _ in callbacks):
        return _DIRECT, ()
    return _INDEXED, tuple((kind, _own_name(visitor_type, v), _own_name(visitor_type, lv))
                           for kind, v, lv in callbacks)


def _own_name(visitor_type: type[cst.CSTVisitor], name: str) -> str | None:
    """``name`` when the class defines it beyond libcst's no-op default (as
    ``_own_method`` decides for an instance)."""
    method = getattr(visitor_type, name, None)
    return None if method is None or method is getattr(cst.CSTVisitor, name, None) else name


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a visitor that only reads the tree."""
    plan, callbacks = _walk_plan(type(visitor))
    if plan == _LIBCST:
        node.visit(visitor)  # rare: keep libcst's traversal for per-attribute callbacks
        return
    if plan == _CUSTOM:
        _walk_custom(node, visitor)
        return
    if plan == _INDEXED and type(node) not in TOKEN_TYPES:
        index, start = _locate(node)
        if index is not None:
            _walk_indexed(index, start, {
                kind: (getattr(visitor, v) if v is not None else None,
                       getattr(visitor, lv) if lv is not None else None)
                for kind, v, lv in callbacks})
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


def batched_names(kind: type, visitor: cst.BatchableCSTVisitor) -> tuple[str, ...]:
    """The callbacks of ``visitor`` (of class ``kind``) that a batched walk calls."""
    # get_visitors() inspects every member of the instance; the answer depends only on
    # the class, and computing it per file and per check was a visible share of a scan.
    names = _BATCHED_NAMES.get(kind)
    if names is None:
        names = _BATCHED_NAMES[kind] = tuple(visitor.get_visitors())
    return names


def walk_batched(node: cst.CSTNode, visitors: Iterable[cst.BatchableCSTVisitor],
                 before_visit: VisitorMethod | None = None,
                 after_leave: VisitorMethod | None = None,
                 hook_types: tuple[type[cst.CSTNode], ...] | None = None) -> None:
    """``libcst.visit_batched`` for visitors that only read the tree.

    ``before_visit``/``after_leave`` are called on every node, or, when ``hook_types`` is
    given, only on nodes of those types: the walk then reads only the nodes some callback
    is for, from the module index.
    """
    visitors = list(visitors)
    methods: dict[str, list[VisitorMethod]] = {}
    for v in visitors:
        for name in batched_names(type(v), v):
            methods.setdefault(name, []).append(getattr(v, name))
    if _has_attribute_methods(methods):
        cst.visit_batched(node, visitors, before_visit=before_visit, after_leave=after_leave)
        return
    if hook_types is not None or (before_visit is None and after_leave is None):
        handlers = _batched_handlers(methods, before_visit, after_leave, hook_types or ())
        if handlers is not None and type(node) not in TOKEN_TYPES:
            index, start = _locate(node)
            if index is not None:
                _walk_indexed(index, start, handlers)
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


def _batched_handlers(methods: dict[str, list[VisitorMethod]],
                      before_visit: VisitorMethod | None, after_leave: VisitorMethod | None,
                      hook_types: tuple[type[cst.CSTNode], ...]) -> Handlers | None:
    """One (visit, leave) per node type for a batched walk; None if tokens are wanted."""
    kinds = {name.split("_", 1)[1] for name in methods} | {t.__name__ for t in hook_types}
    if kinds & _TOKEN_TYPE_NAMES:
        return None
    hooked = {t.__name__ for t in hook_types}
    handlers: Handlers = {}
    for kind in kinds:
        visits = list(methods.get(f"visit_{kind}", ()))
        leaves = list(methods.get(f"leave_{kind}", ()))
        if kind in hooked and before_visit is not None:
            visits.insert(0, before_visit)
        if kind in hooked and after_leave is not None:
            leaves.append(after_leave)
        handlers[kind] = (_calling_all(visits), _calling_all(leaves))
    return handlers


def _calling_all(fns: list[VisitorMethod]) -> VisitorMethod | None:
    """One callback that calls ``fns`` in turn (a batched visit never prunes)."""
    if not fns:
        return None
    if len(fns) == 1:
        only = fns[0]

        def call_one(n: cst.CSTNode) -> None:
            only(n)
        return call_one

    def call_all(n: cst.CSTNode) -> None:
        for fn in fns:
            fn(n)
    return call_all
