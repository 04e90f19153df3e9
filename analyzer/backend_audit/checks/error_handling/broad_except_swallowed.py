"""BA402: ``except:`` / ``except Exception:`` whose body throws the error away."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.after_try import tested_after, tries_ending
from backend_audit.appmodel.best_effort import (
    assigned_names,
    calls_something,
    counts_only,
    defaults_one_field,
    deletes_only,
    is_log_statement,
    logs_only,
    releases_only,
)
from backend_audit.appmodel.error_handling import is_broad, is_test_path
from backend_audit.appmodel.function_results import (
    answers_none,
    answers_yes_or_no,
    can_complete,
    declares_none,
    is_none_return,
    is_teardown,
)
from backend_audit.appmodel.guarded_operations import (
    operates_on_resources,
    operation_text,
    touches_data,
    writes_or_calls_out,
)
from backend_audit.appmodel.migration_code import is_migration
from backend_audit.engines.walk import descendants, own_returns, walk
from backend_audit.visitor import Check

# Calls that only build an empty default value, not handling of any kind.
DEFAULT_BUILDERS = frozenset({"dict", "list", "set", "tuple", "frozenset", "str", "int",
                              "float", "bool"})


def _is_default_value(expr: cst.BaseExpression) -> bool:
    """None, literals, names, attribute chains and containers of those."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float,
                         cst.Name, cst.Ellipsis)):
        return True
    if isinstance(expr, cst.Attribute):
        return _is_default_value(expr.value)
    if isinstance(expr, cst.UnaryOperation):
        return _is_default_value(expr.expression)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(_is_default_value(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _is_default_value(e.key) and
                   _is_default_value(e.value) for e in expr.elements)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        return expr.func.value in DEFAULT_BUILDERS and not expr.args
    return False


# Clean-up calls undo side effects but neither record nor report the error.
CLEANUP_CALLS = frozenset({"rollback", "close", "release", "cancel", "unlink", "remove",
                           "discard", "expunge", "expunge_all", "reset", "clear",
                           "terminate", "kill", "shutdown", "disconnect"})


def _is_cleanup_call(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Await):
        expr = expr.expression
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
        expr.func.attr.value in CLEANUP_CALLS


RESPONSE_WRAPPERS = frozenset({"jsonify", "JSONResponse", "JsonResponse", "Response",
                               "ORJSONResponse", "json_response", "make_response"})
ERROR_KEYS = frozenset({"error", "errors", "detail", "message"})
# Keys that report an outcome: they signal the failure only when their value says so
# (``{"ok": False}``, ``{"status": "error"}``); ``{"status": "unknown"}`` looks normal.
OUTCOME_KEYS = frozenset({"ok", "success", "status", "state", "result"})
FAILURE_WORDS = ("error", "fail", "unavailable", "degraded", "down", "invalid", "denied",
                 "rejected", "timeout", "timed out")


def _reports_failure(value: cst.BaseExpression) -> bool:
    """Does the value of an outcome key tell the caller that something went wrong?"""
    if isinstance(value, cst.Name):
        return value.value != "True"
    if isinstance(value, cst.SimpleString):
        text = str(value.evaluated_value).lower()
        return any(word in text for word in FAILURE_WORDS)
    number = _int(value)
    return number is None or number >= 400


def _int(expr: cst.BaseExpression) -> int | None:
    if isinstance(expr, cst.Integer):
        try:
            return int(expr.value)
        except ValueError:
            return None
    # ``status.HTTP_500_INTERNAL_SERVER_ERROR``, ``HTTPStatus.BAD_GATEWAY``
    name = expr.attr.value if isinstance(expr, cst.Attribute) else ""
    digits = "".join(ch for ch in name.split("_")[1] if ch.isdigit()) if "_" in name else ""
    return int(digits) if digits else None


def _signals_error(expr: cst.BaseExpression) -> bool:
    """An error response or result (a 4xx/5xx status, an ``error`` key): the failure is
    reported to the caller, not hidden behind a normal-looking value."""
    if isinstance(expr, cst.Tuple):
        return any(_signals_error(e.value) or (_int(e.value) or 0) >= 400
                   for e in expr.elements)
    if isinstance(expr, cst.Dict):
        for el in expr.elements:
            if not (isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString)):
                continue
            key = el.key.evaluated_value
            if key in ERROR_KEYS or (key in OUTCOME_KEYS and _reports_failure(el.value)):
                return True
            if isinstance(el.value, cst.Name) and el.value.value == "False":
                return True  # ``{"sent": False}``: the caller is told it did not happen
        return False
    if isinstance(expr, cst.Call):
        for arg in expr.args:
            if arg.keyword is not None and arg.keyword.value in ("status", "status_code") and \
                    (_int(arg.value) or 0) >= 400:
                return True
            if arg.keyword is not None and (arg.keyword.value in ERROR_KEYS or (
                    arg.keyword.value in OUTCOME_KEYS - {"status"} and
                    _reports_failure(arg.value))):
                return True
            if _signals_error(arg.value):
                return True
    return False


