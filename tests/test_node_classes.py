"""libcst node classes with plain isinstance checks (engines/node_classes.py) answer
exactly as the ABC machinery does."""

from __future__ import annotations

import abc

import libcst as cst
from backend_audit.engines import libcst_engine  # noqa: F401 - applies plain_node_checks
from backend_audit.engines.node_classes import PlainCheckMeta, plain_node_checks

NODE_CLASSES = sorted((v for v in vars(cst).values()
                       if isinstance(v, type) and issubclass(v, cst.CSTNode)),
                      key=lambda c: c.__name__)

SOURCE = '''
import os
from app import db as database

@route("/x", methods=["POST"])
async def view(request, *args, n: int = 1, **kw) -> dict:
    """Doc."""
    global counter
    rows = [r for r in database.query(f"SELECT {n}") if r and not r.hidden]
    with open(os.path.join("a", request.args["p"])) as fh, lock:
        data = fh.read() + b"x" * 2 ** -n
    try:
        x = {k: v async for k, v in rows.items()} | {1, 2}
    except (KeyError, ValueError) as exc:
        raise RuntimeError from exc
    finally:
        del x[0:2, ...]
    match data:
        case {"a": [1, *rest]} | None:
            pass
    lam = lambda y=1: (yield y)
    return await other(*args, **kw) if n else ~n
'''


def test_every_exported_node_class_has_plain_checks() -> None:
    assert all(type(c) is PlainCheckMeta for c in NODE_CLASSES)
    assert plain_node_checks() == 0  # already done on import; a second call changes nothing


def test_subclass_answers_equal_the_abc_answers_for_every_pair() -> None:
    for sub in NODE_CLASSES:
        for cls in NODE_CLASSES:
            assert issubclass(sub, cls) is abc.ABCMeta.__subclasscheck__(cls, sub), (sub, cls)


def test_instance_answers_equal_the_abc_answers_on_a_parsed_module() -> None:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    cst.parse_module(SOURCE).visit(Collect())
    assert len({type(n) for n in nodes}) > 60
    for node in nodes:
        for cls in NODE_CLASSES:
            assert isinstance(node, cls) is abc.ABCMeta.__instancecheck__(cls, node), \
                (type(node), cls)
    assert not isinstance("text", cst.BaseExpression)
    assert not isinstance(None, cst.CSTNode)


def test_a_class_with_a_subclass_hook_keeps_the_abc_checks() -> None:
    class Hooked(cst.Name):
        @classmethod
        def __subclasshook__(cls, other: type) -> bool:
            return other is str

    class Below(cst.Name):
        pass

    class Registered(Below):
        pass

    Registered.register(int)
    from backend_audit.engines.node_classes import _abc_answer_is_plain

    assert not _abc_answer_is_plain(Hooked)
    assert not _abc_answer_is_plain(Below)  # a class below it registers virtual subclasses
    assert _abc_answer_is_plain(cst.Integer)
