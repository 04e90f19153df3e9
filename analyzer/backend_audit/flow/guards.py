"""Which names a check has already vetted where a sink runs. Part of the shared taint.

Defines no rule. Two kinds of guard, chosen per question by ``specs.Guarding``:

``guarded_names`` (dominating guards, most sinks): a test that inspects a value the way
people vet input before using it in a path, a command or an expression: ``".." in
name``, ``SAFE.fullmatch(host)``, ``name not in ALLOWED``, ``full.startswith(base)`` on
a normalised path, ``p.resolve().is_relative_to(base)``, ``os.path.commonpath(...)``,
``is_safe_path(p)``. It protects a sink in the same function when it dominates it:
an ``if`` before the sink (in an enclosing block) whose branch leaves (``return``,
``raise``, ``abort()``, ``continue``), an ``assert``, a ``try`` around
``p.relative_to(base)`` whose handler leaves, or an ``if`` whose safe branch holds
the sink. Polarity is not checked: a test of this shape is how people vet values.
An identifier (``file_id``, ``pk``) that a lookup was made with before the sink names a
stored row: ``job = get_build_job(job_id)``, ``self.check_access(file_id)``, ``if not
is_shared(token, file_id): abort(403)``, ``row = db.fetchone(...)`` then ``if not row``.

``checked_names`` (checked anywhere: outbound URLs, LDAP and XPath): a value compared
with an allow-list (``urlparse(url).hostname in ALLOWED_HOSTS``), tested with
``startswith`` / ``endswith`` / an anchored regular expression / ``isalnum()``, or passed
to a function whose name says it validates (``validate_url(url)``, ``is_safe_url(url)``)
counts as checked in the whole function, as do the names it was derived from
(``parsed = urlparse(url)``). Flow-insensitive, like the SQL checks' allow-lists: a
check anywhere in the scope counts, which is what early-return guards
(``if host not in ALLOWED: abort(400)``) look like.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from backend_audit.appmodel.closed_types import is_allow_list
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import last_name, name_words, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import contains, descendants, walk
from backend_audit.flow.budget import Budget
from backend_audit.flow.locals import Flow

# ``".." in name``: the literals whose presence people test for before using a value, as
# a path (``..``) or a command line (``;``).
PATH_FRAGMENTS = ("..", "/", "\\", "\x00", "~")
SHELL_FRAGMENTS = (";", "|", "&", "$", "`", "\n")
BAD_FRAGMENTS = PATH_FRAGMENTS + SHELL_FRAGMENTS
# Methods that check a value's whole shape.
_SHAPE_METHODS = frozenset({"isalnum", "isdigit", "isdecimal", "isnumeric", "isidentifier",
                            "isalpha"})
_REGEX_METHODS = frozenset({"match", "fullmatch", "search"})
# Containment of a path in a base directory.
_CONTAINMENT = frozenset({"is_relative_to", "relative_to", "commonpath", "commonprefix"})
# Calls that normalise ``..`` away, which a ``startswith(base)`` test needs to mean much.
_NORMALISERS = frozenset({"realpath", "abspath", "normpath", "resolve", "canonicalize",
                          "absolute", "safe_join"})
# Helper names that promise a verdict on their argument (``is_safe_path(p)``).
_VERDICT = re.compile(r"safe|valid|sanitiz|sanitis|allowed|permitted|traversal|inside|within",
                      re.IGNORECASE)
_VERDICT_IN_TEST = re.compile(r"^_*(check|verify|ensure)_", re.IGNORECASE)
# Parsers that raise on anything but a well-formed value: ``try: ip_address(host)``.
_STRICT_PARSERS = frozenset({"ip_address", "ip_network", "ip_interface", "IPv4Address",
                             "IPv6Address", "UUID", "int", "float", "fromisoformat",
                             "strptime", "validate_email", "fullmatch"})
# Calls that look one row up by the values they are given (``if not row: abort(404)``).
_LOOKUPS = frozenset({"fetchone", "fetch_one", "fetchrow", "first", "one_or_none",
                      "scalar_one_or_none", "get_or_none", "find_one", "first_or_404"})
# A stored row looked up or checked by its identifier (``job = get_build_job(job_id)``,
# ``self.check_access(file_id)``, ``if not is_shared(token, file_id): abort(403)``):
# once the call has passed, the identifier names a row that exists (see ``_looked_up``).
_ROW_VERBS = frozenset({"get", "fetch", "load", "find", "retrieve", "lookup", "check",
                        "verify", "ensure", "require"})
_PREDICATE_VERBS = _ROW_VERBS | {"is", "has", "can", "exists"}
_ID_WORDS = frozenset({"id", "pk", "uuid", "guid"})
# A call (or a result) named so builds a place from the identifier, not a row.
_PLACE_WORDS = frozenset({"path", "paths", "dir", "directory", "folder", "filename", "name",
                          "url", "uri", "location"})
_STDLIB = frozenset(sys.stdlib_module_names)
# Calls that end the request when a guard's branch reaches them.
_EXITS = frozenset({"abort", "exit", "_exit", "abort_with", "forbidden", "deny"})


@dataclass(frozen=True)
class _Vet:
    flow: Flow
    imports: ImportMap
    fragments: tuple[str, ...]


def guarded_names(scope: cst.CSTNode, sink: cst.CSTNode, flow: Flow, imports: ImportMap,
                  fragments: tuple[str, ...] = BAD_FRAGMENTS) -> frozenset[str]:
    """Names that a guard in ``scope`` vets before ``sink`` runs. ``fragments``: the
    literals whose presence a test may look for to vet a value for this sink (``..``
    vets a path, not a command line)."""
    if not isinstance(scope, (cst.FunctionDef, cst.Module)) or not contains(scope, sink):
        return frozenset()
    vet = _Vet(flow, imports, fragments)
    found: set[str] = set()
    body = scope.body if isinstance(scope, cst.Module) else statements(scope.body)
    _scan_block(body, sink, vet, found)
    return frozenset(found)


def _scan_block(body: Sequence[cst.CSTNode], sink: cst.CSTNode, vet: _Vet,
                found: set[str]) -> None:
    for stmt in body:
        if not contains(stmt, sink):
            found.update(_preceding_guard(stmt, vet))
            continue
        _enter(stmt, sink, vet, found)
        return


def _enter(stmt: cst.CSTNode, sink: cst.CSTNode, vet: _Vet,
           found: set[str]) -> None:
    """Descend into the statement that holds the sink."""
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return
    if isinstance(stmt, cst.If):
        names = _test_names(stmt.test, vet)
        if contains(stmt.body, sink):
            if not _looks_for_bad(stmt.test, vet):
                found.update(names)
            found.update(_equal_names(stmt.test, vet, equal=True))
            _scan_block(statements(stmt.body), sink, vet, found)
        elif stmt.orelse is not None and contains(stmt.orelse, sink):
            if _leaves(stmt.body):
                found.update(names)
            found.update(_equal_names(stmt.test, vet, equal=False))
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                _enter(orelse, sink, vet, found)
            else:
                _scan_block(statements(orelse.body), sink, vet, found)
        return
    for suite in blocks(stmt):
        if contains(suite, sink):
            _scan_block(statements(suite), sink, vet, found)
            return


def blocks(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The blocks a compound statement holds: its bodies, branches and handlers (an
    ``elif`` is its own ``If``, a block of one statement). Nested functions and classes
    hold none: they are other scopes."""
    if isinstance(stmt, cst.If):
        yield stmt.body
        if stmt.orelse is not None:
            yield stmt.orelse if isinstance(stmt.orelse, cst.If) else stmt.orelse.body
    elif isinstance(stmt, (cst.For, cst.While, cst.With)):
        yield stmt.body
        orelse = getattr(stmt, "orelse", None)
        if orelse is not None:
            yield orelse.body
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        yield stmt.body
        for handler in stmt.handlers:
            yield handler.body
        if stmt.orelse is not None:
            yield stmt.orelse.body
        if stmt.finalbody is not None:
            yield stmt.finalbody.body
    elif isinstance(stmt, cst.Match):
        for case in stmt.cases:
            yield case.body