def _is_default_response(expr: cst.BaseExpression) -> bool:
    """``jsonify([])`` / ``JSONResponse({"items": []})``: a normal response built from
    default values."""
    if isinstance(expr, cst.Tuple):
        return bool(expr.elements) and _is_default_response(expr.elements[0].value) and \
            all(_is_default_value(e.value) for e in expr.elements[1:])
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.attr.value if isinstance(func, cst.Attribute) else \
        func.value if isinstance(func, cst.Name) else ""
    return name in RESPONSE_WRAPPERS and all(_is_default_value(a.value) for a in expr.args)


def _swallow_kind(body: cst.BaseSuite) -> str | None:
    """"silent" (pass/continue/..., clean-up calls such as ``session.rollback()``),
    "default" (return or assign a default), or None when the body does anything else
    (logs, re-raises, other calls, branches)."""
    if not isinstance(body, cst.IndentedBlock):
        statements = [body]
    else:
        statements = list(body.body)
    kind = "silent"
    for stmt in statements:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        for small in stmt.body:
            if isinstance(small, (cst.Pass, cst.Continue, cst.Break)):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                    small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)):
                continue
            if isinstance(small, cst.Expr) and _is_cleanup_call(small.value):
                continue
            if isinstance(small, cst.Return):
                if small.value is not None and (_signals_error(small.value) or not (
                        _is_default_value(small.value) or
                        _is_default_response(small.value))):
                    return None
                if small.value is not None and not (
                        isinstance(small.value, cst.Name) and small.value.value == "None"):
                    kind = "default"
                continue
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and \
                    _is_default_value(small.value):
                kind = "default"
                continue
            return None
    return kind


def _answers_blindly(body: cst.BaseSuite) -> bool:
    """A fixed answer and nothing else: simple statements that return a value (a canned
    response, an error text) or assign defaults, with no raise and no call outside the
    returned value, so nothing records what went wrong."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    answered = False
    for stmt in statements:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Return):
                answered = True
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                if small.value is None or not _is_default_value(small.value):
                    return False
            elif not isinstance(small, cst.Pass):
                return False
    return answered


def _returns_exception(handler: cst.ExceptHandler) -> bool:
    """``except Exception as e: return e``: the error object handed back as a result."""
    body = handler.body
    if handler.name is None or not isinstance(handler.name.name, cst.Name) or \
            not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return False
    stmt = body.body[0]
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    ret = stmt.body[0]
    return isinstance(ret, cst.Return) and isinstance(ret.value, cst.Name) and \
        ret.value.value == handler.name.name.value


def _status_results(function: cst.FunctionDef, handler: cst.ExceptHandler) -> bool:
    """Does the function otherwise return only flags (``return True``)? Then an exception
    object in their place is a result-or-error protocol its callers test with
    isinstance()."""
    own = set(map(id, own_returns(handler.body)))
    returns = [r for r in own_returns(function.body) if r.value is not None and id(r) not in own]
    return bool(returns) and all(isinstance(r.value, cst.Name) and
                                 r.value.value in ("True", "False", "None") for r in returns)


def _only_imports(body: cst.BaseSuite) -> bool:
    """An optional-dependency probe: ``try: import ujson`` needs no logging."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    return all(isinstance(s, cst.SimpleStatementLine) and
               all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
               for s in statements)


# Django system checks (``@register`` from django.core.checks) are diagnostics: a check
# that cannot run has nothing to report, and must not crash ``manage.py`` start-up.
_SYSTEM_CHECK = "django.core.checks.register"


# Functions whose job is to answer "does it work / what is it" (``is_valid_pubkey``,
# ``try_get_user``, ``parse_date``, ``_detect_platform``): failure is an answer.
_PROBE_NAME = re.compile(r"_*(is|has|can|should|try|parse|safe|detect|guess|probe|"
                         r"looks_like|maybe)(_|$)|_*\w+_or_(none|default)$")


# Directives for tools (linters, type checkers, test annotations) explain nothing.
_DIRECTIVE = re.compile(r"#\s*(noqa|type:|pragma|nosec|pylint:|backend-audit:|expect:|ok:|"
                        r"todo-expect:|todo-ok:|fmt:|ruff:)", re.IGNORECASE)


