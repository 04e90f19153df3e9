"""Shapes of code the validation analysis recognises, read off the syntax alone.

Guard tests that constrain a value, exits with an error, handlers that catch bad
input, comprehension filters, SQL runners and their text, query chains. No taint here:
``_payload_flow`` asks these questions about expressions it already knows are input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst import MaybeSentinel

from backend_audit.appmodel.closed_types import is_allow_list
from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name
from backend_audit.engines.walk import child_fields
from backend_audit.flow import payload_vocab as V
from backend_audit.flow.calls import is_capword

# Nodes that hold only whitespace, comments or punctuation: no expression or statement
# can be inside them, so the searches below never descend into them.
_TRIVIAL_BASES = (
    cst.BaseParenthesizableWhitespace, cst.Comment, cst.EmptyLine, cst.TrailingWhitespace,
    cst.Newline, cst.Comma, cst.Semicolon, cst.Colon, cst.Dot, cst.LeftParen, cst.RightParen,
    cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
    cst.AssignEqual, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp,
    cst.BaseAugOp, cst.ImportStar, cst.Asynchronous, cst.ParamStar, cst.ParamSlash,
)
_TRIVIAL: frozenset[type] = frozenset(
    t for t in vars(cst).values() if isinstance(t, type) and issubclass(t, _TRIVIAL_BASES))
_TRIVIAL_FIELDS = frozenset({"lpar", "rpar", "leading_lines", "lines_after_decorators",
                             "header", "footer", "trailing_whitespace", "semicolon", "comma",
                             "newline"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            n for n in child_fields(kind)
            if n not in _TRIVIAL_FIELDS and not n.startswith("whitespace"))
    return names


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The children libcst would visit, in its order, less whitespace and punctuation."""
    out: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, (tuple, list)):
            out.extend(c for c in value if type(c) not in _TRIVIAL)
        elif value is not None and type(value) not in _TRIVIAL and \
                not isinstance(value, MaybeSentinel):
            out.append(value)
    return out


