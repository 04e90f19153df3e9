"""libcst's ``PositionProvider`` ranges, computed several times faster.

The engine needs positions for every file with a finding. libcst's provider spends most
of its time outside code generation: a generator-based context manager entered for every
statement and expression, a frozen dataclass per position, a regular-expression split of
every token and a Python-level ``__hash__`` per node. This runs the same code generation
and applies the same rules, keeping plain tuples keyed by ``id(node)``.
tests/test_positions.py compares the result with libcst's, node by node.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata.position_provider import NEWLINE_RE

from backend_audit.engines.walk import TOKEN_TYPES, contains, index_of

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
        # ``type() is``: libcst's ABC isinstance costs more than the rest of this call,
        # and SimpleStatementLine has no subclasses
        if type(node) is cst.SimpleStatementLine:
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


_COMPOUND = (cst.BaseCompoundStatement,)
_LINE_BREAK = re.compile(r"\r\n?|\n")


def statement_positions(module: cst.Module, text: str, nodes: Iterable[cst.CSTNode],
                        tree: ast.Module | None = None) -> Positions | None:
    """``code_positions`` for just the statements that hold ``nodes``.

    Code generation of a whole module is one of the engine's largest costs, yet findings
    sit in a few statements. The stdlib parser (C, ten times cheaper than one code
    generation pass) gives each statement's first line; each statement that holds a
    node is generated on its own from that line, going down into the bodies of classes
    and functions while the nodes lie inside them. The generated text must
    equal the source at that line, so any disagreement between the two parsers (odd
    line breaks, grammar corners) returns None and the caller generates the whole
    module instead. Ranges of nodes outside the chosen statements are absent. ``tree``:
    the stdlib parser's tree of ``text``, when the caller has it already.
    """
    wanted = list(nodes)
    if not wanted:
        return None
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    emitter = _Emitter(module, text)
    if not emitter.block(module.body, tree.body, [], wanted) or \
            not all(id(n) in emitter.state.ranges for n in wanted):
        return None
    state = emitter.state
    return Positions(state.ranges, tuple(state.ranges[k] for k in state.statement_keys))


class _Emitter:
    def __init__(self, module: cst.Module, text: str) -> None:
        self.module = module
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        self.state = _RangeState(default_indent=module.default_indent,
                                 default_newline=module.default_newline)

    def block(self, stmts: Sequence[cst.BaseStatement], trees: list[ast.stmt],
              indents: list[str], wanted: list[cst.CSTNode]) -> bool:
        lines = _first_lines(stmts, trees)
        if lines is None:
            return False
        for stmt, (line, tree), held in zip(stmts, lines, _held_by(self.module, stmts, wanted),
                                            strict=True):
            if not held:
                continue
            inner = _inner_block(stmt, tree)
            if inner is not None and \
                    sum(map(len, _held_by(self.module, inner.body, held))) == len(held):
                indent = inner.indent if inner.indent is not None else self.module.default_indent
                if not self.block(inner.body, tree.body, [*indents, indent], held):
                    return False
            elif len(held) == 1 and held[0] is stmt and self.definition(stmt, tree, indents):
                continue
            elif not self.statement(stmt, line, indents):
                return False
        return True

    def definition(self, stmt: cst.BaseStatement, tree: ast.stmt, indents: list[str]) -> bool:
        """The range of a class or function that is itself the node wanted, generating
        only the last statement of its body: it starts at its ``class``/``def`` keyword
        (``async``), after the indentation, and ends where its body's last statement does.
        False when that cannot be told so (then it is generated whole)."""
        column = sum(map(len, indents))
        keyword = "async" if isinstance(tree, ast.AsyncFunctionDef) else \
            "class" if isinstance(tree, ast.ClassDef) else "def"
        if not 1 <= tree.lineno <= len(self.starts) or \
                not self.text.startswith(keyword, self.starts[tree.lineno - 1] + column):
            return False
        end = self._body_end(stmt, tree, indents)
        if end is None:
            return False
        self.state.ranges[id(stmt)] = (tree.lineno, column, *end)
        return True

    def _body_end(self, stmt: cst.BaseStatement, tree: ast.stmt,
                  indents: list[str]) -> tuple[int, int] | None:
        """Where the range of a class or function ends: where the last statement of its
        body does (libcst's ``IndentedBlock`` ends with its last statement)."""
        inner = _inner_block(stmt, tree)
        lines = _first_lines(inner.body, tree.body) if inner is not None else None
        if inner is None or not lines:
            return None
        last, (line, last_tree) = inner.body[-1], lines[-1]
        deeper = [*indents, inner.indent if inner.indent is not None else
                  self.module.default_indent]
        if _inner_block(last, last_tree) is not None:
            return self._body_end(last, last_tree, deeper)
        if not self.statement(last, line, deeper):
            return None
        found = self.state.ranges.get(id(last))
        return (found[2], found[3]) if found is not None else None

    def _codegen_line(self, stmt: cst.BaseStatement, first: int) -> int | None:
        """The line code generation of ``stmt`` starts on (its leading lines and its first
        decorator's), from the first line of its first decorator or keyword."""
        line = first - len(stmt.leading_lines)
        decorators = getattr(stmt, "decorators", ())
        if decorators:
            line -= len(decorators[0].leading_lines)
        return line if 1 <= line <= len(self.starts) else None

    def statement(self, stmt: cst.BaseStatement, first: int, indents: list[str]) -> bool:
        line = self._codegen_line(stmt, first)
        if line is None:
            return False
        state = self.state
        state.tokens = []
        state.indent_tokens = list(indents)
        state.line, state.column = line, 0
        stmt._codegen(state)
        code = "".join(state.tokens)
        offset = self.starts[line - 1]
        if self.text.startswith(code, offset):
            return True
        # the module's last line may have no line break (Module's codegen drops it)
        nl = self.module.default_newline
        return not self.module.has_trailing_newline and code.endswith(nl) and \
            self.text[offset:] == code[:-len(nl)]


def _held_by(module: cst.Module, stmts: Sequence[cst.BaseStatement],
             nodes: list[cst.CSTNode]) -> list[list[cst.CSTNode]]:
    """``[[n for n in nodes if contains(s, n)] for s in stmts]`` for the statements of one
    block, from the module's index in one pass: a block's statements are disjoint
    subtrees in preorder, so each node lies in the one that starts last before it, if
    in any. (Asking ``contains`` for every pair made positions of a file with a few
    hundred findings cost more than its parse.)"""
    index = index_of(module)
    starts = [index.position(s) for s in stmts]
    ends = index.ends
    if any(type(n) in TOKEN_TYPES for n in nodes) or None in starts or any(
            ends[a] > b for a, b in zip(starts, starts[1:], strict=False)):  # type: ignore[index]
        return [[n for n in nodes if contains(s, n)] for s in stmts]
    held: list[list[cst.CSTNode]] = [[] for _ in stmts]
    for node in nodes:
        pos = index.position(node)
        if pos is None:
            continue
        i = bisect_right(starts, pos) - 1  # type: ignore[type-var]
        if i >= 0 and pos < ends[starts[i]]:  # type: ignore[index]
            held[i].append(node)
    return held


def _inner_block(stmt: cst.BaseStatement, tree: ast.stmt) -> cst.IndentedBlock | None:
    """The indented body of a class or function, to generate only its statements that
    hold nodes (the stdlib node must be the same kind of definition)."""
    if not isinstance(getattr(stmt, "body", None), cst.IndentedBlock):
        return None
    if isinstance(stmt, cst.ClassDef) and isinstance(tree, ast.ClassDef):
        return stmt.body
    if isinstance(stmt, cst.FunctionDef) and \
            isinstance(tree, ast.FunctionDef | ast.AsyncFunctionDef):
        return stmt.body
    return None


def _first_lines(stmts: Sequence[cst.BaseStatement],
                 trees: list[ast.stmt]) -> list[tuple[int, ast.stmt]] | None:
    """Each statement's first line (its first decorator's, for a decorated definition)
    and stdlib node, from the stdlib parser; None when the two parsers disagree."""
    lines: list[tuple[int, ast.stmt]] = []
    pos = 0
    for stmt in stmts:
        if pos >= len(trees):
            return None
        node = trees[pos]
        decorators = getattr(node, "decorator_list", [])
        lines.append((min([node.lineno] + [d.lineno for d in decorators]), node))
        if isinstance(stmt, cst.SimpleStatementLine):
            pos += len(stmt.body)
        elif isinstance(stmt, _COMPOUND):
            pos += 1
        else:
            return None
    return lines if pos == len(trees) else None
