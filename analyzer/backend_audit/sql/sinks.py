"""Where SQL text goes in: database calls, and the project's own functions that pass a
parameter straight to one (``def query_db(sql, args=()): cur.execute(sql, args)``).

``SqlSinkCheck`` is the common base of the sql-injection checks: it evaluates the SQL
argument of a sink with ``SqlValues`` and reports it when the text was built from a
part that is not constant. Findings go on the call that receives the text (for a
wrapper, the caller's call: that is where a reviewer can see the string being built).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from typing import ClassVar

import libcst as cst

from backend_audit.appmodel.closed_types import FACT_CLOSED_TYPE
from backend_audit.appmodel.context import ModuleContext, module_name
from backend_audit.appmodel.names import dotted_name, get_arg, last_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import Callee, bind_arguments
from backend_audit.flow.locals import Flow
from backend_audit.sql.columns import SQLISH_NAME
from backend_audit.sql.shape import SQL_STATEMENT, Shape, seal
from backend_audit.sql.values import SqlValues
from backend_audit.visitor import Candidate, Check

DB_API = "BA301"
DJANGO_RAW = "BA302"
SQLALCHEMY_TEXT = "BA303"

# Methods that always take SQL text first (DB-API, SQLAlchemy, pandas, drivers).
STRICT_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql",
                            "mogrify", "read_sql", "read_sql_query", "copy_expert",
                            "execute_fetchall", "execute_insert"})
# psycopg2.extras helpers: ``execute_values(cur, sql, rows)``.
CURSOR_FIRST = frozenset({"execute_values", "execute_batch"})
# Method names that take SQL in database code but mean other things elsewhere:
# their text must read as SQL.
LOOSE_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one",
                           "fetch_val", "execute_many", "iterate", "query", "cursor_execute"})
SQL_KEYWORDS = ("sql", "query", "statement", "operation", "stmt")
DB_RECEIVERS = ("cur", "cursor", "conn", "connection", "db", "session", "engine", "con",
                "database", "pool", "tx", "transaction")
EXTRA_SQL_KEYWORDS = ("where", "select", "order_by", "tables")
FACT_FUNCTION = "sql-function"
FACT_CALL = "sql-call"
# Third-party packages whose calls never reach a project's own SQL helpers.
LIBRARIES = frozenset({"flask", "django", "rest_framework", "fastapi", "starlette", "aiohttp",
                       "sqlalchemy", "pydantic", "pandas", "numpy", "psycopg2", "psycopg",
                       "pymysql", "MySQLdb", "asyncpg", "aiosqlite", "databases", "requests",
                       "httpx", "celery", "werkzeug", "jinja2", "marshmallow", "flask_login",
                       "flask_sqlalchemy", "sqlmodel", "redis", "boto3", "structlog"})
# Modules worth describing to other modules: they mention SQL or a database call.
SQLISH_SOURCE = re.compile(r"\b(select|where|order\s+by|execute|fetch\w*|raw|text|desc|asc)\b",
                           re.IGNORECASE)


@dataclass(frozen=True)
class Sink:
    rule_id: str
    args: tuple[cst.BaseExpression, ...]
    strict: bool  # the call takes SQL for sure; loose calls need SQL words in the text
    db_receiver: bool = False  # called on something named like a cursor or connection
    fragments: bool = False  # takes SQL fragments (``extra(where=...)``), not statements
    # What it runs is a whole statement (``text()`` mostly is too); Django's ``extra`` and
    # ``RawSQL`` take pieces of one.
    statement: bool = True


def sqlalchemy_text(call: cst.Call, values: SqlValues) -> bool:
    dotted = dotted_name(call.func) or ""
    if dotted in ("db.text", "sa.text", "sqlalchemy.text"):
        return True  # also ``db`` imported from the app's own extensions module
    qual = values.ctx.imports.qualname(call.func)
    return qual is not None and qual.startswith("sqlalchemy") and qual.endswith(".text")


def _sql_arg(call: cst.Call, position: int = 0) -> cst.BaseExpression | None:
    for kw in SQL_KEYWORDS:
        arg = get_arg(call, kw)
        if arg is not None:
            return arg.value
    arg = get_arg(call, None, position)
    return arg.value if arg is not None else None


def _user_sink(call: cst.Call, values: SqlValues) -> bool:
    names = values.ctx.config.sql_sinks
    if not names:
        return False
    qual = values.ctx.imports.qualname(call.func) or ""
    dotted = dotted_name(call.func) or ""
    last = last_name(call.func) or ""
    for name in names:
        if name in (qual, dotted) or qual.endswith("." + name) or dotted.endswith("." + name):
            return True
        if "." not in name and name == last:
            return True
    return False


#: The names a database call may have (``find_sink`` asks no more of a call by any other
#: name, unless the configuration names sinks of its own).
_SINK_NAMES = frozenset({"text", "RawSQL", "raw", "extra"}) | CURSOR_FIRST | STRICT_METHODS | \
    LOOSE_METHODS


def find_sink(call: cst.Call, values: SqlValues) -> Sink | None:
    """The database call ``call`` is, with the argument(s) holding its SQL text."""
    name = last_name(call.func)
    if name is None or not call.args:
        return None
    if name not in _SINK_NAMES and not values.ctx.config.sql_sinks:
        return None
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    recv_name = (last_name(receiver) or "").lower() if receiver is not None else ""
    db_receiver = any(recv_name == r or recv_name.endswith("_" + r) or recv_name.startswith(r)
                      for r in DB_RECEIVERS)
    if name == "text" and sqlalchemy_text(call, values):
        arg = _sql_arg(call) or (get_arg(call, "text").value if get_arg(call, "text") else None)
        return Sink(SQLALCHEMY_TEXT, (arg,), True, fragments=True) if arg is not None else None
    if name == "RawSQL":
        arg = _sql_arg(call)
        return Sink(DJANGO_RAW, (arg,), True, fragments=True, statement=False) \
            if arg is not None else None
    if name == "raw" and receiver is not None:
        arg = _sql_arg(call) or (get_arg(call, "raw_query").value
                                 if get_arg(call, "raw_query") else None)
        return Sink(DJANGO_RAW, (arg,), False) if arg is not None else None
    if name == "extra" and receiver is not None:
        parts = tuple(part for a in call.args
                      if a.keyword is not None and a.keyword.value in EXTRA_SQL_KEYWORDS
                      for part in _extra_sql_parts(a.keyword.value, a.value))
        return Sink(DJANGO_RAW, parts, True, fragments=True, statement=False) if parts else None
    if _user_sink(call, values):
        arg = _sql_arg(call)
        return Sink(DB_API, (arg,), True, True, True) if arg is not None else None
    if name in CURSOR_FIRST:
        arg = _sql_arg(call, 1)
        return Sink(DB_API, (arg,), True, True) if arg is not None else None
    if name in STRICT_METHODS and (receiver is not None or values.ctx.imports.qualname(
            call.func)):
        arg = _sql_arg(call)
        return Sink(DB_API, (arg,), True, db_receiver) if arg is not None else None
    if name in LOOSE_METHODS and receiver is not None:
        arg = _sql_arg(call)
        return Sink(DB_API, (arg,), False, db_receiver) if arg is not None else None
    return None


# ---------------------------------------------------------------------- wrappers
@dataclass(frozen=True)
class Wrapper:
    function: cst.FunctionDef
    param: str  # the parameter that is the SQL text
    # It reaches a call that takes SQL for sure; through a loose one (``fetch_all`` of a
    # REST client as much as of a database) the text must read as SQL.
    strict: bool = True

    def argument(self, call: cst.Call, callee: Callee) -> cst.BaseExpression | None:
        """What ``call`` (reaching the wrapper as ``callee``) passes as the SQL text."""
        return bind_arguments(self.function, call, callee.bound).argument(self.param)


def _direct_param(expr: cst.BaseExpression, fn: cst.FunctionDef, values: SqlValues,
                  budget: Budget | None = None) -> str | None:
    """The parameter of ``fn`` that *is* the SQL text ``expr`` (not merely a part of it)."""
    budget = Budget() if budget is None else budget
    if budget.exhausted:
        return None
    flow = values.scope(fn).flow
    if isinstance(expr, cst.Name):
        if expr.value in flow.params and not flow.values_of(expr.value):
            return expr.value if expr.value not in ("self", "cls") else None
        for v in flow.values_of(expr.value):
            found = _direct_param(v, fn, values, budget.deeper())
            if found:
                return found
        return None
    if isinstance(expr, cst.Call):
        name = last_name(expr.func)
        if name in ("text", "SQL", "str") and expr.args:
            return _direct_param(expr.args[0].value, fn, values, budget.deeper())
        if name in ("strip", "rstrip") and isinstance(expr.func, cst.Attribute):
            return _direct_param(expr.func.value, fn, values, budget.deeper())
        return None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _direct_param(expr.left, fn, values, budget.deeper())
    return None


def find_wrappers(values: SqlValues) -> dict[int, Wrapper]:
    """Module functions (and methods) that pass a parameter to a sink as its SQL text,
    directly or through another such function."""
    wrappers: dict[int, Wrapper] = {}
    functions = list(values.ctx.module_functions.values())
    calls = values.index.calls_in
    for _ in range(3):
        changed = False
        for fn in functions:
            if id(fn) in wrappers:
                continue
            for call in calls.get(id(fn), []):
                arg, strict = _wrapped_arg(call, fn, values, wrappers)
                param = _direct_param(arg, fn, values) if arg is not None else None
                if param is not None:
                    wrappers[id(fn)] = Wrapper(fn, param, strict)
                    changed = True
                    break
        if not changed:
            break
    return wrappers


def _wrapped_arg(call: cst.Call, fn: cst.FunctionDef, values: SqlValues,
                 wrappers: dict[int, Wrapper]) -> tuple[cst.BaseExpression | None, bool]:
    """The SQL text ``call`` runs (a sink's or a wrapper's), and whether the call takes
    SQL for sure."""
    sink = find_sink(call, values)
    if sink is not None:
        return (sink.args[0] if len(sink.args) == 1 else None), sink.strict
    target = values.local_callee(call, values.class_of(fn))
    if target is not None and id(target.function) in wrappers:
        wrapper = wrappers[id(target.function)]
        return wrapper.argument(call, target), wrapper.strict
    return None, True


# ---------------------------------------------------------------------- the checks
def confidence(shape: Shape) -> str:
    """high: client input reaches the text; medium: a value handed in from outside (a
    parameter callers here do not settle) fills a value position of the SQL (inside
    quotes, after a comparison); low: only computed parts do (ORM
    metadata, results of the project's helpers, loop variables) or the passed-in part
    is an identifier or clause (``FROM {table}``), which on the judged real-code corpus
    was never injectable."""
    if shape.request:
        return "high"
    return "medium" if shape.passed_in and shape.value_slot else "low"


def _extra_sql_parts(keyword: str, value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The SQL of ``extra(select={alias: sql})`` is in the values: Django quotes each
    alias as an identifier."""
    if keyword == "select" and isinstance(value, cst.Dict):
        return [e.value for e in value.elements if isinstance(e, cst.DictElement)]
    return [value]


def _at_most_medium(candidate: Candidate) -> str:
    return "low" if candidate.confidence == "low" else "medium"


def absolute(called: str, caller_path: str) -> str:
    """``.db.run`` imported in ``pkg/api/books.py`` is ``pkg.api.db.run``."""
    if not called.startswith("."):
        return called
    dots = len(called) - len(called.lstrip("."))
    package = caller_path.split("/")[:-1]
    package = package[: len(package) - (dots - 1)] if dots > 1 else package
    return ".".join([*package, called.lstrip(".")]).strip(".")


def closed_type_names(project: ProjectFacts) -> frozenset[str]:
    """The names of the project's closed types (``Literal`` aliases, enumerations)."""
    names = project.memo.get(FACT_CLOSED_TYPE)
    if names is None:
        names = frozenset(f["name"].rsplit(".", 1)[-1] for f in project.values(FACT_CLOSED_TYPE))
        project.memo[FACT_CLOSED_TYPE] = names
    return names


def _matches(fact_name: str, called: str, caller_path: str) -> bool:
    """Whether a defined function ``fact_name`` (``pkg.db.run``) is the imported ``called``
    (``.db.run`` relative to the caller, or ``pkg.db.run``, or a suffix of it)."""
    called = absolute(called, caller_path)
    return fact_name == called or fact_name.endswith("." + called) or \
        called.endswith("." + fact_name)


def _library(qualified: str) -> bool:
    top = qualified.split(".")[0]
    return top in sys.stdlib_module_names or top in LIBRARIES


def _in_project(qualified: str, project: ProjectFacts) -> bool:
    """Whether the module defining ``qualified`` (``pkg.db.run``) was scanned."""
    module = qualified.rsplit(".", 1)[0]
    return any(m == module or m.endswith("." + module) or module.endswith("." + m)
               for m in project.modules)


def _mentions_sql(expr: cst.BaseExpression, flow: Flow) -> bool:
    """A cheap look for SQL words in the literals of ``expr`` and of the names in it."""
    texts: list[str] = []

    def collect(node: cst.BaseExpression, follow: bool) -> None:
        if isinstance(node, cst.SimpleString):
            texts.append(node.value)
        elif isinstance(node, cst.FormattedString):
            texts.extend(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        elif isinstance(node, cst.ConcatenatedString):
            collect(node.left, follow)
            collect(node.right, follow)
        elif isinstance(node, cst.BinaryOperation):
            collect(node.left, follow)
            collect(node.right, follow)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            collect(node.func.value, follow)
        elif isinstance(node, cst.Name) and follow:
            for value in flow.values_of(node.value) + flow.items_of(node.value):
                collect(value, False)

    collect(expr, True)
    return bool(SQL_STATEMENT.search(" ".join(texts)))


def _arg_kind(shape: Shape) -> str:
    if shape.safe:
        return "safe"
    return "request" if shape.request else "unsafe"


@dataclass
class _ModuleAnalysis:
    ctx: ModuleContext
    values: SqlValues
    wrappers: dict[int, Wrapper] | None = None
    #: ``find_sink`` of each call by id (the three sql checks ask it of every call).
    sinks: dict[int, Sink | None] = field(default_factory=dict)

    def sink(self, call: cst.Call) -> Sink | None:
        key = id(call)
        if key in self.sinks:
            return self.sinks[key]
        found = self.sinks[key] = find_sink(call, self.values)
        return found


_last: list[_ModuleAnalysis] = []


def _analysis_of(ctx: ModuleContext) -> _ModuleAnalysis:
    """One analysis per module, shared by the sql checks (the engine creates them together
    for a module, so remembering the latest module is enough)."""
    if not _last or _last[0].ctx is not ctx:
        _last[:] = [_ModuleAnalysis(ctx, SqlValues(ctx))]
    return _last[0]


class SqlSinkCheck(Check):
    """Base of the sql-injection checks; subclasses set ``rule_id``."""

    handles_wrappers: ClassVar[bool] = False

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.analysis = _analysis_of(ctx)
        self.values = self.analysis.values

    @property
    def wrappers(self) -> dict[int, Wrapper]:
        if self.analysis.wrappers is None:
            self.analysis.wrappers = find_wrappers(self.values)
        return self.analysis.wrappers

    def visit_Call(self, node: cst.Call) -> None:
        sink = self.analysis.sink(node)
        if sink is not None:
            if sink.rule_id == self.rule_id:
                self._check_sink(node, sink)
            return
        if self.handles_wrappers:
            self._check_wrapper_call(node)
            self._record_call(node)

    def _check_sink(self, node: cst.Call, sink: Sink) -> None:
        scope = self.values.current_scope()
        shapes = [self.values.statement(arg, scope, sink.statement) for arg in sink.args]
        built = [s for s in shapes if s.built or s.raw_request]
        if built:
            shape = built[0]
            if not sink.strict and not shape.has_sql_words:
                return
            if not shape.has_sql_words and not (sink.db_receiver or sink.fragments):
                return
            self._report(node, shape)
            return
        if self.handles_wrappers:
            # The whole text comes from imported functions: a finding if one of them is
            # known (from its own module) to build SQL from its parameters.
            for shape in shapes:
                if shape.calls and not shape.other and not shape.safe:
                    self.report(node, confidence="medium", builder=sorted(shape.calls),
                                calls=sorted(shape.calls), other=False)

    def _check_wrapper_call(self, node: cst.Call) -> None:
        # The walk of the function is built only for a call that may need it: most calls
        # reach neither a wrapper nor a helper with SQL words in its argument.
        function = self.ctx.current_function
        target = self.values.local_callee(node, self.values.owner(function))
        if target is not None:
            wrapper = self.wrappers.get(id(target.function))
            if wrapper is None or target.function is function:
                return
            arg = wrapper.argument(node, target)
            if arg is not None:
                shape = self.values.statement(arg, self.values.current_scope())
                if (shape.built or shape.raw_request) and \
                        (wrapper.strict or shape.has_sql_words):
                    self._report(node, shape)
            return
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        arg = _sql_arg(node)
        if arg is None or not _mentions_sql(
                arg, self.ctx.flow(function if function is not None else self.ctx.module)):
            return
        shape = self.values.statement(arg, self.values.current_scope())
        if not (shape.built and shape.has_sql_words):
            return
        qual = self.ctx.imports.qualname(node.func)
        if qual is not None:
            if not _library(qual):
                self._report(node, shape, via=qual)
        elif isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            local = [fn for key, fn in self.ctx.module_functions.items()
                     if key.endswith("." + method)]
            if local and not any(id(fn) in self.wrappers for fn in local):
                return  # this module's own method of that name does not run SQL
            self._report(node, shape, via_method=method)

    def _report(self, node: cst.CSTNode, shape: Shape, **data: object) -> None:
        self.report(node, confidence=confidence(shape), calls=sorted(shape.calls),
                    params=sorted(shape.params), other=shape.other,
                    names_only=shape.names_only, **data)

    def _record_call(self, node: cst.Call) -> None:
        """What this module passes to a function of another project module, for that
        module's findings on parameters it builds SQL from."""
        qual = self.ctx.imports.qualname(node.func)
        if qual is None or not node.args:
            return
        if _library(qual):
            return
        scope = self.values.current_scope()
        args: dict[str, str] = {}
        for position, arg in enumerate(a for a in node.args if a.keyword is None):
            args[str(position)] = _arg_kind(self.values.shape(arg.value, scope))
        for arg in node.args:
            if arg.keyword is not None:
                args[arg.keyword.value] = _arg_kind(self.values.shape(arg.value, scope))
        self.ctx.add_fact(FACT_CALL, {"callee": absolute(qual, self.ctx.path), "args": args})

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.handles_wrappers or not SQLISH_SOURCE.search(self.ctx.source):
            return
        # Facts for other modules: which of this module's functions run SQL they are
        # given, build SQL from their parameters, or return only safe text.
        module = self.ctx.module_name
        wrappers = self.wrappers
        for key, fn in self.ctx.module_functions.items():
            name = f"{module}.{key}" if module else key
            fact: dict[str, object] = {"function": name, "method": "." in key}
            if id(fn) in wrappers:
                fact["wrapper"] = True
            if self.values.scope(fn).flow.returns:
                shape = seal(self.values.shape_of_returns(fn))
                if shape.built and shape.has_sql_words and not shape.names_only:
                    fact["returns"] = "built"
                elif shape.safe and shape.text:
                    fact["returns"] = "safe"
            if len(fact) > 2:
                self.ctx.add_fact(FACT_FUNCTION, fact)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        functions = [f.value for f in project.get(FACT_FUNCTION)]
        via = data.get("via")
        if via is not None and not any(f.get("wrapper") and _matches(f["function"], via,
                                                                     candidate.path)
                                       for f in functions):
            # A helper of a module outside the scan: judged by its name.
            if _in_project(absolute(via, candidate.path), project) or \
                    not SQLISH_NAME.search(via.rsplit(".", 1)[-1]):
                return None
            candidate = replace(candidate, confidence=_at_most_medium(candidate))
        method = data.get("via_method")
        if method is not None and not any(f.get("wrapper") and f.get("method") and
                                          f["function"].endswith("." + method)
                                          for f in functions):
            if not SQLISH_NAME.search(method):
                return None
            candidate = replace(candidate, confidence=_at_most_medium(candidate))

        def returns(call: str, kind: str) -> bool:
            return any(f.get("returns") == kind and _matches(f["function"], call, candidate.path)
                       for f in functions)

        if data.get("builder"):
            return candidate if any(returns(c, "built") for c in data["builder"]) else None
        decided_unsafe = bool(data.get("other"))
        for call in data.get("calls") or []:
            decided_unsafe |= not returns(call, "safe")
        request = False
        callers_known = bool(data.get("params"))
        module = module_name(candidate.path)
        closed = closed_type_names(project)
        for key in data.get("params") or []:
            function, param, index, typed = key.split("|")
            if typed and typed in closed:
                continue  # ``field: CountField`` where ``CountField = Literal[...]``
            target = f"{module}.{function}" if module else function
            kinds = [site.value["args"].get(param, site.value["args"].get(index))
                     for site in project.get(FACT_CALL)
                     if _matches(target, site.value["callee"], site.path)]
            if not kinds or any(k is None or k != "safe" for k in kinds):
                decided_unsafe = True
            request |= "request" in kinds
            callers_known = callers_known and bool(kinds)
        if not decided_unsafe or data.get("names_only") and callers_known and not request:
            return None  # names (``FROM {table}``) that callers here compute are not input
        return replace(candidate, confidence="high") if request else candidate
