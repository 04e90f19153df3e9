"""Records the FastAPI/Starlette ``HTTPException`` handlers that keep an exception's detail
from the client (fact ``http-detail-hidden``): ``{"exception": "fastapi.HTTPException",
"statuses": ["all"] | ["5xx"] | [500, ...]}``.

An application that registers its own handler for ``HTTPException``
(``@app.exception_handler(HTTPException)``, ``app.add_exception_handler(HTTPException,
handler)``, ``FastAPI(exception_handlers={HTTPException: handler})``) decides what the
client reads of ``raise HTTPException(500, detail=f"... {e}")``. The handler hides the
detail

- for every status when it never reads the exception's text: only its ``status_code``
  or ``headers``, never ``exc.detail``, ``str(exc)`` or ``exc`` handed on whole;
- for the statuses an ``if`` tests when that branch replaces the text with one of its own
  (``if exc.status_code >= 500: detail = "Internal server error"``), also through a name
  holding the test (``sanitize = exc.status_code == 500`` ... ``if sanitize:``).
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.error_handling import registrations_by_call
from backend_audit.engines.walk import descendants
from backend_audit.flow.calls import positional_names
from backend_audit.visitor import Collector

#: The fact this collector records, one per handler that hides some detail.
FACT_HTTP_DETAIL_HIDDEN = "http-detail-hidden"
ALL_STATUSES = "all"
SERVER_ERRORS = "5xx"

_REGISTRARS = frozenset({"add_exception_handler"})
_DECORATORS = frozenset({"exception_handler"})
# What a handler may read of the exception without reading its text.
_HARMLESS_ATTRS = frozenset({"status_code", "headers"})
_STATUS_NAME = re.compile(r"HTTP_(\d{3})_")


def is_http_exception(qualname: str | None) -> bool:
    """FastAPI's or Starlette's ``HTTPException`` (the classes a route raises for a
    status and a client-facing detail)."""
    return qualname is not None and qualname.startswith(("fastapi.", "starlette.")) and \
        qualname.endswith(".HTTPException")


def covers(key: str, raised: str) -> bool:
    """A handler registered for ``key`` receives a raised ``raised``: the same class
    (``fastapi.HTTPException`` is ``fastapi.exceptions.HTTPException``), or FastAPI's
    subclass of Starlette's."""
    return key.startswith("starlette.") or key.split(".")[0] == raised.split(".")[0]


def status_code(node: cst.BaseExpression) -> int | None:
    """``500``, ``status.HTTP_502_BAD_GATEWAY``, ``HTTPStatus.INTERNAL_SERVER_ERROR``."""
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, (cst.Name, cst.Attribute)):
        last = node.value if isinstance(node, cst.Name) else node.attr.value
        found = _STATUS_NAME.match(last)
        if found:
            return int(found.group(1))
        if last == "INTERNAL_SERVER_ERROR":
            return 500
    return None


def hides_status(statuses: list, code: int | None) -> bool:
    """A fact's ``statuses`` hide the detail of an answer with status ``code``."""
    if ALL_STATUSES in statuses:
        return True
    if code is None:
        return False
    return code in statuses or SERVER_ERRORS in statuses and 500 <= code <= 599