def statements(block: cst.CSTNode) -> Sequence[cst.CSTNode]:
    """The statements of a block (see ``blocks``)."""
    if isinstance(block, cst.If):
        return (block,)
    if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)):
        return block.body
    return ()


def _preceding_guard(stmt: cst.CSTNode, vet: _Vet) -> set[str]:
    """Names vetted by a statement that runs (and completes) before the sink's."""
    names: set[str] = set()
    if isinstance(stmt, cst.If):
        branch: cst.If | cst.Else | None = stmt
        while isinstance(branch, cst.If):
            if _leaves(branch.body):
                names.update(_test_names(branch.test, vet))
                names.update(_equal_names(branch.test, vet, equal=False))
            branch = branch.orelse
        if isinstance(branch, cst.Else) and _leaves(branch.body):
            names.update(_test_names(stmt.test, vet))
            names.update(_equal_names(stmt.test, vet, equal=True))
        names.update(_guards_on_the_way_through(stmt, vet))
    elif isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assert):
                names.update(_test_names(small.test, vet))
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and \
                    _VERDICT.search(last_name(small.value.func) or ""):
                # ``validate_filename(name)`` raising on a bad value.
                names.update(_arg_names(small.value, vet))
            else:
                names.update(_row_fetched(small, vet))
    elif isinstance(stmt, (cst.Try, cst.TryStar)) and \
            any(_leaves(h.body) for h in stmt.handlers):
        for call in descendants(stmt.body, cst.Call):
            name = last_name(call.func) or ""
            if name in _CONTAINMENT or name in _STRICT_PARSERS or _VERDICT.search(name):
                names.update(_names_in(call, vet))
    return names


