"""Which modules and handlers never reach production. Defines no rule.

Development and test settings (``settings/dev.py``, ``local_settings.py``,
``settings_test.py``) and test code legitimately carry throw-away keys and
``DEBUG = True``; reporting them would bury the real findings. A handler that turns
every request away unless the app runs in debug mode is a development stand-in: what
it does is reported at the audit level only (``visitor.Check.report``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from backend_audit.appmodel.names import string_value
from backend_audit.engines.walk import contains

#: Words of a module name that say it configures a development or test run.
_DEV_WORDS = frozenset({"dev", "devel", "development", "local", "test", "tests", "testing",
                        "ci", "e2e"})
#: Words that may stand beside them in such a name (``local_dev``, ``settings_ci``,
#: ``docker_dev_config``): what the module is, or where the run happens.
_SETTINGS_WORDS = frozenset({"settings", "config", "conf", "env", "docker", "sqlite",
                             "postgres", "mysql", "debug"})
TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest)$")
TEST_DIRS = frozenset({"tests", "test", "testing", "fixtures", "e2e"})


def _dev_only_stem(stem: str) -> bool:
    """``dev``, ``local_settings``, ``settings_ci``, ``local_dev``: every word of the name
    is a development/test word or a settings word, and one is a development/test word
    (``local_auth`` or ``dev_tools`` are code, not settings)."""
    words = set(re.split(r"[_\-]", stem.lower()))
    return bool(words & _DEV_WORDS) and words <= _DEV_WORDS | _SETTINGS_WORDS
def is_dev_only(path: str) -> bool:
    """Development or test settings, or test code (path relative to the scan root)."""
    parts = path.split("/")
    stem = parts[-1].removesuffix(".py")
    return bool(_dev_only_stem(stem) or TEST_FILE.match(stem)) or \
        any(p in TEST_DIRS for p in parts[:-1])


# ``settings.DEBUG``, ``app.debug``, ``current_app.config["DEBUG"]``, ``request.app.debug``
_DEBUG_NAMES = frozenset({"DEBUG", "debug"})


def _is_debug_flag(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value in _DEBUG_NAMES
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and \
            isinstance(expr.slice[0].slice, cst.Index):
        return string_value(expr.slice[0].slice.value) == "DEBUG"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value == "get" and expr.args:
        return string_value(expr.args[0].value) == "DEBUG"  # ``app.config.get("DEBUG")``
    return False


def ends_request(block: cst.BaseSuite) -> bool:
    """A block that ends the request: ``return ...`` or ``raise ...`` (``abort(404)``)."""
    body = block.body if isinstance(block, cst.IndentedBlock) else (block,)
    last = body[-1] if body else None
    smalls = last.body if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) \
        else ()
    return any(isinstance(s, (cst.Return, cst.Raise)) or
               isinstance(s, cst.Expr) and isinstance(s.value, cst.Call) and
               isinstance(s.value.func, cst.Name) and s.value.func.value == "abort"
               for s in smalls)


def debug_branch_holds(fn: cst.FunctionDef, node: cst.CSTNode) -> bool:
    """``node`` runs only when the app is in debug mode: it sits in the body of an ``if``
    testing a debug flag (``if config.DEBUG:``, ``if app.debug and ...:``), in the
    ``else`` of one testing its negation, or after ``if not settings.DEBUG: return ...``."""
    return _debug_only_in(_statements(fn.body), node)


def _debug_only_in(stmts: Sequence[cst.CSTNode], node: cst.CSTNode) -> bool:
    for stmt in stmts:
        if not contains(stmt, node):
            flag, negated = _debug_test(stmt.test) if isinstance(stmt, cst.If) else (None, False)
            if flag is not None and negated and stmt.orelse is None and \
                    ends_request(stmt.body):
                return True  # production leaves here; what follows runs in debug
            continue
        if isinstance(stmt, cst.If):
            flag, negated = _debug_test(stmt.test)
            if contains(stmt.body, node):
                return (flag is not None and not negated) or \
                    _debug_only_in(_statements(stmt.body), node)
            orelse = stmt.orelse
            if orelse is None or contains(stmt.test, node):
                return False
            if flag is not None and negated:
                return True
            inner = [orelse] if isinstance(orelse, cst.If) else _statements(orelse.body)
            return _debug_only_in(inner, node)
        for block in _child_blocks(stmt):
            if contains(block, node):
                return _debug_only_in(_statements(block), node)
        return False
    return False


def _statements(block: cst.CSTNode) -> Sequence[cst.CSTNode]:
    return block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) \
        else ()


def _child_blocks(stmt: cst.CSTNode) -> list[cst.CSTNode]:
    """The blocks of a compound statement other than an ``if`` (functions and classes
    are other scopes)."""
    if isinstance(stmt, (cst.For, cst.While, cst.With, cst.Try, cst.TryStar)):
        parts: list[cst.CSTNode] = [stmt.body]
        parts.extend(h.body for h in getattr(stmt, "handlers", ()))
        for name in ("orelse", "finalbody"):
            extra = getattr(stmt, name, None)
            if extra is not None:
                parts.append(extra.body)
        return parts
    return []


def _debug_test(test: cst.BaseExpression) -> tuple[cst.BaseExpression | None, bool]:
    """The debug flag a test reads and whether it is negated; ``a and b`` holds when
    both do, so a debug flag on either side of an ``and`` counts."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        for side in (test.left, test.right):
            flag, negated = _debug_test(side)
            if flag is not None and not negated:
                return flag, False
        return None, False
    negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
    if negated:
        test = test.expression  # type: ignore[attr-defined]
    return (test, negated) if _is_debug_flag(test) or _debug_name(test) else (None, False)


def _debug_name(expr: cst.BaseExpression) -> bool:
    """``DEBUG`` imported from the settings or a module constant."""
    return isinstance(expr, cst.Name) and expr.value == "DEBUG"


def answers_only_in_debug(fn: cst.FunctionDef) -> bool:
    """A handler that turns every request away unless the app runs in debug mode
    (``if not settings.DEBUG: return HttpResponse(status=400)`` first thing): a local
    development stand-in (an upload endpoint replacing S3, a test-login page) that never
    serves anyone in production."""
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, cst.Expr) and isinstance(s.value, (cst.SimpleString,
                                                                 cst.ConcatenatedString))
                for s in stmt.body):
            continue  # the docstring
        if not isinstance(stmt, cst.If) or stmt.orelse is not None:
            return False
        test = stmt.test
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        if negated:
            test = test.expression  # type: ignore[attr-defined]
        elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
                isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal)) and \
                isinstance(test.comparisons[0].comparator, cst.Name) and \
                test.comparisons[0].comparator.value == "False":
            test, negated = test.left, True
        return negated and _is_debug_flag(test) and ends_request(stmt.body)
    return False