def _explains(comment: cst.Comment | None) -> bool:
    return comment is not None and not _DIRECTIVE.match(comment.value)


def _documented(handler: cst.ExceptHandler) -> bool:
    """A comment on the ``except`` line or inside its body that explains the fallback."""
    body = handler.body
    if not isinstance(body, cst.IndentedBlock):
        return False
    if _explains(body.header.comment):
        return True
    for stmt in body.body:
        if any(_explains(line.comment) for line in stmt.leading_lines):
            return True
        trailing = getattr(stmt, "trailing_whitespace", None)
        if trailing is not None and _explains(trailing.comment):
            return True
    return False


class _NameUse(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.used = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.used = True


def _reraises(handler: cst.ExceptHandler) -> bool:
    """The handler ends by raising (the error it caught, or another)."""
    body = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    return isinstance(last, cst.SimpleStatementLine) and \
        any(isinstance(s, cst.Raise) for s in last.body)


def _reports_right_after(body: cst.BaseSuite, after: cst.BaseStatement | None) -> bool:
    """``detail = parse(resp.body)`` then ``raise HTTPException(detail=detail)``: the try
    only works out the wording of a failure that the next statement raises or logs."""
    if not isinstance(after, cst.SimpleStatementLine) or not after.body:
        return False
    first = after.body[0]
    if not (isinstance(first, cst.Raise) or is_log_statement(first)):
        return False
    return bool(assigned_names(body) & {n.value for n in descendants(after, cst.Name)})


def _falls_to_none(after: cst.BaseStatement | None) -> bool:
    """The statement after the try is ``return None`` (or a bare ``return``)."""
    return isinstance(after, cst.SimpleStatementLine) and len(after.body) == 1 and \
        isinstance(after.body[0], cst.Return) and is_none_return(after.body[0])


def _clears_flag(handler: cst.ExceptHandler, body: cst.BaseSuite, module: cst.Module) -> bool:
    """``self._fts_available = result is not None`` in the try, ``= False`` in the
    handler: the failure is recorded in the flag that picks the fallback path."""
    cleared: set[str] = set()
    statements = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else \
        [handler.body]
    for stmt in statements:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            if not (isinstance(small, cst.Assign) and isinstance(small.value, cst.Name) and
                    small.value.value == "False"):
                return False
            cleared.update(module.code_for_node(t.target) for t in small.targets)
    tried = {module.code_for_node(t.target) for t in descendants(body, cst.AssignTarget)}
    return bool(cleared) and cleared <= tried


# Lookups that answer None when nothing is found: the try's own "nothing".
_NONE_LOOKUPS = frozenset({"first", "last", "one_or_none", "scalar_one_or_none", "scalar",
                           "fetchone", "find_one"})


def _may_be_none(value: cst.BaseExpression) -> bool:
    """``row[0] if row else None``, ``Model.objects.filter(...).first()``."""
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.IfExp):
        return any(isinstance(v, cst.Name) and v.value == "None"
                   for v in (value.body, value.orelse))
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
        value.func.attr.value in _NONE_LOOKUPS


def _assigns_found_nothing(body: cst.BaseSuite, handler: cst.ExceptHandler,
                           module: cst.Module) -> bool:
    """``x = query.first()`` or ``x = row[0] if row else None`` in the try, ``x = None``
    in the handler: None is already what the try leaves when it finds nothing, and the
    code after it deals with that answer."""
    if not answers_none(handler.body) or own_returns(handler.body):
        return False
    cleared = {module.code_for_node(t.target) for a in descendants(handler.body, cst.Assign)
               for t in a.targets}
    found = {module.code_for_node(t.target) for a in descendants(body, cst.Assign)
             if _may_be_none(a.value) for t in a.targets}
    return bool(cleared) and cleared <= found


# Lookups in a parsed document tree (XML, HTML) that answer None for a missing element:
# ``recipe.find("head").find("category").text``.
_TREE_LOOKUPS = frozenset({"find", "findtext", "select_one"})
_ELEMENT_NAME = re.compile(r"[A-Za-z_][\w:.-]*")