class HttpExceptionHandlerFacts(Collector):
    words = ("exception_handler",)
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        if "HTTPException" not in self.ctx.source:
            return
        functions = {s.name.value: s for s in node.body if isinstance(s, cst.FunctionDef)}
        for fn, key in self._registered(node, functions):
            statuses = hidden_statuses(fn)
            if statuses:
                self.ctx.add_fact(FACT_HTTP_DETAIL_HIDDEN, {"exception": key,
                                                            "statuses": statuses})

    def _registered(self, module: cst.Module, functions: dict[str, cst.FunctionDef]
                    ) -> list[tuple[cst.FunctionDef, str]]:
        qualname = self.ctx.imports.qualname
        out: list[tuple[cst.FunctionDef, str]] = []

        def key_of(expr: cst.BaseExpression | None) -> str | None:
            name = qualname(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
            return name if is_http_exception(name) else None

        for fn in functions.values():
            for dec in fn.decorators:
                d = dec.decorator
                if isinstance(d, cst.Call) and isinstance(d.func, cst.Attribute) and \
                        d.func.attr.value in _DECORATORS and d.args:
                    key = key_of(d.args[0].value)
                    if key is not None:
                        out.append((fn, key))
        for name, key_expr in registrations_by_call(module, _REGISTRARS):
            key = key_of(key_expr)
            fn = functions.get(name)
            if key is not None and fn is not None:
                out.append((fn, key))
        return out


def hidden_statuses(fn: cst.FunctionDef) -> list:
    """The statuses whose detail handler ``fn(request, exc)`` keeps from the client:
    ``["all"]``, ``["5xx"]``, a list of codes, or ``[]``."""
    params = positional_names(fn)
    if len(params) < 2:
        return []
    exc = params[1]
    if not _reads_text(fn, exc):
        return [ALL_STATUSES]
    aliases = _status_tests(fn, exc)
    locals_ = {t.target.value for a in descendants(fn.body, cst.Assign) for t in a.targets
               if isinstance(t.target, cst.Name)}
    hidden: set = set()
    for branch in descendants(fn, cst.If):
        statuses = _tested_statuses(branch.test, exc, aliases)
        if statuses and _replaces_text(branch.body, exc, locals_):
            hidden |= statuses
    if SERVER_ERRORS in hidden:
        hidden = {SERVER_ERRORS} | {s for s in hidden if isinstance(s, int) and
                                    not 500 <= s <= 599}
    return sorted(hidden, key=str)


def _uses(node: cst.CSTNode, name: str) -> list[cst.Name]:
    return [n for n in descendants(node, cst.Name) if n.value == name]


def _reads_text(fn: cst.FunctionDef, exc: str) -> bool:
    """``exc`` is read other than for its status or headers."""
    harmless = {id(a.value) for a in descendants(fn.body, cst.Attribute)
                if isinstance(a.value, cst.Name) and a.value.value == exc and
                a.attr.value in _HARMLESS_ATTRS}
    return any(id(n) not in harmless for n in _uses(fn.body, exc))


def _status_tests(fn: cst.FunctionDef, exc: str) -> dict[str, cst.BaseExpression]:
    """Names assigned a test of the status: ``sanitize = exc.status_code == 500``."""
    out: dict[str, cst.BaseExpression] = {}
    for assign in descendants(fn.body, cst.Assign):
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) and \
                isinstance(assign.value, cst.Comparison) and _uses(assign.value, exc):
            out[assign.targets[0].target.value] = assign.value
    return out


def _tested_statuses(test: cst.BaseExpression, exc: str,
                     aliases: dict[str, cst.BaseExpression]) -> set:
    if isinstance(test, cst.Name) and test.value in aliases:
        test = aliases[test.value]
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return set()
    left = test.left
    if not (isinstance(left, cst.Attribute) and left.attr.value == "status_code" and
            isinstance(left.value, cst.Name) and left.value.value == exc):
        return set()
    target = test.comparisons[0]
    op = target.operator
    if isinstance(op, cst.Equal):
        code = status_code(target.comparator)
        return {code} if code is not None else set()
    if isinstance(op, cst.In) and isinstance(target.comparator, (cst.Set, cst.Tuple, cst.List)):
        codes = [status_code(e.value) for e in target.comparator.elements]
        return set(codes) if all(c is not None for c in codes) else set()
    bound = status_code(target.comparator)
    if bound is not None and (isinstance(op, cst.GreaterThanEqual) and bound == 500 or
                              isinstance(op, cst.GreaterThan) and bound == 499):
        return {SERVER_ERRORS}
    return set()


def _replaces_text(body: cst.BaseSuite, exc: str, locals_: set[str]) -> bool:
    """The branch assigns a name a value that owes nothing to the exception (the
    message the answer carries instead): a literal, a call, or a name the handler never
    assigns (a module constant such as ``GENERIC_MESSAGE``)."""
    return any(len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) and
               not _uses(a.value, exc) and
               not (isinstance(a.value, cst.Name) and a.value.value in locals_)
               for a in descendants(body, cst.Assign))