def _guards_on_the_way_through(stmt: cst.If, vet: _Vet) -> set[str]:
    """``if "." in name: ext = ...; if ext not in ALLOWED: continue`` with an ``else``
    that leaves: when every branch but one leaves, the code after the ``if`` runs only
    once that branch has run to its end, so the guards inside it count too. Without an
    ``else`` the test may be false and nothing in the branch ran."""
    through: list[cst.BaseSuite] = []
    branch: cst.If | cst.Else | None = stmt
    while isinstance(branch, cst.If):
        if not _leaves(branch.body):
            through.append(branch.body)
        branch = branch.orelse
    if branch is None:
        return set()
    if not _leaves(branch.body):
        through.append(branch.body)
    if len(through) != 1:
        return set()
    names: set[str] = set()
    for inner in statements(through[0]):
        names.update(_preceding_guard(inner, vet))
    return names


def _leaves(suite: cst.BaseSuite) -> bool:
    """The branch ends the request or the loop iteration."""
    for stmt in statements(suite):
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            if isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and \
                    last_name(small.value.func) in _EXITS:
                return True
    return False


def _looks_for_bad(test: cst.BaseExpression, vet: _Vet) -> bool:
    """``if ".." in name:`` - the body is the rejected case, not the vetted one."""
    return isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
        isinstance(test.comparisons[0].operator, cst.In) and _bad_fragment(test.left, vet)


def _bad_fragment(expr: cst.BaseExpression, vet: _Vet) -> bool:
    value = string_value(expr)
    return value is not None and any(f in value for f in vet.fragments)


