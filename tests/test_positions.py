"""The engine's fast positions equal libcst's PositionProvider, node by node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from backend_audit.engines.positions import code_positions, statement_positions
from libcst.metadata import MetadataWrapper, PositionProvider

FIXTURES = Path(__file__).parent / "fixtures"

# Shapes whose positions libcst hoists from children (decorators, parenthesised
# expressions, multi-line calls), odd newlines and indentation, and an empty module.
EDGE_CASES = [
    "",
    "x = 1",
    "\n\n# only comments\n",
    "@app.route('/a',\n           methods=['POST'])\n@login_required\ndef view():\n"
    "    return ((a +\n             b))\n",
    "class A(Base,\n        metaclass=M):\n\tdef f(self): return [i for i in (\n\t\t1, 2)]\n",
    "if x:\r\n    y = f(\r\n        'a' 'b')\r\nelse:\r\n    pass\r\n",
    "async def g():\n    async with a as b, c:\n        await h(*args, **kw)\n"
    "    try:\n        pass\n    except* E as e:\n        raise\n",
    "s = f'{a!r:>{w}} {b}'\nt = '''x\ny''' + \\\n    u\nlambda: (yield)\n",
    "match cmd:\n    case {'a': [1, *rest]} if rest:\n        pass\n    case _:\n        pass\n",
]


def _libcst_ranges(module: cst.Module) -> dict[int, tuple[int, int, int, int]]:
    found = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {id(node): (r.start.line, r.start.column, r.end.line, r.end.column)
            for node, r in found.items()}


def _sources() -> list[str]:
    files = sorted(FIXTURES.rglob("*.py"))
    # A spread of real fixture files keeps the test quick and the shapes varied.
    return EDGE_CASES + [p.read_text(encoding="utf-8") for p in files[::12]]


@pytest.mark.parametrize("source", _sources())
def test_positions_match_libcst(source: str) -> None:
    module = cst.parse_module(source)
    positions = code_positions(module)
    assert positions.ranges == _libcst_ranges(module)
    lines = [positions.ranges[id(node)] for node in _simple_statement_lines(module)]
    assert list(positions.statements) == lines


def _simple_statement_lines(module: cst.Module) -> list[cst.SimpleStatementLine]:
    found: list[cst.SimpleStatementLine] = []

    class _Lines(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            found.append(node)

    module.visit(_Lines())
    return found


@pytest.mark.parametrize("source", _sources())
def test_statement_positions_equal_whole_module_positions(source: str) -> None:
    """Positions generated statement by statement (where findings are, down into class
    bodies) are the whole module's."""
    module = cst.parse_module(source)
    whole = code_positions(module)
    body = list(module.body)
    chosen = body[::2]  # every other top-level statement
    targets = [_last_node(stmt) for stmt in chosen]
    part = statement_positions(module, source, targets)
    if not body:
        assert part is None
        return
    assert part is not None, "the stdlib parser's lines should agree on this source"
    # every node asked for has a range, and every range given is the whole module's
    assert all(id(t) in part.ranges for t in targets)
    assert {k: whole.ranges[k] for k in part.ranges} == part.ranges
    assert set(part.statements) <= set(whole.statements)


def test_statement_positions_refuse_what_the_stdlib_parser_reads_differently() -> None:
    source = "x = 1\n"
    module = cst.parse_module(source)
    # text that is not the module's source: the check against the text must refuse it
    assert statement_positions(module, "y = 22\n", [module.body[0]]) is None


def _last_node(stmt: cst.CSTNode) -> cst.CSTNode:
    last = stmt
    for node in _all_nodes(stmt):
        last = node
    return last


def _all_nodes(tree: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class _All(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    tree.visit(_All())
    return found