def preorder(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything below it in libcst's visiting order (no whitespace)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def comp_tests(comp: cst.CompFor, element: cst.BaseExpression) -> bool:
    """A comprehension filter tests the element it keeps (``[w for w in ws if w in OK]``)."""
    root = element
    while isinstance(root, (cst.Call, cst.Attribute, cst.Subscript)):
        root = root.func if isinstance(root, cst.Call) else root.value
    if not isinstance(root, cst.Name):
        return False
    return any(root.value in names_in(cond.test)
               for f in comp_fors(comp) for cond in f.ifs)


def names_in(expr: cst.BaseExpression) -> set[str]:
    return {n.value for n in preorder(expr) if type(n) is cst.Name}


def comp_fors(comp: cst.CompFor | None) -> list[cst.CompFor]:
    out = []
    while comp is not None:
        out.append(comp)
        comp = comp.inner_for_in
    return out


def is_plain_container(values: list[cst.BaseExpression]) -> bool:
    """A name holding ``values`` holds a dict, a list, a string or a namespace."""
    return bool(values) and all(
        isinstance(v, (cst.Dict, cst.List, cst.SimpleString)) or
        (isinstance(v, cst.Call) and last_name(v.func) in ("dict", "SimpleNamespace", "list"))
        for v in values)


def chain_has(node: cst.BaseExpression, words: frozenset[str]) -> bool:
    while True:
        if isinstance(node, cst.Call):
            if last_name(node.func) in words:
                return True
            node = node.func
        elif isinstance(node, cst.Attribute):
            if node.attr.value in words:
                return True
            node = node.value
        else:
            return False


def is_query_receiver(receiver: cst.BaseExpression, held: list[cst.BaseExpression]) -> bool:
    """A query expression, or a name holding one (``held``: its values there)."""
    if isinstance(receiver, cst.Call) or chain_has(receiver, V.QUERY_RECEIVER_WORDS):
        return True
    return any(chain_has(v, V.QUERY_RECEIVER_WORDS) for v in held)


_CHECK_METHODS = frozenset({"fullmatch", "match"})


_STR_TESTS = frozenset({"isdigit", "isalnum", "isalpha", "isdecimal", "isnumeric",
                        "isidentifier", "isascii"})


def constrained(test: cst.BaseExpression, holds: bool | None = None
                ) -> list[cst.BaseExpression]:
    """Values a test holds to an allow-list, a pattern or a type. ``holds``: the value
    of ``test`` on the path the code goes on with (None: either); a membership test
    holds a value to the collection only where it is in it (``if key not in SKIPPED:
    fields.append(key)`` is a deny-list)."""
    if isinstance(test, cst.BooleanOperation):
        return constrained(test.left, holds) + constrained(test.right, holds)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return constrained(test.expression, None if holds is None else not holds)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        if isinstance(comp.operator, (cst.In, cst.NotIn)) and is_allow_list(comp.comparator):
            inside = isinstance(comp.operator, cst.In)
            return [test.left] if holds is None or holds == inside else []
    if isinstance(test, cst.Call):
        name = last_name(test.func)
        if name == "isinstance" and test.args:
            return [test.args[0].value]
        if name in _CHECK_METHODS:
            return [a.value for a in test.args if a.keyword is None]
        if name in _STR_TESTS and isinstance(test.func, cst.Attribute):
            return [test.func.value]
    return []


def is_lookup_name(name: str | None) -> bool:
    """A call that fetches rows: testing its result checks the database, not the input."""
    if not name:
        return False
    first = name.lower().lstrip("_").split("_")[0]
    return name in V.LOOKUP_METHODS or name in V.SQL_RUNNERS or first in V.LOOKUP_VERBS


def is_write_name(name: str | None) -> bool:
    """A call that stores or removes what it is given (``delete_item_by_id``,
    ``add_to_cart``): testing its result tells what became of the row, after the value
    reached the database; it says nothing about the value's shape."""
    first = (name or "").lower().lstrip("_").split("_")[0]
    return first in V.ROW_WRITE_VERBS


# Keywords under which SQL runners take the statement text rather than its parameters.
_SQL_TEXT_KEYWORDS = frozenset({"sql", "query", "statement", "stmt", "where", "select",
                                "tables", "order_by", "raw_query", "operation"})


def sql_text_arg(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in _SQL_TEXT_KEYWORDS:
            return arg.value
    first = call.args[0] if call.args else None
    return first.value if first is not None and first.keyword is None and not first.star \
        else None


def first_arg_is_class(call: cst.Call) -> bool:
    """``db.session.get(Product, pid)``, ``User.get(User.email == e)`` (peewee) or
    ``await User.get(email=e)`` (Tortoise): a lookup, not ``dict.get``."""
    if any(a.keyword is not None for a in call.args):
        return True
    first = call.args[0].value if call.args and call.args[0].keyword is None else None
    return isinstance(first, cst.Comparison) or (
        isinstance(first, (cst.Name, cst.Attribute)) and is_capword(last_name(first)))


def expressions_in(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Sub-expressions of a guard test, not looking inside database lookups."""
    out: list[cst.BaseExpression] = []

    def go(node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.Call:
            if chain_has(node.func, _GUARD_LOOKUPS) or is_write_name(last_name(node.func)):
                return
            out.append(node)
        elif kind is cst.Name or kind is cst.Attribute or kind is cst.Subscript:
            out.append(node)
        for child in children(node):
            go(child)

    go(test)
    return out


_GUARD_LOOKUPS = V.LOOKUP_METHODS - {"get"} | {"query", "objects"}


def goes_on_when(node: cst.If | cst.While) -> bool | None:
    """The value of the guard's test on the path that goes on: False when its branch
    exits (``if x not in ALLOWED: abort(400)``), True when only its ``else`` does or
    nothing does (``if x in ALLOWED: use(x)``); None for a loop."""
    if not isinstance(node, cst.If):
        return None
    leaves = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
    skips = any(isinstance(small, (cst.Continue, cst.Break)) for line in leaves
                if isinstance(line, cst.SimpleStatementLine) for small in line.body)
    if skips:
        return False  # ``if x not in ALLOWED: continue``
    if not _exits(node.body):
        return True
    # Both branches leave (``if provider in FORMATS: ...; return Response(..., 200)``
    # ``else: return Response(..., 400)``): the path that goes on is the one that does
    # not turn the request away.
    orelse = node.orelse
    return isinstance(orelse, cst.Else) and _rejects(orelse.body) and not _rejects(node.body)


def exits_with_error(node: cst.If | cst.While) -> bool:
    """The guard's branch (or its else) returns, raises, aborts or records an error.
    A flashed message alone turns nothing away: ``if len(name) < 2: flash(...)`` goes on
    to what follows. It counts only where the ``if`` has another branch (``else``/``elif``)
    for the code to take instead."""
    blocks: list[cst.CSTNode] = [node.body]
    orelse = node.orelse
    if isinstance(orelse, cst.Else):
        blocks.append(orelse.body)
    alternative = orelse is not None
    return any(_exits(block, alternative) for block in blocks)


def _exits(node: cst.CSTNode, flash_exits: bool = True) -> bool:
    """A return, a raise, an error call or a name saying "error" in ``node``; an ``if``
    inside is another guard (an elif chain) and is not looked into. ``flash_exits``: a
    flashed message counts as an error call."""
    kind = type(node)
    if kind is cst.Return or kind is cst.Raise:
        return True
    if kind is cst.Call:
        name = last_name(node.func)
        if name in V.ERROR_CALLS and (flash_exits or name != "flash"):
            return True
    if kind is cst.Name and "error" in node.value.lower():
        return True
    if kind is cst.If:
        return False
    return any(_exits(child, flash_exits) for child in children(node))


_CLIENT_ERROR = re.compile(r"(?i)error|HTTP_4\d\d")


def _rejects(block: cst.CSTNode) -> bool:
    """``block`` turns the request away: it raises, calls an error helper, or answers
    with a 4xx status or something named an error."""
    for node in preorder(block):
        if isinstance(node, cst.Raise) or (isinstance(node, cst.Call) and
                                           last_name(node.func) in V.ERROR_CALLS):
            return True
        if isinstance(node, cst.Integer) and node.value.isdigit() and \
                400 <= int(node.value) < 500:
            return True
        if isinstance(node, cst.Name) and _CLIENT_ERROR.search(node.value):
            return True
    return False


# Errors that bad input raises; ``except Exception`` around a commit is not validation.
_BAD_INPUT_ERRORS = frozenset({"ValueError", "KeyError", "TypeError", "ValidationError",
                               "InvalidOperation", "JSONDecodeError", "LookupError",
                               "BadRequestKeyError", "MultiValueDictKeyError"})


def catches_bad_input(node: cst.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return False
        names = {last_name(e.value) for e in handler.type.elements} if isinstance(
            handler.type, cst.Tuple) else {last_name(handler.type)}
        if names & _BAD_INPUT_ERRORS and _exits(handler.body):
            return True
    return False


def catches_validation_error(node: cst.Try) -> bool:
    """``except ValidationError: return 400``: the calls of the ``try`` body are held to a
    schema whose rejection the handler answers as bad input (``Config.parse_yaml(text)``)."""
    for handler in node.handlers:
        if handler.type is None:
            continue
        names = {last_name(e.value) for e in handler.type.elements} if isinstance(
            handler.type, cst.Tuple) else {last_name(handler.type)}
        if names & _VALIDATION_ERRORS and _exits(handler.body):
            return True
    return False


_VALIDATION_ERRORS = frozenset({"ValidationError", "ValidationErrors", "SchemaError",
                                "MultipleInvalid", "Invalid"})


# What a single-row fetch raises on a key that matches nothing or is not of the key's
# type, and the broader classes a handler catches them by.
_MISSING_ROW_ERRORS = frozenset({"DoesNotExist", "ObjectDoesNotExist", "ValueError",
                                 "ValidationError", "TypeError", "Exception", "BaseException",
                                 "Http404", "MultipleObjectsReturned"})
_MANAGERS = frozenset({"objects"})
_KEY_WORDS = frozenset({"pk", "id", "pk__exact", "id__exact"})


def row_key_args(call: cst.Call) -> list[cst.BaseExpression]:
    """The primary-key values of a Django single-row fetch (``Task.objects.get(pk=x)``,
    ``User.objects.get(id=x)``, ``Task.objects.get(project_id=x)``)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "get" and
            chain_has(func.value, _MANAGERS)):
        return []
    return [a.value for a in call.args if a.keyword is not None and (
        a.keyword.value in _KEY_WORDS or a.keyword.value.endswith("_id"))]


# Calls that write a row or a relation of it (``team.members.add(member)``, ``row.save()``).
_ROW_WRITES = V.PERSIST_METHODS | {"add", "remove", "set", "save", "delete", "clear"}


def _root_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, (cst.Attribute, cst.Call)):
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return node if isinstance(node, cst.Name) else None


def row_written(row: cst.Call, calls: list[cst.Call],
                held: Callable[[cst.Name], list[cst.BaseExpression]]) -> bool:
    """The row ``row`` fetches is saved, deleted, or linked to or from another row: a
    write is called on, or given, a name that holds it there (``held``)."""
    for call in calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _ROW_WRITES:
            continue
        names = [a.value for a in call.args if isinstance(a.value, cst.Name)]
        root = _root_name(func.value)
        if any(v is row for n in (*names, *([root] if root else [])) for v in held(n)):
            return True
    return False


def handles_missing_row(call: cst.Call, tries: list[cst.Try]) -> bool:
    """``call`` sits in the body of a ``try`` whose handlers answer a missing row or a
    malformed key (``except Task.DoesNotExist``, ``except (ValueError, ...)``, bare)."""
    for node in tries:
        names: set[str | None] = set()
        for handler in node.handlers:
            if handler.type is None:
                names.add("BaseException")
            elif isinstance(handler.type, cst.Tuple):
                names |= {last_name(e.value) for e in handler.type.elements}
            else:
                names.add(last_name(handler.type))
        if names & _MISSING_ROW_ERRORS and any(n is call for n in preorder(node.body)):
            return True
    return False


def calls_in(body: cst.CSTNode) -> list[cst.Call]:
    return [n for n in preorder(body) if type(n) is cst.Call]


def subscripts_in(body: cst.CSTNode) -> list[cst.Subscript]:
    return [n for n in preorder(body) if type(n) is cst.Subscript]


@dataclass
class FunctionBody:
    """What the validation analysis needs from one function's body, gathered in one pass.

    ``calls``, ``order``, ``guards``... cover the function's own scope (nested functions,
    classes and lambdas have their own); ``all_calls``, ``names`` and ``assigned_calls``
    cover everything under the function, nested scopes, decorators and defaults included.
    Syntax only, so every check analysing the function shares one (see ``function_body``).
    """

    calls: list[cst.Call] = field(default_factory=list)
    assigns: list[cst.Assign] = field(default_factory=list)
    order: list[cst.Call | cst.Assign] = field(default_factory=list)  # source order
    guards: list[tuple[cst.BaseExpression, cst.If | cst.While]] = field(default_factory=list)
    tests: list[cst.BaseExpression] = field(default_factory=list)  # IfExp / assert tests
    tries: list[cst.Try] = field(default_factory=list)
    # The statement line a call or assignment sits in: findings go on its first line.
    line_of: dict[int, cst.SimpleStatementLine] = field(default_factory=dict)
    # ``d.update(x)`` and ``d["k"] = x``: what else a name is filled with, and whether
    # it is stored as one item (``x`` is a field of ``d``) rather than merged in whole.
    extras: dict[str, list[tuple[cst.BaseExpression, bool]]] = field(default_factory=dict)
    # What ``session.add(x)``/``x.save()`` persist: names (read there) and calls.
    persisted_names: list[cst.Name] = field(default_factory=list)
    persisted_calls: set[int] = field(default_factory=set)
    has_persist: bool = False
    all_calls: list[cst.Call] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # attribute names included
    _exits: dict[int, bool] = field(default_factory=dict)

    def guard_exits(self, node: cst.If | cst.While) -> bool:
        """``exits_with_error`` of one of ``guards``, asked once per guard and function."""
        found = self._exits.get(id(node))
        if found is None:
            found = self._exits[id(node)] = exits_with_error(node)
        return found
    assigned_calls: list[cst.Call] = field(default_factory=list)  # ``f(...)`` in ``x = f(...)``


def function_body(ctx: ModuleContext, fn: cst.FunctionDef) -> FunctionBody:
    """The (cached) ``FunctionBody`` of ``fn``."""
    cache: dict[int, FunctionBody] = ctx.__dict__.setdefault("_validation_bodies", {})
    body = cache.get(id(fn))
    if body is None:
        body = cache[id(fn)] = _BodyIndexer(fn).body
    return body


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


class _BodyIndexer:
    def __init__(self, fn: cst.FunctionDef) -> None:
        self.body = FunctionBody()
        self.line: cst.SimpleStatementLine | None = None
        for name in _fields(type(fn)):
            value = getattr(fn, name)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if child is not None and type(child) not in _TRIVIAL and \
                        not isinstance(child, MaybeSentinel):
                    self.go(child, name == "body")

    def go(self, node: cst.CSTNode, own: bool) -> None:
        kind = type(node)
        body = self.body
        if kind is cst.Name:
            body.names.add(node.value)
            return
        if kind is cst.Call:
            body.all_calls.append(node)
            if own:
                self._call(node)
        elif kind is cst.Assign:
            if isinstance(node.value, cst.Call):
                body.assigned_calls.append(node.value)
            if own:
                self._assign(node)
        elif own:
            if kind is cst.SimpleStatementLine:
                self.line = node
                self._children(node, kind, own)
                self.line = None
                return
            if kind is cst.If or kind is cst.While:
                body.guards.append((node.test, node))
            elif kind is cst.IfExp or kind is cst.Assert:
                body.tests.append(node.test)  # ``s if s in SORTS else "name"``
            elif kind is cst.Try:
                body.tries.append(node)
            elif kind in _SCOPES:
                own = False
        self._children(node, kind, own)

    def _children(self, node: cst.CSTNode, kind: type, own: bool) -> None:
        # ``children`` inlined: this loop runs for every node of every analysed function.
        names = _FIELDS.get(kind) or _fields(kind)
        for name in names:
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                for child in value:
                    if type(child) not in _TRIVIAL:
                        self.go(child, own)
            elif value is not None and type(value) not in _TRIVIAL and \
                    type(value) is not MaybeSentinel:
                self.go(value, own)

    def _call(self, node: cst.Call) -> None:
        body = self.body
        if self.line is not None:
            body.line_of[id(node)] = self.line
        body.calls.append(node)
        body.order.append(node)
        name = last_name(node.func)
        if name in V.PERSIST_METHODS:
            body.has_persist = True
            for arg in node.args:
                self._mark_persisted(arg.value)
            if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
                body.persisted_names.append(node.func.value)
        if name == "update" and isinstance(node.func, cst.Attribute) and \
                isinstance(node.func.value, cst.Name) and node.args:
            body.extras.setdefault(node.func.value.value, []).append((node.args[0].value, False))

    def _mark_persisted(self, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Name):
            self.body.persisted_names.append(value)
        elif isinstance(value, cst.Call):
            self.body.persisted_calls.add(id(value))
        elif isinstance(value, (cst.List, cst.Tuple)):
            for el in value.elements:
                self._mark_persisted(el.value)
        elif isinstance(value, (cst.ListComp, cst.GeneratorExp)):
            self._mark_persisted(value.elt)

    def _assign(self, node: cst.Assign) -> None:
        body = self.body
        if self.line is not None:
            body.line_of[id(node)] = self.line
        body.assigns.append(node)
        body.order.append(node)
        for t in node.targets:
            if isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Name):
                body.extras.setdefault(t.target.value.value, []).append((node.value, True))