def _test_names(test: cst.BaseExpression, vet: _Vet) -> set[str]:
    """Names a test vets (empty when the test is no guard: ``if not name``)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _test_names(test.expression, vet)
    if isinstance(test, cst.BooleanOperation):
        return _test_names(test.left, vet) | _test_names(test.right, vet)
    if isinstance(test, cst.Comparison):
        return _comparison_names(test, vet)
    if isinstance(test, cst.Call):
        return _call_names(test, vet)
    if isinstance(test, cst.Name):
        return _looked_up(test, vet) | _flag_of(test, vet)
    return set()


def _flag_of(name: cst.Name, vet: _Vet) -> set[str]:
    """``allowed = any(fmt == o["format"] for o in options)`` then ``if not allowed:``:
    the names the one test held by the flag vets."""
    values = vet.flow.values_of(name.value)
    if len(values) != 1 or not isinstance(values[0], cst.Call) or \
            last_name(values[0].func) not in ("any", "all"):
        return set()
    return _call_names(values[0], vet)


def _server_collection(expr: cst.BaseExpression, vet: _Vet) -> bool:
    """Values the server chose to compare a client value with: no request read, here or
    in what a local name was given."""
    if not _server_value(expr, vet):
        return False
    values = vet.flow.values_of(expr.value) if isinstance(expr, cst.Name) else [expr]
    return not any(request_input(node, vet.imports) is not None for value in values
                   for node in descendants(value, cst.Attribute, cst.Call, cst.Subscript))


def _matched_in_loop(gen: cst.GeneratorExp, vet: _Vet) -> set[str]:
    """``any(fmt == o["format"] and n == o["n"] for o in options)`` over values the
    server holds: a true test shows each name compared with a loop item equal to one."""
    loop = {n.value for n in descendants(gen.for_in.target, cst.Name)}
    tests: list[cst.BaseExpression] = [gen.elt]
    names: set[str] = set()
    while tests:
        test = tests.pop()
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            tests.extend((test.left, test.right))
            continue
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and
                isinstance(test.comparisons[0].operator, cst.Equal)):
            continue
        sides = (test.left, test.comparisons[0].comparator)
        for side, other in (sides, sides[::-1]):
            if any(n.value in loop for n in descendants(other, cst.Name)) and \
                    not any(n.value in loop for n in descendants(side, cst.Name)):
                names.update(_names_in(side, vet))
    return names


def _equal_names(test: cst.BaseExpression, vet: _Vet, equal: bool) -> set[str]:
    """Names a test shows to hold a value the server chose, on the side where the test
    is ``equal``: ``x == y`` true, or ``x != y`` false (``if token != settings.TOKEN:
    raise Http404``). The other side must be no empty value, no request read and no
    parameter of the function (an equal client value proves nothing)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _equal_names(test.expression, vet, not equal)
    if isinstance(test, cst.BooleanOperation):
        # ``a == "x" or a == "y"`` true (or ``a != "x" and a != "y"`` false): a holds
        # one of them; ``a == x and b == y`` true: both hold.
        left = _equal_names(test.left, vet, equal)
        right = _equal_names(test.right, vet, equal)
        return left & right if isinstance(test.operator, cst.Or) == equal else left | right
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return set()
    operator = test.comparisons[0].operator
    if not isinstance(operator, cst.Equal if equal else cst.NotEqual):
        return set()
    left, right = test.left, test.comparisons[0].comparator
    names: set[str] = set()
    for side, other in ((left, right), (right, left)):
        if _server_value(other, vet):
            names.update(_names_in(side, vet))
    return names


def _server_value(expr: cst.BaseExpression, vet: _Vet) -> bool:
    value = string_value(expr)
    if value is not None:
        return value != ""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.Name) and (expr.value in ("None", "True", "False") or
                                       expr.value in vet.flow.params):
        return False
    if request_input(expr, vet.imports) is not None:
        return False
    return isinstance(expr, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))


def _looked_up(name: cst.Name, vet: _Vet) -> set[str]:
    """``row = db.fetchone(SQL, {"id": ext_id})`` then ``if not row: raise``: the
    values the lookup was made with name a row that exists (an allow-list kept in the
    database). Only the lookup's arguments count, never its receiver."""
    values = vet.flow.values_of(name.value)
    if len(values) != 1:
        return set()
    value = values[0].expression if isinstance(values[0], cst.Await) else values[0]
    if not isinstance(value, cst.Call) or last_name(value.func) not in _LOOKUPS:
        return set()
    return _arg_names(value, vet)


