"""Which assignments of a local name reach one place where the name is read.

Defines no rule. ``Flow`` (flow/locals.py) lists every value a name is ever given; the
taint evaluator asks here which of them can still be the name's value where it reads
it, so ``copy = s; s += tainted`` does not taint ``copy`` and
``name = request.args["n"]; name = escape(name)`` leaves only the escaped value at a
later sink. The order is the source order of one function:

- an assignment reaches a read that comes after it, or any read in a loop (``for``,
  ``while``, a comprehension) that holds both, through the loop's next round;
- an assignment (``=``, an annotated one, ``with ... as``) written in a block that
  holds the read further down, outside any branch of it, replaces every value given
  before it (it runs on every path to the read), as it does the parameter's own;
- values assigned in a branch that never runs (``if 7 * 42 - n > 200`` with ``n`` a
  constant, a ``match`` on a literal: flow/branches.py) reach nothing.

Containers are mutated in place (``parts.append(x)``, ``opts["k"] = x``,
``opts.update(x)``, ``config.set("s", "k", x)``) and objects get fields
(``job.cmd = x``): those values count like assignments of the container's name
(``mutations``) or of ``name.field`` (``fields``), in the same order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from backend_audit.engines.walk import ModuleIndex, descendants, index_of
from backend_audit.flow.branches import dead_values
from backend_audit.flow.guards import blocks, statements
from backend_audit.flow.locals import Flow

# ``parts.append(x)``: methods that put their argument into the container they are
# called on -> the positional argument that is put there (-1: the last one).
MUTATORS: dict[str, int] = {
    "append": 0, "extend": 0, "add": 0, "appendleft": 0, "extendleft": 0,
    "insert": 1, "update": 0, "setdefault": -1, "set": -1, "__setitem__": -1,
    "put": -1, "put_nowait": -1,
}
Chain = tuple[tuple[int, int], ...]  # (id of a block, index of the statement in it)...


@dataclass(frozen=True)
class Definition:
    """One value a name may be given, where it takes effect."""

    value: cst.BaseExpression
    position: int  # where the value takes effect (just past it)
    chain: Chain | None  # where its statement sits; None: it replaces nothing


@dataclass
class Scope:
    """Source order of one function (or module body)."""

    node: cst.CSTNode
    flow: Flow
    index: ModuleIndex
    chains: list[tuple[int, int, Chain]]  # (start, end, chain) of each statement
    starts: list[int]
    loops: list[tuple[int, int]]
    dead: frozenset[int]
    replacing: dict[int, Chain]  # id of a value -> the chain of its statement
    mutations: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    fields: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # Answers kept: the scope is fixed once built, and the evaluator asks the same
    # questions about one name and one read again on every path that leads there.
    _definitions: dict[object, list[Definition]] = field(default_factory=dict)
    _reached: dict[tuple[str, str, int], tuple[list[Definition], bool]] = \
        field(default_factory=dict)

    def position(self, node: cst.CSTNode) -> int | None:
        return self.index.position(node)

    def end(self, node: cst.CSTNode) -> int:
        pos = self.index.position(node)
        return self.index.ends[pos] if pos is not None else len(self.index.order)

    def _innermost(self, pos: int) -> tuple[int, int, Chain] | None:
        """(start, end, chain) of the innermost statement holding position ``pos``."""
        i = bisect_right(self.starts, pos) - 1
        while i >= 0:
            if self.chains[i][0] <= pos < self.chains[i][1]:
                return self.chains[i]
            i -= 1
        return None

    def chain_at(self, pos: int) -> Chain:
        found = self._innermost(pos)
        return found[2] if found is not None else ()

    def statement_at(self, pos: int) -> int:
        """The start of the innermost statement holding ``pos`` (-1: none)."""
        found = self._innermost(pos)
        return found[0] if found is not None else -1

    def same_loop(self, defined: int, use: int) -> bool:
        """A definition (taking effect at ``defined``, just past its value) and a read at
        ``use`` inside one loop: the next round of the loop brings the value back."""
        return any(s < defined <= e and s <= use < e for s, e in self.loops)

    def definitions(self, name: str) -> list[Definition]:
        """Every value ``name`` is given in the scope, and what is stored into it, dead
        branches left out (kept: callers must not change the list)."""
        found = self._definitions.get(name)
        if found is None:
            out = [Definition(v, self.end(v), self.replacing.get(id(v)))
                   for v in self.flow.values_of(name)]
            out.extend(Definition(v, self.end(v), None)
                       for v in self.mutations.get(name, ()))
            found = self._definitions[name] = [d for d in out if id(d.value) not in self.dead]
        return found

    def named(self, name: str, which: str = "all") -> list[Definition]:
        """The definitions of ``name`` a question takes (kept: callers must not change
        the list): every value it is given and stored into it (``all``); only what
        assigns it (``assigned``: ``d["k"] = v`` does not make ``d`` hold ``v``); or that
        and the items appended to it as a container (``items``)."""
        if which == "all":
            return self.definitions(name)
        key = (name, which)
        found = self._definitions.get(key)
        if found is None:
            own = {id(v) for v in self.flow.values_of(name)}
            if which == "items":
                own.update(id(v) for v in self.flow.items_of(name))
            found = self._definitions[key] = [d for d in self.definitions(name)
                                              if id(d.value) in own]
        return found

    def reaching_name(self, name: str, use: cst.CSTNode | None, which: str = "all"
                      ) -> tuple[list[Definition], bool]:
        """``reaching`` of ``named(name, which)`` at ``use`` (kept: callers must not
        change the list); the evaluator asks it again on every path to the same read."""
        key = (name, which, id(use))
        found = self._reached.get(key)
        if found is None:
            found = self._reached[key] = self.reaching(self.named(name, which), use)
        return found

    def field_values(self, key: str) -> list[Definition]:
        return [Definition(v, self.end(v), None) for v in self.fields.get(key, ())
                if id(v) not in self.dead]

    def reaching(self, defs: Sequence[Definition],
                 use: cst.CSTNode | None) -> tuple[list[Definition], bool]:
        """The definitions among ``defs`` that reach ``use`` (None: the scope's end), and
        whether the value the name had on entry (a parameter's) still does."""
        pos = self.position(use) if use is not None else None
        if pos is None:
            return list(defs), True
        reach = [d for d in defs if d.position <= pos or self.same_loop(d.position, pos)]
        use_chain = self.chain_at(pos)
        last: Definition | None = None
        for d in reach:
            if d.chain is not None and d.position <= pos and _dominates(d.chain, use_chain) \
                    and (last is None or d.position > last.position):
                last = d
        if last is None:
            return reach, True
        kept = [d for d in reach if d is last or last.position < d.position <= pos or
                (d.position > pos and any(s < d.position <= e and s <= pos < e and
                                          s >= last.position for s, e in self.loops))]
        return kept, False


def _dominates(chain: Chain, use: Chain) -> bool:
    """A statement at ``chain`` runs on every path to a read at ``use``: its block holds
    the read's statement further down (branches aside: an exception or an early return
    before the read only means the read never happens)."""
    depth = len(chain)
    if depth == 0 or len(use) < depth or chain[:-1] != use[:depth - 1]:
        return False
    block, index = chain[-1]
    use_block, use_index = use[depth - 1]
    return block == use_block and index < use_index


def build_scope(node: cst.FunctionDef | cst.Module, flow: Flow) -> Scope:
    index = index_of(node)
    scope = Scope(node, flow, index, [], [], [], dead_values(node, flow), {})
    body = node.body.body if isinstance(node, cst.FunctionDef) and \
        isinstance(node.body, cst.IndentedBlock) else \
        node.body if isinstance(node, cst.Module) else ()
    _block(scope, body, (), id(node))
    scope.chains.sort(key=lambda c: c[0])
    scope.starts = [c[0] for c in scope.chains]
    for loop in descendants(node, cst.For, cst.While, cst.ListComp, cst.SetComp,
                            cst.DictComp, cst.GeneratorExp):
        pos = scope.position(loop)
        if pos is not None:
            scope.loops.append((pos, index.ends[pos]))
    _collect_mutations(scope, node)
    return scope


def _block(scope: Scope, body: Sequence[cst.CSTNode], chain: Chain, block: int) -> None:
    for i, stmt in enumerate(body):
        here = (*chain, (block, i))
        pos = scope.position(stmt)
        if pos is None:
            continue
        scope.chains.append((pos, scope.index.ends[pos], here))
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    scope.replacing[id(small.value)] = here
        elif isinstance(stmt, cst.With):
            # ``with open(p) as f:`` gives ``f`` its value before every statement of
            # the body, as if it were an assignment just above them.
            for item in stmt.items:
                if item.asname is not None:
                    scope.replacing[id(item.item)] = (*here, (id(stmt.body), -1))
        for suite in blocks(stmt):
            _block(scope, statements(suite), here, id(suite))


def _collect_mutations(scope: Scope, node: cst.CSTNode) -> None:
    own = {id(n) for n in _own_nodes(node)}
    for assign in descendants(node, cst.Assign, cst.AugAssign, cst.AnnAssign):
        if id(assign) not in own or assign.value is None:
            continue
        targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) \
            else [assign.target]
        for target in targets:
            _store(scope, target, assign.value)
    for call in descendants(node, cst.Call):
        func = call.func
        if id(call) not in own or not isinstance(func, cst.Attribute) or \
                func.attr.value not in MUTATORS:
            continue
        key = _key(func.value)
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        where = MUTATORS[func.attr.value]
        values = positional[where:] if where == -1 else positional[where:where + 1]
        if func.attr.value == "update":
            values = [*values, *(a.value for a in call.args if a.keyword is not None)]
        if key is not None and values:
            scope.mutations.setdefault(key, []).extend(values)


def _store(scope: Scope, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
    """``opts["k"] = v`` mutates ``opts``; ``job.cmd = v`` gives ``job`` a field."""
    if isinstance(target, cst.Subscript):
        root = target.value
        while isinstance(root, cst.Subscript):  # ``config["section"]["key"] = v``
            root = root.value
        key = _key(root)
        if key is not None:
            scope.mutations.setdefault(key, []).append(value)
    elif isinstance(target, cst.Attribute):
        key = _key(target)
        if key is not None:
            scope.fields.setdefault(key, []).append(value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _store(scope, element.value, value)


def _key(expr: cst.BaseExpression) -> str | None:
    """``opts`` for a name, ``self.opts`` for an attribute of a name."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        inner = _key(expr.value)
        return f"{inner}.{expr.attr.value}" if inner is not None else None
    return None


def field_key(expr: cst.Attribute) -> str | None:
    return _key(expr)


def _own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of ``node``'s own scope: not those of functions or classes nested in it."""
    nested = [n for n in descendants(node, cst.FunctionDef, cst.ClassDef, cst.Lambda)
              if n is not node]
    skip: set[int] = set()
    for inner in nested:
        skip.update(id(n) for n in descendants(inner, cst.Assign, cst.AugAssign,
                                               cst.AnnAssign, cst.Call))
    for n in descendants(node, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Call):
        if id(n) not in skip:
            yield n
