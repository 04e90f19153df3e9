"""The module index (engines/walk.py) reads only the fields that can hold the nodes it
keeps; it must hold exactly what reading every field libcst visits gives."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from backend_audit.engines.walk import (
    TOKEN_TYPES,
    _holds_tokens_only,
    build_index,
    child_fields,
)

FIXTURES = sorted(Path(__file__).parent.joinpath("fixtures").rglob("*.py"))

SAMPLE = '''import os as o, sys
from .a import (b as c, d)


@decorator(x=1)
async def f(a: int = 1, *args: str, b, **kw) -> "T":
    """Doc."""
    global g
    x = [i async for i in y if i] + {k: v for k, v in z.items()}
    del x[1:2, ::3]
    async with a as (b, c), d:
        await e(*f, **g)
    try:
        raise E from None
    except* (A, B) as err:
        pass
    finally:
        yield from h
    match p:
        case {"k": [1, *rest]} | Point(x=0) if rest:
            return lambda q=1, /, *r: q if r else not q
        case _:
            print(f"{a!r:>{w}}", sep=";"); assert a, b


class C(B, metaclass=M):
    t: int = 0
    def m(self): return self.t @ u ** -v
'''


def _every_field(root: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes (tokens left out) in visiting order, reading every field."""
    out: list[cst.CSTNode] = []

    def go(node: cst.CSTNode) -> None:
        out.append(node)
        for name in child_fields(type(node)):
            value = getattr(node, name)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(child, cst.CSTNode) and type(child) not in TOKEN_TYPES:
                    go(child)

    go(root)
    return out


@pytest.mark.parametrize("source", [SAMPLE, *(f.read_text(encoding="utf-8")
                                              for f in FIXTURES[::3])],
                         ids=["sample", *(f.name for f in FIXTURES[::3])])
def test_index_holds_every_node_of_the_tree(source: str) -> None:
    module = cst.parse_module(source)
    index = build_index(module)
    assert list(map(id, index.order)) == list(map(id, _every_field(module)))
    for i, node in enumerate(index.order):
        assert [id(n) for n in index.order[i:index.ends[i]]] == \
            [id(n) for n in _every_field(node)]


def test_token_fields_are_told_from_node_fields() -> None:
    assert _holds_tokens_only(cst.Call, "lpar")
    assert _holds_tokens_only(cst.Call, "whitespace_after_func")
    assert _holds_tokens_only(cst.Arg, "comma")  # Comma or MaybeSentinel
    assert _holds_tokens_only(cst.BinaryOperation, "operator")
    assert not _holds_tokens_only(cst.Call, "func")
    assert not _holds_tokens_only(cst.Arg, "keyword")  # a Name or None
    assert not _holds_tokens_only(cst.FunctionDef, "returns")  # an Annotation or None
    assert not _holds_tokens_only(cst.Module, "body")