def _row_fetched(small: cst.BaseSmallStatement, vet: _Vet) -> set[str]:
    """``job = get_build_job(job_id)`` / ``self.check_access(file_id)`` run as a statement:
    a lookup that fails when no row matches (service getters raise on a miss, like
    ``get_object_or_404``) vets the identifiers it was given."""
    if isinstance(small, cst.Expr):
        value = small.value
    elif isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) \
            else [small.target]
        if any(_PLACE_WORDS & set(name_words(n.value)) for t in targets
               for n in descendants(t, cst.Name)):
            return set()  # ``file_path = get_storage_path(file_id)``: a place, not a row
        value = small.value
    else:
        return set()
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call):
        return set()
    words = name_words(last_name(value.func) or "")
    if len(words) < 2 or not (words[0] in _ROW_VERBS or {"exist", "exists"} & set(words)):
        return set()
    return _identifiers_given(value, vet)


def _identifiers_given(call: cst.Call, vet: _Vet) -> set[str]:
    """The identifier-named local names (``file_id``, ``pk``) a project function that
    looks rows up is given; none when its name says it builds a place from them
    (``get_file_path(file_id)``) or when the standard library is called."""
    words = set(name_words(last_name(call.func) or ""))
    qual = vet.imports.qualname(call.func) or ""
    if words & _PLACE_WORDS or qual.split(".")[0] in _STDLIB or \
            request_input(call, vet.imports) is not None:
        return set()
    out: set[str] = set()
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Name) and not arg.star and _identifier_named(value.value) \
                and (value.value in vet.flow.values or value.value in vet.flow.params):
            out.add(value.value)
    return out


def _identifier_named(name: str) -> bool:
    words = name_words(name)
    return bool(words) and words[-1] in _ID_WORDS


def _comparison_names(test: cst.Comparison, vet: _Vet) -> set[str]:
    names: set[str] = set()
    left = test.left
    if len(test.comparisons) == 1 and isinstance(left, cst.Name) and \
            isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot)) and \
            isinstance(test.comparisons[0].comparator, cst.Name) and \
            test.comparisons[0].comparator.value == "None":
        return _looked_up(left, vet)  # ``if row is None: raise``
    for comp in test.comparisons:
        right = comp.comparator
        if isinstance(comp.operator, (cst.In, cst.NotIn)):
            if _bad_fragment(left, vet):
                names.update(_names_in(right, vet))  # ".." in name
            elif string_value(right) is None and not isinstance(right, cst.FormattedString):
                names.update(_names_in(left, vet))  # name not in ALLOWED
        elif any(last_name(c.func) in _CONTAINMENT
                 for side in (left, right) for c in descendants(side, cst.Call)):
            names.update(_names_in(left, vet) | _names_in(right, vet))
        else:
            for side in (left, right):
                if isinstance(side, cst.Call):
                    names.update(_call_names(side, vet))
        left = right
    return names


def _call_names(call: cst.Call, vet: _Vet) -> set[str]:
    name = last_name(call.func) or ""
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    if name in _SHAPE_METHODS and receiver is not None:
        return _names_in(receiver, vet)
    if name in _REGEX_METHODS and call.args:
        # ``re.fullmatch(PATTERN, value)`` / ``PATTERN.fullmatch(value)``
        qual = vet.imports.qualname(call.func) or ""
        args = call.args[1:] if qual.startswith(("re.", "regex.")) else call.args
        return {n for a in args for n in _names_in(a.value, vet)}
    if name in _CONTAINMENT:
        return _names_in(call, vet)
    if name == "startswith" and receiver is not None and _normalised(receiver, vet.flow):
        return _names_in(receiver, vet)
    if name in ("any", "all") and call.args and isinstance(call.args[0].value, cst.GeneratorExp):
        gen = call.args[0].value
        if isinstance(gen.elt, cst.Comparison) and isinstance(
                gen.elt.comparisons[0].operator, (cst.In, cst.NotIn)):
            return _names_in(gen.elt, vet) | _names_in(gen.for_in.iter, vet)
        if name == "any" and _server_collection(gen.for_in.iter, vet):
            return _matched_in_loop(gen, vet)
    if _VERDICT.search(name) or _VERDICT_IN_TEST.search(name) or \
            (vet.imports.qualname(call.func) or "").startswith("validators."):
        return _arg_names(call, vet)
    words = name_words(name)
    if len(words) >= 2 and words[0] in _PREDICATE_VERBS:
        # ``if not is_in_shared_playlist(token, file_id): abort(403)``: a row named by
        # the identifier was found
        return _identifiers_given(call, vet)
    return set()