def _reads_optional_element(body: cst.BaseSuite) -> bool:
    for call in descendants(body, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _TREE_LOOKUPS \
                and len(call.args) == 1 and call.args[0].keyword is None and \
                isinstance(call.args[0].value, cst.SimpleString) and \
                _ELEMENT_NAME.fullmatch(str(call.args[0].value.evaluated_value)):
            return True
    return False


def _presence_test(test: cst.BaseExpression) -> bool:
    """``"categories" in data`` (alone or joined by ``and``): the code treats the part
    as optional."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _presence_test(test.left) or _presence_test(test.right)
    return isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
        isinstance(test.comparisons[0].operator, cst.In) and \
        isinstance(test.left, cst.SimpleString)


class BroadExceptSwallowed(Check):
    rule_id = "BA402"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._handlers: list[cst.ExceptHandler] = []
        self._after: dict[int, cst.BaseStatement] = {}  # a try -> the statement after it
        self._finally_depth = 0
        self._pruning: set[int] = set()  # tries that are a for loop's whole body
        self._optional: set[int] = set()  # tries under ``if "key" in data:``

    def visit_Finally(self, node: cst.Finally) -> None:
        self._finally_depth += 1

    def leave_Finally(self, original_node: cst.Finally) -> None:
        self._finally_depth -= 1

    def visit_For(self, node: cst.For) -> None:
        body = node.body
        if isinstance(body, cst.IndentedBlock) and len(body.body) == 1 and \
                isinstance(body.body[0], cst.Try):
            self._pruning.add(id(body.body[0]))

    def visit_If(self, node: cst.If) -> None:
        if _presence_test(node.test):
            self._optional.update(map(id, descendants(node.body, cst.Try)))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        for stmt, following in zip(node.body, node.body[1:], strict=False):
            for ending in tries_ending(stmt):
                self._after[id(ending)] = following

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append(node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_Try(self, node: cst.Try) -> None:
        if is_test_path(self.ctx.path) or _only_imports(node.body):
            return
        if not self.ctx.function_stack:
            return  # import-time probe (``VERSION = "unknown"``): never a request's error
        code: str | None = None  # the try's text, read once, only for a handler that swallows
        operates = False
        for handler in node.handlers:
            if not is_broad(handler):
                continue
            if _returns_exception(handler):
                self._report_returned(handler)
                continue
            bare = handler.type is None
            kind = _swallow_kind(handler.body)
            if kind is None and bare and _answers_blindly(handler.body):
                kind = "answer"
            if kind is None or self._uses_exception(handler):
                continue
            if code is None:
                code = operation_text(node.body, self.ctx.module, self.ctx.imports)
                operates = operates_on_resources(code)
            after = self._after.get(id(node))
            # Giving resources back, writing a log line, wording a failure reported
            # right after, or side work in a handler that already reported the failure:
            # nothing a reviewer acts on.
            secondary = self._in_reporting_handler()
            if releases_only(node.body) or logs_only(node.body) or \
                    _reports_right_after(node.body, after) or (secondary and not operates):
                continue
            # Audit level only: a comment that explains the fallback, a failure inside a
            # handler that reported the first one, clean-up while tearing down, or a
            # fallback the code handles by design. A bare ``except:`` that answers with a
            # value also catches KeyboardInterrupt and SystemExit: no convention excuses
            # it, only a comment that explains it, or a default for one field read from
            # data in hand (``count = int(text)`` / ``count = None``): nothing there
            # waits for a signal, and the record is built on (judged deliberate on
            # scrapers and importers of the real-code corpus).
            deliberate = _documented(handler) or secondary or self._tearing_down() or \
                is_migration(self.ctx.path, self.ctx.source) or counts_only(node.body) or (
                    kind == "silent" and self._skips_one_part(node)) or (
                    kind == "default" and not operates and defaults_one_field(
                        node.body, handler.body, self.ctx.module.code_for_node)) or (
                    not (bare and kind != "silent") and
                    self._by_design(node, handler, after, code, operates))
            what = "A bare except:" if bare else "A broad except"
            if kind == "answer":
                message = (f"{what} answers every error (KeyboardInterrupt and SystemExit "
                           "included) with a fixed result and records nothing: no log, no "
                           "re-raise, so the cause of a failure is lost.")
            elif kind == "silent":
                message = (f"{what} discards every error silently: nothing is logged or "
                           "re-raised, so failures (bugs included) vanish without a trace.")
            else:
                message = (f"{what} turns every error into a default value without logging "
                           "or re-raising it, so failures (bugs included) look like "
                           "normal results.")
            self.report(handler, message=message,
                        confidence="low" if deliberate else
                        "high" if kind == "silent" else "medium")

    def _report_returned(self, handler: cst.ExceptHandler) -> None:
        """The exception object returned in place of a result: callers that expect a
        value (a token, a record) carry on with an error object, and nothing is logged.
        Where the try returns only flags, an exception for "False" is usually a protocol
        its callers test with isinstance(): reported at the audit level only."""
        protocol = _status_results(self.ctx.function_stack[-1], handler)
        self.report(handler, confidence="low" if protocol or _documented(handler) else "medium",
                    message="A broad except returns the exception object as the function's "
                            "result instead of raising or logging it, so callers use an "
                            "error where they expect a value.")

    def _in_reporting_handler(self) -> bool:
        """Is the try part of an except handler that reports the failure it caught
        (re-raises it, uses it, or calls a logger or anything else besides clean-up)?"""
        if not self._handlers:
            return False
        outer = self._handlers[-1]
        statements = outer.body.body if isinstance(outer.body, cst.IndentedBlock) else ()
        return _reraises(outer) or self._uses_exception(outer) or any(
            isinstance(s, cst.SimpleStatementLine) and any(map(calls_something, s.body))
            for s in statements)

    def _skips_one_part(self, node: cst.Try) -> bool:
        """Silently skipping one part of the work, by design on the judged corpus: each
        item of a loop deleted where it can be (a row still referenced stays), or,
        outside a request handler (an importer reading a third-party export), an
        optional part of parsed data: one the code tests for (``if "tags" in data:``)
        or looks up in a document tree (``.find("category")``)."""
        if id(node) in self._pruning and deletes_only(node.body):
            return True
        return self.ctx.current_route() is None and (
            id(node) in self._optional or _reads_optional_element(node.body))

    def _tearing_down(self) -> bool:
        """In a ``finally`` clause or a tear-down method (``__exit__`` removing a temporary
        file): clean-up, whatever it calls."""
        return self._finally_depth > 0 or is_teardown(self.ctx.function_stack[-1])

    def _by_design(self, node: cst.Try, handler: cst.ExceptHandler,
                   after: cst.BaseStatement | None, code: str, operates: bool) -> bool:
        """Deliberate on the judged real-code corpus nearly always: a probe or parser
        whose answer to any failure is "no", a fallback around pure computation
        (parsing, formatting, introspection), a flag the try computes cleared for the
        fallback path, and, around no database, network or write, the function's
        declared "nothing" (``-> bytes | None``, or the None it returns when the work
        finds nothing) or a next statement that tests what the try was to compute.
        Around a database, file, network or code operation a fallback value hides
        failures that matter."""
        function = self.ctx.function_stack[-1].name.value
        if not operates or _PROBE_NAME.match(function) or self._says_no(handler) or \
                self._system_check() or _clears_flag(handler, node.body, self.ctx.module):
            return True
        if writes_or_calls_out(code) or touches_data(code) and not answers_none(handler.body):
            return False  # a read answered with a made-up sentinel is a new answer
        return tested_after(node.body, after) or \
            _assigns_found_nothing(node.body, handler, self.ctx.module) or \
            self._answers_declared_none(node, handler, after)

    def _says_no(self, handler: cst.ExceptHandler) -> bool:
        answers = own_returns(handler.body)
        return bool(answers) and all(isinstance(r.value, cst.Name) and r.value.value == "False"
                                     for r in answers) and \
            answers_yes_or_no(self.ctx.function_stack[-1], handler.body)

    def _answers_declared_none(self, node: cst.Try, handler: cst.ExceptHandler,
                               after: cst.BaseStatement | None) -> bool:
        """Does the handler answer ``None`` where None is already one of the function's
        results: declared in its signature, returned on another path, or reached by the
        try itself when its work finds nothing?"""
        function = self.ctx.function_stack[-1]
        answers = own_returns(handler.body)
        if answers:
            if not all(map(is_none_return, answers)):
                return False
        elif not _falls_to_none(after):
            return False
        elif can_complete(node.body):
            return True
        if declares_none(function):
            return True
        mine = set(map(id, answers))
        if not answers and after is not None:
            mine.update(map(id, descendants(after, cst.Return)))
        return any(is_none_return(r) for r in own_returns(function.body) if id(r) not in mine)

    def _system_check(self) -> bool:
        for fn in self.ctx.function_stack:
            for dec in fn.decorators:
                callee = dec.decorator.func if isinstance(dec.decorator, cst.Call) \
                    else dec.decorator
                if self.ctx.imports.qualname(callee) == _SYSTEM_CHECK:
                    return True
        return False

    @staticmethod
    def _uses_exception(handler: cst.ExceptHandler) -> bool:
        if handler.name is None or not isinstance(handler.name.name, cst.Name):
            return False
        finder = _NameUse(handler.name.name.value)
        walk(handler.body, finder)
        return finder.used
