"""Shapes of code the validation analysis recognises, read off the syntax alone.

Guard tests that constrain a value, exits with an error, handlers that catch bad
input, comprehension filters, SQL runners and their text, query chains. No taint here:
``_payload_flow`` asks these questions about expressions it already knows are input.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dataflow import Flow
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.checks import _validation_vocab as V
from backend_audit.engines.walk import walk


def is_capword(name: str | None) -> bool:
    return bool(name) and name[0].isupper() and any(c.islower() for c in name)


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
    names: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    cst.Module([cst.SimpleStatementLine([cst.Expr(expr)])]).visit(_Names())
    return names


def comp_fors(comp: cst.CompFor | None) -> list[cst.CompFor]:
    out = []
    while comp is not None:
        out.append(comp)
        comp = comp.inner_for_in
    return out


def is_plain_container(name: str, flow: Flow) -> bool:
    values = flow.values_of(name)
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


def is_query_receiver(receiver: cst.BaseExpression, flow: Flow) -> bool:
    if isinstance(receiver, cst.Call) or chain_has(receiver, V.QUERY_RECEIVER_WORDS):
        return True
    if isinstance(receiver, cst.Name):
        return any(chain_has(v, V.QUERY_RECEIVER_WORDS) for v in flow.values_of(receiver.value))
    return False


_CHECK_METHODS = frozenset({"fullmatch", "match"})


_STR_TESTS = frozenset({"isdigit", "isalnum", "isalpha", "isdecimal", "isnumeric",
                        "isidentifier", "isascii"})


_CHOICE_ATTRS = frozenset({"values", "choices", "names", "labels", "keys"})


def constrained(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Values a test holds to an allow-list, a pattern or a type."""
    if isinstance(test, cst.BooleanOperation):
        return constrained(test.left) + constrained(test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return constrained(test.expression)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        if isinstance(comp.operator, (cst.In, cst.NotIn)) and is_constant(comp.comparator):
            return [test.left]
    if isinstance(test, cst.Call):
        name = last_name(test.func)
        if name == "isinstance" and test.args:
            return [test.args[0].value]
        if name in _CHECK_METHODS:
            return [a.value for a in test.args if a.keyword is None]
        if name in _STR_TESTS and isinstance(test.func, cst.Attribute):
            return [test.func.value]
    return []


def is_constant(expr: cst.BaseExpression) -> bool:
    """A literal collection, ``ALLOWED``, ``Status.values``, ``SORTS.keys()``..."""
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return all(isinstance(e.value, (cst.SimpleString, cst.Integer, cst.Name, cst.Attribute))
                   for e in expr.elements)
    if isinstance(expr, cst.Call):
        if last_name(expr.func) in ("keys", "values") and isinstance(expr.func, cst.Attribute):
            return is_constant(expr.func.value)
        return last_name(expr.func) in ("set", "frozenset", "tuple") and bool(expr.args) and \
            is_constant(expr.args[0].value)
    name = last_name(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    if not name:
        return False
    return (name.isupper() and len(name) > 1) or (
        isinstance(expr, cst.Attribute) and name in _CHOICE_ATTRS)


def is_lookup_name(name: str | None) -> bool:
    """A call that fetches rows: testing its result checks the database, not the input."""
    if not name:
        return False
    first = name.lower().lstrip("_").split("_")[0]
    return name in V.LOOKUP_METHODS or name in V.SQL_RUNNERS or first in V.LOOKUP_VERBS


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


def looks_like_sql(expr: cst.BaseExpression, flow: Flow, depth: int = 0) -> bool:
    """Some literal text the expression is built from reads as SQL (f-strings included)."""
    found = False

    class _Text(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            nonlocal found
            found = found or bool(V.SQL_TEXT.search(string_value(node) or ""))

        def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
            nonlocal found
            found = found or bool(V.SQL_TEXT.search(node.value))

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            found = found or last_name(node.func) in ("text", "SQL", "select")

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if depth < 3 and not found:
                found = any(looks_like_sql(v, flow, depth + 1)
                            for v in flow.values_of(node.value))

    cst.Module([cst.SimpleStatementLine([cst.Expr(expr)])]).visit(_Text())
    return found


def expressions_in(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Sub-expressions of a guard test, not looking inside database lookups."""
    out: list[cst.BaseExpression] = []

    class _Collect(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> bool:
            if chain_has(node.func, V.LOOKUP_METHODS - {"get"} | {"query", "objects"}):
                return False
            out.append(node)
            return True

        def visit_Name(self, node: cst.Name) -> None:
            out.append(node)

        def visit_Attribute(self, node: cst.Attribute) -> None:
            out.append(node)

        def visit_Subscript(self, node: cst.Subscript) -> None:
            out.append(node)

    cst.Module([cst.SimpleStatementLine([cst.Expr(test)])]).visit(_Collect())
    return out


def exits_with_error(node: cst.If | cst.While) -> bool:
    """The guard's branch (or its else) returns, raises, aborts or records an error."""
    blocks: list[cst.CSTNode] = [node.body]
    orelse = node.orelse
    if isinstance(orelse, cst.Else):
        blocks.append(orelse.body)
    found = False

    class _Exit(cst.CSTVisitor):
        def visit_Return(self, n: cst.Return) -> None:
            nonlocal found
            found = True

        def visit_Raise(self, n: cst.Raise) -> None:
            nonlocal found
            found = True

        def visit_Call(self, n: cst.Call) -> None:
            nonlocal found
            if last_name(n.func) in V.ERROR_CALLS:
                found = True

        def visit_Name(self, n: cst.Name) -> None:
            nonlocal found
            if "error" in n.value.lower():
                found = True

        def visit_If(self, n: cst.If) -> bool:
            return n is node  # an elif chain is another guard

    for block in blocks:
        walk(block, _Exit())
    return found


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
        if names & _BAD_INPUT_ERRORS and exits_with_error(
                cst.If(test=cst.Name("True"), body=handler.body)):
            return True
    return False


def calls_in(body: cst.CSTNode) -> list[cst.Call]:
    out: list[cst.Call] = []

    class _C(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            out.append(node)

    body.visit(_C())
    return out


def subscripts_in(body: cst.CSTNode) -> list[cst.Subscript]:
    out: list[cst.Subscript] = []

    class _S(cst.CSTVisitor):
        def visit_Subscript(self, node: cst.Subscript) -> None:
            out.append(node)

    body.visit(_S())
    return out


# Calls that return one row of the model class they are given or chained from.
_ROW_FETCHES = frozenset({"get", "first", "last", "one", "one_or_none", "get_or_404",
                          "first_or_404", "one_or_404", "get_object_or_404", "earliest",
                          "latest"})


def fetched_class(call: cst.Call) -> cst.BaseExpression | None:
    """``Order`` for ``Order.objects.get(...)``, ``Order.query.filter_by(...).first()``,
    ``get_object_or_404(Order, ...)`` or ``db.session.get(Order, pk)``."""
    if last_name(call.func) not in _ROW_FETCHES:
        return None
    first = call.args[0].value if call.args and call.args[0].keyword is None else None
    if isinstance(first, (cst.Name, cst.Attribute)) and is_capword(last_name(first)):
        return first
    node: cst.BaseExpression = call.func
    while isinstance(node, (cst.Attribute, cst.Call)):
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return node if isinstance(node, cst.Name) and is_capword(node.value) else None