def _normalised(expr: cst.BaseExpression, flow: Flow) -> bool:
    """``realpath(p)``, ``p.resolve()``, ``str(p.resolve())`` or a name holding one."""
    budget, seen = Budget(), set()
    todo = [expr]
    while todo and not budget.exhausted:
        budget = budget.deeper()
        expr = todo.pop()
        for call in descendants(expr, cst.Call):
            if last_name(call.func) in _NORMALISERS:
                return True
        for name in descendants(expr, cst.Name):
            if name.value not in seen:
                seen.add(name.value)
                todo.extend(flow.values_of(name.value))
    return False

def _arg_names(call: cst.Call, vet: _Vet) -> set[str]:
    return {n for a in call.args for n in _names_in(a.value, vet)}


def _names_in(expr: cst.CSTNode, vet: _Vet) -> set[str]:
    """Local names (variables and parameters) an expression reads."""
    skip = {id(c.func) for c in descendants(expr, cst.Call)}
    skip.update(id(a.attr) for a in descendants(expr, cst.Attribute))
    skip.update(id(a.keyword) for a in descendants(expr, cst.Arg) if a.keyword is not None)
    out = set()
    for name in descendants(expr, cst.Name):
        if id(name) in skip or name.value in vet.imports.names:
            continue
        if name.value in vet.flow.values or name.value in vet.flow.params:
            out.add(name.value)
    return out


# ---------------------------------------------------------------- checked anywhere
# Words in a callee's name that say it checks its argument.
_VALIDATOR_WORDS = frozenset({
    "valid", "validate", "validated", "validator", "safe", "allowed", "allow", "allowlist",
    "allowlisted", "whitelist", "whitelisted", "trusted", "verify", "sanitize", "sanitise",
    "sanitized", "sanitised", "ssrf", "permitted", "check",
})
_NOT_VALIDATORS = frozenset({"check_output", "check_call", "safe_join", "mark_safe",
                             "safe_substitute", "safe_load", "safe_dump"})
# A ``startswith`` on these alone pins only the scheme, not the host.
_SCHEME_ONLY = re.compile(r"(?i)^[a-z][a-z0-9+.-]*(:(//)?)?$")
# Attributes of a parsed URL that do not say where the request goes.
_NOT_HOST_ATTRS = frozenset({"scheme", "path", "query", "fragment", "params", "port"})
_IS_METHODS = frozenset({"isalnum", "isdigit", "isdecimal", "isnumeric", "isidentifier",
                         "isalpha"})
# ``if ip.is_private: abort(403)`` on the address a host name resolves to.
_ADDRESS_TESTS = frozenset({"is_private", "is_loopback", "is_global", "is_reserved",
                            "is_link_local", "is_multicast", "is_unspecified"})
# Methods that read one field of a container.
_FIELD_READS = frozenset({"get", "getlist", "pop", "setdefault", "getone", "get_all"})
_MAX_CLOSURE = 50


def is_validator_call(call: cst.Call) -> bool:
    name = last_name(call.func)
    if not name or name in _NOT_VALIDATORS:
        return False
    words = set(name_words(name))
    if "check" in words and not name.lower().startswith("check"):
        words.discard("check")
    return bool(words & _VALIDATOR_WORDS)


