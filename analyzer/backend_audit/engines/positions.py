"""libcst's ``PositionProvider`` ranges, computed several times faster.

The engine needs positions for every file with a finding. libcst's provider spends most
of its time outside code generation: a generator-based context manager entered for every
statement and expression, a frozen dataclass per position, a regular-expression split of
every token and a Python-level ``__hash__`` per node. This runs the same code generation
and applies the same rules, keeping plain tuples keyed by ``id(node)``.
tests/test_positions.py compares the result with libcst's, node by node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata.position_provider import NEWLINE_RE

#: (start line, start column, end line, end column): lines 1-based, columns 0-based.
Range = tuple[int, int, int, int]


class _SyntacticPosition:
    """``record_syntactic_position`` as a class: entered once per statement/expression."""

    __slots__ = ("state", "key", "start_node", "end_node", "line", "column")

    def __init__(self, state: _RangeState, node: cst.CSTNode,
                 start_node: cst.CSTNode | None, end_node: cst.CSTNode | None) -> None:
        self.state = state
        self.key = id(node)
        self.start_node = start_node
        self.end_node = end_node
        self.line = state.line
        self.column = state.column

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        state = self.state
        ranges = state.ranges
        if self.start_node is not None:
            start = ranges[id(self.start_node)]
            sl, sc = start[0], start[1]
        else:
            sl, sc = self.line, self.column
        if self.end_node is not None:
            end = ranges[id(self.end_node)]
            el, ec = end[2], end[3]
        else:
            el, ec = state.line, state.column
        ranges[self.key] = (sl, sc, el, ec)


@dataclass
class _RangeState(CodegenState):
    line: int = 1
    column: int = 0
    starts: list[tuple[int, int]] = field(default_factory=list)
    ranges: dict[int, Range] = field(default_factory=dict)
    statement_keys: list[int] = field(default_factory=list)

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        segments = NEWLINE_RE.split(value)
        self.line += len(segments) - 1
        self.column = len(segments[-1])

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self.starts.pop()
        key = id(node)
        if key not in self.ranges:  # a syntactic position recorded inside wins
            self.ranges[key] = (line, column, self.line, self.column)
        if isinstance(node, cst.SimpleStatementLine):
            self.statement_keys.append(key)

    def record_syntactic_position(self, node: cst.CSTNode, *,  # type: ignore[override]
                                  start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> _SyntacticPosition:
        return _SyntacticPosition(self, node, start_node, end_node)


@dataclass(frozen=True)
class Positions:
    #: ``id(node)`` -> the range libcst's ``PositionProvider`` gives that node (the
    #: module's nodes must stay alive while the ids are used).
    ranges: dict[int, Range]
    #: The range of every simple statement line, in code order.
    statements: tuple[Range, ...]


def code_positions(module: cst.Module) -> Positions:
    """What ``MetadataWrapper(module).resolve(PositionProvider)`` gives for ``module``'s
    own nodes (no copy is made)."""
    state = _RangeState(default_indent=module.default_indent,
                        default_newline=module.default_newline)
    module._codegen(state)
    return Positions(state.ranges, tuple(state.ranges[k] for k in state.statement_keys))
