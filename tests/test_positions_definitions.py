"""A class or function that is itself a finding's node gets its range without generating
its whole body (engines/positions.py ``_Emitter.definition``): the same range libcst's
code generation gives, on layouts where the two could part."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from backend_audit.engines import positions
from backend_audit.engines.libcst_engine import parse_trusted
from backend_audit.engines.positions import code_positions, statement_positions

FIXTURES = Path(__file__).parent / "fixtures"

SAMPLES = {
    "decorated, comments between": '''
import x

# leading comment
@decorator(
    arg=1,
)
# after the decorator
class OrderList(generic.ListView):
    queryset = Order.objects.all()  # trailing comment
        # odd footer comment

    # a comment at the class's level


def after():
    return 1
''',
    "last statement nested": '''
class A(Base):
    x = 1

    class Meta:
        model = M

        def method(self):
            if self.x:
                return (
                    1
                )
            else:
                pass  # done
# dedented comment
''',
    "semicolons, continuation": '''
class B(View):
    a = 1; b = 2;
    c = \\
        3
''',
    "async def and tabs": ("class C:\n\tasync def get(self):\n\t\tawait x\n\n"
                           "\tdef put(self): return 1\n"),
    "no newline at the end": "class D(E):\n    def f(self):\n        return g(\n            1)",
    "windows line breaks": "class F(G):\r\n    x = 1\r\n\r\n    def h(self):\r\n        pass\r\n",
    "one-line bodies": "class H: pass\ndef i(): return 1\nclass J:\n    def k(self): pass\n",
    "form feed and unicode": "class Größe(Base):\n    \x0c\n    wert = 'ß'  # ü\n",
    "try at the end": '''
class K(View):
    def get(self, request):
        try:
            return 1
        except ValueError:
            raise
        finally:
            cleanup()
''',
}


def _definitions(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            found.append(node)

    module.visit(Collect())
    return found


def _assert_same_ranges(text: str) -> int:
    module = parse_trusted(text)
    truth = code_positions(module).ranges
    checked = 0
    for node in _definitions(module):
        got = statement_positions(module, text, [node])
        assert got is not None, (text[:60], getattr(node, "name", None))
        assert got.ranges[id(node)] == truth[id(node)], (text[:60], node.name.value)
        checked += 1
    return checked


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_definition_ranges_equal_code_generation(name: str) -> None:
    assert _assert_same_ranges(SAMPLES[name]) > 0


def test_definition_ranges_equal_code_generation_on_fixtures() -> None:
    checked = sum(_assert_same_ranges(path.read_text(encoding="utf-8"))
                  for path in sorted(FIXTURES.rglob("*.py"))[::2])
    assert checked > 500


def test_the_body_is_not_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the last statement of a class wanted by itself is generated."""
    text = SAMPLES["decorated, comments between"] + "".join(
        f"\nclass V{i}(View):\n    queryset = Q{i}.objects.all()\n    x = 1\n" for i in range(3))
    module = parse_trusted(text)
    generated: list[type] = []
    original = positions._Emitter.statement

    def statement(self, stmt, first, indents):  # type: ignore[no-untyped-def]
        generated.append(type(stmt))
        return original(self, stmt, first, indents)

    monkeypatch.setattr(positions._Emitter, "statement", statement)
    classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
    assert statement_positions(module, text, classes) is not None
    assert generated == [cst.SimpleStatementLine] * len(classes)