def _is_empty_or_none(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
        return True
    return string_value(expr) == ""


def _scheme_only(args: list[cst.Arg]) -> bool:
    """``startswith("https://")`` or ``startswith(("http://", "https://"))``."""
    values: list[str] = []
    for arg in args[:1]:
        v = arg.value
        items = [e.value for e in v.elements] if isinstance(v, (cst.Tuple, cst.List)) else [v]
        for item in items:
            text = string_value(item)
            if text is None:
                return False
            values.append(text)
    return bool(values) and all(_SCHEME_ONLY.match(t) for t in values)


def _subjects(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The expressions a test checks against something fixed."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _subjects(test.expression)
    if isinstance(test, cst.BooleanOperation):
        return _subjects(test.left) + _subjects(test.right)
    out: list[cst.BaseExpression] = []
    if isinstance(test, cst.Attribute) and test.attr.value in _ADDRESS_TESTS:
        return [test.value]
    if isinstance(test, cst.Comparison):
        left = test.left
        for comp in test.comparisons:
            op = comp.operator
            if isinstance(op, (cst.In, cst.NotIn)) and is_allow_list(comp.comparator):
                out.append(left)
            elif isinstance(op, (cst.Equal, cst.NotEqual)) and \
                    not _is_empty_or_none(comp.comparator) and not _is_empty_or_none(left):
                out.extend((left, comp.comparator))
            left = comp.comparator
        return [s for s in out if not (isinstance(s, cst.Attribute) and
                                       s.attr.value in _NOT_HOST_ATTRS)]
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute):
        method = test.func.attr.value
        if method in ("startswith", "endswith") and not _scheme_only(list(test.args)):
            out.append(test.func.value)
        elif method in ("fullmatch", "match"):
            receiver = test.func.value
            args = [a.value for a in test.args if a.keyword is None]
            if isinstance(receiver, cst.Name) and receiver.value == "re":
                out.extend(args[1:2])
            else:
                out.extend(args[:1])
        elif method in _IS_METHODS:
            out.append(test.func.value)
    return out


def _root_names(expr: cst.BaseExpression, budget: Budget | None = None) -> set[str]:
    """Names a checked expression speaks for: ``url`` in ``urlparse(url).hostname``,
    ``host`` in ``host.lower()``; not ``data`` in ``data["kind"]`` (one field of it)."""
    budget = budget or Budget()
    if budget.exhausted:
        return set()
    budget = budget.deeper()
    if isinstance(expr, cst.Name):
        return {expr.value}
    if isinstance(expr, cst.Attribute):
        return _root_names(expr.value, budget)
    if isinstance(expr, cst.Await):
        return _root_names(expr.expression, budget)
    if isinstance(expr, cst.BooleanOperation):  # ``urlparse(url).hostname or ""``
        return _root_names(expr.left, budget) | _root_names(expr.right, budget)
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _FIELD_READS:
            return set()  # ``data.get("kind")``: one field says nothing of the others
        found: set[str] = set()
        if isinstance(expr.func, cst.Attribute):
            found |= _root_names(expr.func.value, budget)
        for arg in expr.args:
            found |= _root_names(arg.value, budget)
        return found
    return set()


def checked_names(scope: cst.CSTNode, flow: Flow) -> frozenset[str]:
    """Names ``scope`` checks anywhere (``Guarding.ANYWHERE``: an allow-list, a
    ``startswith`` that pins a host, an anchored regular expression, ``isalnum()``, a
    call whose name says it validates), closed over derivations: checking
    ``urlparse(url).hostname`` checks ``url``."""
    subjects: list[cst.BaseExpression] = []

    class _Tests(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is scope

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return node is scope

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_If(self, node: cst.If) -> None:
            subjects.extend(_subjects(node.test))

        def visit_While(self, node: cst.While) -> None:
            subjects.extend(_subjects(node.test))

        def visit_Assert(self, node: cst.Assert) -> None:
            subjects.extend(_subjects(node.test))

        def visit_IfExp(self, node: cst.IfExp) -> None:
            subjects.extend(_subjects(node.test))

        def visit_CompIf(self, node: cst.CompIf) -> None:
            subjects.extend(_subjects(node.test))

        def visit_Call(self, node: cst.Call) -> None:
            if is_validator_call(node):
                subjects.extend(a.value for a in node.args)

    walk(scope, _Tests())
    names: set[str] = set()
    for subject in subjects:
        names |= _root_names(subject)
    # ``parsed = urlparse(url)`` / ``host = parsed.hostname``: checking the derived value
    # checks what it came from.
    todo = list(names)
    while todo and len(names) < _MAX_CLOSURE:
        name = todo.pop()
        for value in flow.values_of(name):
            if isinstance(value, (cst.Call, cst.Attribute, cst.Await, cst.BooleanOperation)):
                for root in _root_names(value) - names:
                    names.add(root)
                    todo.append(root)
    return frozenset(names)
