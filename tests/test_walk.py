"""Walks of subtrees read from the module index give libcst's events, in libcst's order."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
from backend_audit.engines.walk import (
    build_index,
    contains,
    descendants,
    forget_indexes,
    own_returns,
    walk,
    walk_batched,
)

FIXTURES = Path(__file__).parent / "fixtures"


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node)))
        return not isinstance(node, cst.Lambda)

    def on_leave(self, node: cst.CSTNode) -> None:
        self.events.append(("leave", id(node)))


class _Scoped(cst.CSTVisitor):
    """Prunes nested functions and records leaves of pruned and nested nodes."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.events: list[tuple[str, int]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.events.append(("def", id(node)))
        return node is self.root

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.events.append(("/def", id(node)))

    def visit_Call(self, node: cst.Call) -> bool:
        self.events.append(("call", id(node)))
        return len(node.args) < 2

    def leave_Call(self, node: cst.Call) -> None:
        self.events.append(("/call", id(node)))

    def leave_Attribute(self, node: cst.Attribute) -> None:
        self.events.append(("/attr", id(node)))

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(("name", id(node)))


def _subtrees(module: cst.Module) -> list[cst.CSTNode]:
    index = build_index(module)
    return [n for n in index.order if isinstance(
        n, (cst.FunctionDef, cst.ClassDef, cst.IndentedBlock, cst.Call, cst.If))]


def test_subtree_walks_match_libcst() -> None:
    for path in sorted(FIXTURES.rglob("*.py"))[::4]:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        walk(module, cst.CSTVisitor())  # indexes the module, as the engine's first walk does
        for node in _subtrees(module):
            a, b = _Recorder(), _Recorder()
            node.visit(a)
            walk(node, b)
            assert a.events == b.events
            c, d = _Scoped(node), _Scoped(node)
            node.visit(c)
            walk(node, d)
            assert c.events == d.events


def test_nodes_outside_any_index_are_walked_directly() -> None:
    forget_indexes()
    module = cst.parse_module("def f(a):\n    return g(a, h(1))\n")
    fn = module.body[0]
    a, b = _Scoped(fn), _Scoped(fn)
    fn.visit(a)
    walk(fn, b)  # the module was never walked whole: no index holds fn
    assert a.events == b.events
    changed = fn.with_changes(name=cst.Name("k"))
    walk(module, cst.CSTVisitor())
    c, d = _Scoped(changed), _Scoped(changed)
    changed.visit(c)
    walk(changed, d)  # a copy made after indexing is not in the index either
    assert c.events == d.events


def test_a_synthetic_module_does_not_evict_the_file_being_analysed() -> None:
    forget_indexes()
    module = cst.parse_module("def f(a):\n    return g(a)\n")
    walk(module, cst.CSTVisitor())
    side = cst.Module([cst.SimpleStatementLine([cst.Expr(cst.Name("x"))])])
    walk(side, cst.CSTVisitor())
    fn = module.body[0]
    a, b = _Recorder(), _Recorder()
    fn.visit(a)
    walk(fn, b)
    assert a.events == b.events


class _Batched(cst.BatchableCSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(("name", id(node)))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.events.append(("def", id(node)))
        return False  # batched visitors never prune

    def leave_Call(self, node: cst.Call) -> None:
        self.events.append(("/call", id(node)))


class _Tokens(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def visit_Comma(self, node: cst.Comma) -> None:
        self.events.append(("comma", id(node)))

    def visit_Call(self, node: cst.Call) -> None:
        self.events.append(("call", id(node)))


def _same_batched(module: cst.Module, hooks: tuple[type[cst.CSTNode], ...]) -> None:
    x, y = _Batched(), _Batched()
    hx: list[int] = []
    hy: list[int] = []

    def before(n: cst.CSTNode) -> None:
        if isinstance(n, hooks):
            hx.append(id(n))

    def after(n: cst.CSTNode) -> None:
        if isinstance(n, hooks):
            hx.append(-id(n))

    cst.visit_batched(module, [x], before_visit=before, after_leave=after)
    walk_batched(module, [y], before_visit=lambda n: hy.append(id(n)),
                 after_leave=lambda n: hy.append(-id(n)), hook_types=hooks)
    assert x.events == y.events and hx == hy


def test_batched_walk_with_hook_types_matches_libcst() -> None:
    for path in sorted(FIXTURES.rglob("*.py"))[1::4]:
        _same_batched(cst.parse_module(path.read_text(encoding="utf-8")),
                      (cst.FunctionDef, cst.ClassDef))


def test_visitors_of_tokens_and_containment_of_tokens() -> None:
    module = cst.parse_module("def f(a, b):\n    return g(a, b)  # note\n")
    walk(module, cst.CSTVisitor())
    a, b = _Tokens(), _Tokens()
    module.visit(a)
    walk(module, b)
    assert a.events == b.events and any(kind == "comma" for kind, _ in a.events)
    fn = module.body[0]
    call = next(descendants(fn, cst.Call))
    assert contains(fn, call) and not contains(call, fn)
    assert contains(call, call.args[0].comma)
    assert [n.value for n in descendants(call, cst.Name)] == ["g", "a", "b"]


def test_own_returns_leaves_out_the_returns_of_nested_functions() -> None:
    module = cst.parse_module(
        "def view(request):\n"
        "    def helper():\n"
        "        return None\n"
        "    if request:\n"
        "        return 1\n"
        "    return\n")
    fn = module.body[0]
    assert [r.value.value if r.value else None for r in own_returns(fn.body)] == ["1", None]
