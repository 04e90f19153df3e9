"""libcst node classes with direct constructors (engines/node_init.py) build the same
nodes as their dataclass constructors, and validate them outside a parse."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import libcst as cst
import pytest
from backend_audit.engines.libcst_engine import parse_trusted
from backend_audit.engines.node_init import (
    ORIGINAL_INITS,
    direct_node_inits,
    install,
    unvalidated,
)

parse_trusted("x = 1\n")  # the first parse installs the constructors

FIXTURES = Path(__file__).parent / "fixtures"
NODE_CLASSES = [v for v in vars(cst).values() if isinstance(v, type) and
                issubclass(v, cst.CSTNode) and dataclasses.is_dataclass(v) and
                "__init__" in vars(v)]


@contextmanager
def dataclass_inits() -> Iterator[None]:
    """The node classes' own constructors, for the block."""
    direct = {cls: vars(cls)["__init__"] for cls in ORIGINAL_INITS}
    for cls, init in ORIGINAL_INITS.items():
        cls.__init__ = init  # type: ignore[misc]
    try:
        yield
    finally:
        for cls, init in direct.items():
            cls.__init__ = init  # type: ignore[misc]


def test_every_node_class_has_the_direct_constructor_with_its_signature() -> None:
    assert len(NODE_CLASSES) > 150
    assert set(ORIGINAL_INITS) == set(NODE_CLASSES)
    assert direct_node_inits() == 0  # already done by the first parse
    install()
    assert set(ORIGINAL_INITS) == set(NODE_CLASSES)
    for cls in NODE_CLASSES:
        ours = inspect.signature(cls.__init__).parameters
        theirs = inspect.signature(ORIGINAL_INITS[cls]).parameters
        assert list(ours) == list(theirs), cls
        for name, param in ours.items():
            default = theirs[name].default
            assert param.kind == theirs[name].kind, (cls, name)
            if repr(default) != "<factory>":
                assert param.default is default, (cls, name)


def test_parsed_trees_equal_those_the_dataclass_constructors_build() -> None:
    files = sorted(FIXTURES.rglob("*.py"))[1::3]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        with dataclass_inits():
            theirs = cst.parse_module(text)
        ours = parse_trusted(text)
        # deep_equals reads every field of every node: a slot left unset would raise
        assert ours.deep_equals(theirs), path
        assert ours.code == text


def test_defaults_and_factories_match() -> None:
    test = cst.Name("x")
    body = cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])])
    ours = cst.If(test, body)
    with dataclass_inits():
        theirs = cst.If(test, body)
    assert ours.deep_equals(theirs)
    assert ours.orelse is None and ours.leading_lines == ()
    # a factory runs per node: two nodes do not share one default object
    again = cst.If(test, body).whitespace_before_test
    assert again.deep_equals(ours.whitespace_before_test)
    assert again is not ours.whitespace_before_test
    arg = cst.Arg(cst.Integer("1"))
    assert arg.keyword is None and arg.equal is cst.MaybeSentinel.DEFAULT and arg.star == ""


def test_hand_built_nodes_are_still_validated() -> None:
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
    with pytest.raises(cst.CSTValidationError):
        cst.Integer("x")
    with unvalidated():
        assert cst.Name("not a name").value == "not a name"
    with pytest.raises(cst.CSTValidationError):
        cst.Name("again not")
    with pytest.raises(TypeError):
        cst.Name()  # type: ignore[call-arg]  # a required field stays required
    assert cst.Name("x").with_changes(value="y").value == "y"
