"""Is a collection query bounded? Shared by the pagination checks and their collector.

``QueryAnalyzer.classify`` reads one expression (following local names, same-module
helper functions and their arguments) and says whether it is a database query and, if
so, whether a limit, slice, page or single-row fetch bounds it. ``QueryAnalyzer.reach``
walks a response expression (``jsonify(...)``, ``Response(serializer.data)``, a returned
list) down to the unbounded queries whose rows it carries.

Bounds are flow-insensitive on purpose: a ``.limit()`` applied in any branch counts,
because a reviewer would not call a query that is sometimes limited "unbounded".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.engines.walk import descendants, walk
from backend_audit.flow import calls
from backend_audit.flow.budget import MAX_CALLS, MAX_DEPTH
from backend_audit.flow.locals import Flow, is_literal
from backend_audit.sql.parse import unbounded_rows

# Methods that return one row, a number or a window of rows.
BOUNDING_METHODS = frozenset({
    "limit", "offset", "slice", "paginate", "first", "first_or_404", "one", "one_or_none",
    "one_or_404", "scalar", "scalar_one", "scalar_one_or_none", "get", "get_or_404", "count",
    "exists", "fetchone", "fetchmany", "fetchrow", "fetchval", "fetch_one", "fetch_val",
    "find_one", "count_documents", "estimated_document_count", "aggregate", "last",
    "earliest", "latest", "none", "skip", "fetch", "top", "page", "get_page",
    "subquery", "scalar_subquery", "cte", "in_bulk", "get_object", "first_or_none",
})
# Bounding methods that return one row (an object whose relations may be queried).
SINGLE_ROW_METHODS = frozenset({
    "first", "first_or_404", "one", "one_or_none", "one_or_404", "scalar_one", "get",
    "get_or_404", "fetchone", "fetchrow", "find_one", "last", "earliest", "latest",
    "get_object", "first_or_none", "scalar_one_or_none",
})
SINGLE_ROW_FUNCS = frozenset({"get_object_or_404", "get_or_404", "first_or_404", "one_or_404"})
# Methods of a related manager / dynamic relationship that select the related rows.
RELATED_QUERY_METHODS = frozenset({"all", "filter", "order_by", "exclude", "select_related",
                                   "prefetch_related", "values", "values_list", "annotate"})
# Query-builder and materialising methods that keep every row.
QUERY_METHODS = frozenset({
    "all", "filter", "filter_by", "where", "exclude", "order_by", "join", "outerjoin",
    "options", "select_related", "prefetch_related", "values", "values_list", "annotate",
    "distinct", "only", "defer", "scalars", "unique", "mappings", "tuples", "fetchall",
    "sort", "group_by", "having", "select_from", "execution_options", "with_entities",
    "add_columns", "using", "iterator", "reverse", "union", "alias", "join_from",
    "populate_existing", "yield_per", "enable_eagerloads", "to_list", "allow_disk_use",
    "project", "order", "with_for_update", "execute", "find", "filter_queryset",
    "select_for_update", "prefetch", "collation", "hint", "batch_size", "partitions",
    "columns", "load_only", "undefer", "joinedload", "selectinload", "noload", "raiseload",
    "with_only_columns", "exec", "fetch_links", "dates", "datetimes", "extra", "complex_filter",
    "dicts", "namedtuples", "objects", "switch",
})
# Methods of a query that write or describe, returning no rows.
NON_ROW_METHODS = frozenset({
    "update", "delete", "bulk_create", "bulk_update", "insert", "insert_one", "insert_many",
    "update_one", "update_many", "delete_one", "delete_many", "replace_one", "create", "save",
    "get_or_create", "update_or_create", "explain", "add", "merge", "commit", "flush",
    "drop", "create_index", "bulk_write", "watch", "rename", "create_user", "create_superuser",
})
# Methods that only shape rows already selected: the query itself is where they came from.
SHAPING_METHODS = frozenset({"scalars", "all", "unique", "mappings", "tuples", "fetchall",
                             "to_list", "values", "values_list", "iterator"})
FILTER_METHODS = frozenset({"filter", "filter_by", "where", "find", "complex_filter"})
# Calls that execute a statement or SQL text given as their first argument.
EXEC_METHODS = frozenset({
    "execute", "scalars", "exec", "fetch_all", "fetch", "execute_fetchall", "stream",
    "stream_scalars", "iterate", "exec_driver_sql", "read_sql", "read_sql_query",
})
# Identifiers that start a query whatever the module imports (see ``may_query``).
QUERY_WORDS = frozenset({
    "query", "objects", "queryset", "select", "get_queryset", "filter_queryset", "raw",
    "find", "find_all", "fetchall", "fetchmany", "fetchone",
}) | EXEC_METHODS | RELATED_QUERY_METHODS
# The user a request is made by, as the frameworks and their extensions name it.
REQUEST_USERS = frozenset({"request.user", "self.request.user", "current_user", "g.user",
                           "info.context.user", "info.context.request.user"})
# Columns that identify one row whatever the model.
UNIQUE_COLUMNS = frozenset({"id", "pk", "_id", "uuid", "slug", "email", "username"})
# Enumeration-like reference tables: small by nature, listed whole in dropdowns.
LOOKUP_MODELS = frozenset({
    "country", "countries", "currency", "currencies", "language", "languages", "locale",
    "locales", "timezone", "timezones", "region", "regions", "province", "provinces",
    "role", "roles", "permission", "permissions", "gender", "genders",
    "plan", "plans", "tier", "tiers", "featureflag", "featureflags", "feature_flags",
    "setting", "settings", "state", "states",
})
LOOKUP_SUFFIXES = ("type", "types", "kind", "kinds", "status", "statuses", "choice", "choices")

# Calls whose result is a number or a flag, never rows.
SCALAR_FUNCS = frozenset({
    "len", "sum", "min", "max", "any", "all", "bool", "int", "float", "round", "abs",
    "str", "hash", "id", "isinstance", "Count", "Sum", "Avg", "Max", "Min",
})
# Calls that carry their arguments into the response unchanged (no doubt added).
WRAPPERS = frozenset({
    "jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse", "UJSONResponse", "Response",
    "json_response", "make_response", "dumps", "dump", "list", "dict", "tuple", "sorted",
    "set", "reversed", "map", "enumerate", "zip", "jsonable_encoder", "serialize",
    "model_validate", "from_orm", "parse_obj_as", "validate_python", "marshal",
    "HttpResponse", "StreamingHttpResponse", "PlainTextResponse", "HTMLResponse",
    "get_serializer", "to_representation", "render", "render_template", "TemplateResponse",
    "render_to_response", "render_to_string", "chain", "filter", "dumps_json",
})
TEMPLATE_CALLS = frozenset({"render", "render_template", "TemplateResponse",
                            "render_to_response", "render_to_string"})
# Attributes that hold the payload of a serializer, schema result or page object.
DATA_ATTRS = frozenset({"data", "items", "object_list", "results", "validated_data"})
# Page objects and response models from pagination libraries.
PAGE_TYPES = frozenset({"Page", "LimitOffsetPage", "CursorPage", "Paginated", "PaginatedResponse"})
MONGO_PACKAGES = frozenset({"pymongo", "motor", "flask_pymongo", "mongoengine", "beanie",
                            "odmantic", "bson", "flask_mongoengine"})
# Libraries whose functions never hide one of the project's queries.
KNOWN_LIBRARIES = frozenset(sys.stdlib_module_names) | frozenset({
    "flask", "django", "rest_framework", "fastapi", "starlette", "aiohttp", "sqlalchemy",
    "sqlmodel", "pydantic", "marshmallow", "werkzeug", "jinja2", "flask_sqlalchemy",
    "flask_login", "flask_jwt_extended", "pymongo", "motor", "bson", "fastapi_pagination",
    "flask_smorest", "flask_restful", "flask_restx", "webargs", "orjson", "ujson",
    "pytz", "dateutil", "arrow", "pendulum", "requests", "httpx", "celery", "redis",
    # database drivers: their pool/connection helpers open cursors, the SQL decides
    "asyncpg", "psycopg2", "psycopg", "aiosqlite", "databases", "pymysql", "MySQLdb",
    "aiomysql", "asyncmy", "mysql", "aiopg", "cx_Oracle", "oracledb", "pyodbc",
})

_SQL_SELECT = re.compile(r"^\s*\(?\s*(select|with)\b", re.IGNORECASE)
_SQL_BOUND = re.compile(
    r"\blimit\b|\bfetch\s+(first|next)\b|\btop\s*\(?\s*\d|\boffset\b|\brownum\b",
    re.IGNORECASE)
_SQL_AGGREGATE = re.compile(r"^\s*select\s+(distinct\s+)?(count|sum|avg|min|max)\s*\(",
                            re.IGNORECASE)
_SQL_GROUP = re.compile(r"\bgroup\s+by\b", re.IGNORECASE)
_SQL_WHERE = re.compile(r"\bwhere\b(.*?)(\bgroup\s+by\b|\border\s+by\b|$)",
                        re.IGNORECASE | re.DOTALL)
_SQL_UNIQUE_EQ = re.compile(r"(^|[\s(])(\w+\.)?(id|uuid|slug|email|username)\s*=(?!=)",
                            re.IGNORECASE)
_SQL_TABLE = re.compile(r"\bfrom\s+[\"`]?(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """What is known about a query expression."""

    kind: str  # sqlalchemy | django | mongo | sql | via | paged
    bounded: bool
    model: str | None = None
    filtered: bool = False
    eq_columns: tuple[str, ...] = ()  # equality filters on columns of unknown uniqueness
    via: str | None = None  # an imported function returns it; its body decides (facts)
    through: tuple[str, ...] = ()  # imported functions the query was passed through
    passed: bool = False  # the value of ``helper(query)``: rows only if helper returns them
    single: bool = False  # one row: its relations (``order.items.all()``) are new queries
    grouped: bool = False  # GROUP BY: one row per group (treated as bounded)
    valued: bool = False  # Django ``values(...)``: a following ``annotate`` groups by them
    applied: bool = False  # a "via" whose result got ``.all()``/``.filter()`` here
    collection: bool = False  # a Mongo collection object: rows only once find() runs
    owned: bool = False  # ``filtered`` only by the requesting user: that user's own rows

    def bound(self) -> Query:
        return replace(self, bounded=True)


@dataclass
class Scope:
    """A function being read, with parameters bound to a caller's arguments."""

    fn: cst.FunctionDef | None
    flow: Flow
    class_name: str | None
    bindings: dict[str, tuple[cst.BaseExpression, Scope]] = field(default_factory=dict)
    depth: int = 0
    _calls: dict[str, list[cst.Call]] | None = None  # receiver name -> method calls on it
    _paged: set[str] | None = None  # names handed to a pagination call
    _loop_names: set[str] | None = None  # ``for row in rows`` targets: one row each

    def loop_names(self) -> set[str]:
        if self._loop_names is None:
            self._scan()
        assert self._loop_names is not None
        return self._loop_names

    def calls_on(self, name: str) -> list[cst.Call]:
        if self._calls is None:
            self._scan()
        assert self._calls is not None
        return self._calls.get(name, [])

    def paged_names(self) -> set[str]:
        if self._paged is None:
            self._scan()
        assert self._paged is not None
        return self._paged

    def _scan(self) -> None:
        visitor = _ScopeCalls(self.fn)
        if self.fn is not None:
            walk(self.fn, visitor)
        self._calls, self._paged, self._loop_names = visitor.calls, visitor.paged, visitor.loops


class _ScopeCalls(cst.CSTVisitor):
    """Method calls by receiver name, names handed to a pager, and loop targets of one
    function (not of the functions nested in it)."""

    def __init__(self, root: cst.FunctionDef | None) -> None:
        self.root = root
        self.calls: dict[str, list[cst.Call]] = {}
        self.paged: set[str] = set()
        self.loops: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            self.calls.setdefault(func.value.value, []).append(node)
        if is_paging_name(last_name(func)):
            for arg in node.args:
                if isinstance(arg.value, cst.Name):
                    self.paged.add(arg.value.value)

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self.loops.add(node.target.value)


@dataclass(frozen=True)
class Hit:
    """An unbounded query whose rows reach the response."""

    node: cst.CSTNode
    query: Query
    through: tuple[str, ...]
    doubts: tuple[str, ...]


def is_paging_name(name: str | None) -> bool:
    return bool(name) and "paginat" in name.lower()


def is_lookup_model(model: str | None) -> bool:
    if not model:
        return False
    low = model.lower()
    return low in LOOKUP_MODELS or (low.endswith(LOOKUP_SUFFIXES) and low not in LOOKUP_SUFFIXES)


def helper_matches(qualname: str, configured: tuple[str, ...]) -> bool:
    """``app.db.paged`` matches a configured ``paged`` or ``app.db.paged``."""
    bare = qualname.lstrip(".")
    return any(calls.names_match(bare, name) or bare.split(".")[-1] == name
               for name in configured)


def _has_slice(sub: cst.Subscript) -> bool:
    return any(isinstance(el.slice, cst.Slice) for el in sub.slice)


def _capitalised(node: cst.BaseExpression) -> str | None:
    name = dotted_name(node)
    if name is None:
        return None
    last = name.split(".")[-1]
    return last if last[:1].isupper() else None


class QueryAnalyzer:
    """Classifies query expressions of one module."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.imports = ctx.imports
        tops = ctx.imports.top_packages
        self.mongo = bool(tops & MONGO_PACKAGES)
        self.sqlalchemy = bool(tops & {"sqlalchemy", "sqlmodel", "flask_sqlalchemy"})
        self.tortoise = "tortoise" in tops
        self._self_classes: dict[str, dict[str, cst.BaseExpression]] = {}
        self._words: frozenset[str] | None = None

    def self_attribute_class(self, class_name: str | None,
                             attr: str) -> cst.BaseExpression | None:
        """``Repo`` for ``self.repo`` when a method of the class assigns
        ``self.repo = Repo(...)`` (a service holding its repository)."""
        if class_name is None:
            return None
        if class_name not in self._self_classes:
            found: dict[str, cst.BaseExpression] = {}
            for key, fn in self.ctx.module_functions.items():
                if key.startswith(class_name + "."):
                    for target, value in _self_assignments(fn):
                        if isinstance(value, cst.Call) and _capitalised(value.func):
                            found.setdefault(target, value.func)
            self._self_classes[class_name] = found
        return self._self_classes[class_name].get(attr)

    def scope(self, fn: cst.FunctionDef, class_name: str | None) -> Scope:
        return Scope(fn, self.ctx.flow(fn), class_name)

    def may_query(self, fn: cst.FunctionDef) -> bool:
        """Can any expression of ``fn`` classify as an unbounded query? False only when
        ``fn`` names nothing a query is built from (see ``_query_words``); reading a
        function's names costs far less than following its returned values."""
        if self.mongo or self.tortoise:
            return True  # collections and models are recognised by other means
        return not _names(fn).isdisjoint(self._query_words())

    def _query_words(self) -> frozenset[str]:
        """Every identifier one of ``classify``'s paths to an unbounded query starts from:
        query APIs, names imported from the project, module-level names and ``self``
        attributes holding an object (``repo = Repo()``, ``self.repo = Repo()``), and the
        names of the module's functions and methods that may query themselves (a helper
        is followed into its body)."""
        if self._words is None:
            words = set(QUERY_WORDS)
            words.update(local for local, qual in self.imports.names.items()
                         if qual.lstrip(".").split(".")[0] not in KNOWN_LIBRARIES)
            words.update(name for name, values in self.ctx.flow(self.ctx.module).values.items()
                         if any(isinstance(v, cst.Call) for v in values))
            for assign in descendants(self.ctx.module, cst.Assign):
                if isinstance(assign.value, cst.Call):
                    words.update(t.target.attr.value for t in assign.targets
                                 if isinstance(t.target, cst.Attribute))
            functions = {key: _names(fn) for key, fn in self.ctx.module_functions.items()}
            grown = True
            while grown:  # a function calling one that may query may query too
                grown = False
                for key, names in list(functions.items()):
                    if not names.isdisjoint(words):
                        words.update(key.split("."))
                        del functions[key]
                        grown = True
            self._words = frozenset(words)
        return self._words

    # ------------------------------------------------------------------ classify
    def classify(self, expr: cst.BaseExpression, scope: Scope,
                 seen: frozenset[str] = frozenset()) -> Query | None:
        # A parameter bound to a caller's argument can lead back to the same expression
        # (``version = get_version(version)``): never classify one expression twice at once.
        key = (id(expr), id(scope.fn))
        active: set[tuple[int, int]] = self.__dict__.setdefault("_classifying", set())
        if key in active:
            return None
        active.add(key)
        try:
            return self._classify(expr, scope, seen)
        finally:
            active.discard(key)

    def _classify(self, expr: cst.BaseExpression, scope: Scope,
                  seen: frozenset[str]) -> Query | None:
        if scope.depth > MAX_CALLS:
            return None
        if isinstance(expr, cst.Await):
            return self.classify(expr.expression, scope, seen)
        if isinstance(expr, cst.Name):
            return self._name(expr.value, scope, seen)
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, scope, seen)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, scope, seen)
        if isinstance(expr, cst.Call):
            return self._call(expr, scope, seen)
        return None

    def _name(self, name: str, scope: Scope, seen: frozenset[str]) -> Query | None:
        if name in scope.bindings:
            arg, caller = scope.bindings[name]
            return self.classify(arg, caller)
        if name in seen:
            return Query("self", False)  # ``q = q.filter(...)``: what is applied to q counts
        if name in scope.paged_names():
            return Query("paged", True)
        found = [q for v in scope.flow.values_of(name)
                 if (q := self.classify(v, scope, seen | {name})) is not None]
        # ``with cursor() as cur`` from the project's own db module is only a "via": the
        # SQL the cursor executes says more than the function that opened it.
        if all(q.kind == "via" for q in found) and name not in scope.flow.params and \
                self._is_cursor(name, scope):
            executed = [q for call in scope.calls_on(name)
                        if last_name(call.func) in EXEC_METHODS
                        and (q := self._exec(call, scope, seen | {name})) is not None]
            found = executed or found
        return merge(found)

    def _is_cursor(self, name: str, scope: Scope) -> bool:
        """A DB-API cursor: rows come from an earlier ``cur.execute(sql)`` on the same name."""
        return "cur" in name.lower() or any(
            last_name(c.func) in ("fetchall", "fetchone", "fetchmany")
            for c in scope.calls_on(name))

    def _subscript(self, expr: cst.Subscript, scope: Scope, seen: frozenset[str]) -> Query | None:
        inner = self.classify(expr.value, scope, seen)
        if inner is not None:
            return inner.bound()  # a slice is a window, an index is one row
        key = string_value(expr.slice[0].slice.value) if isinstance(
            expr.slice[0].slice, cst.Index) else None
        if key and self.mongo and self._mongo_db(expr.value):
            return Query("mongo", False, model=key, collection=True)
        return None

    def _attribute(self, expr: cst.Attribute, scope: Scope,
                   seen: frozenset[str]) -> Query | None:
        attr, value = expr.attr.value, expr.value
        if attr == "query" and (_capitalised(value) or dotted_name(value) in ("cls", "self.model")):
            return Query("sqlalchemy", False, model=_capitalised(value))
        if attr == "objects" and _capitalised(value):
            return Query("django", False, model=_capitalised(value))
        if attr == "queryset" and dotted_name(value) == "self":
            return Query("django", False)
        if self.mongo and self._mongo_db(value) and not attr.startswith("_"):
            return Query("mongo", False, model=attr, collection=True)
        inner = self.classify(value, scope, seen)
        if inner is not None and inner.bounded and not inner.single:
            return inner  # ``page.items`` of a paginated query
        return None

    def _mongo_db(self, node: cst.BaseExpression) -> bool:
        name = dotted_name(node)
        if name is None and isinstance(node, cst.Subscript):
            index = node.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            return bool(key and ("db" in key.lower() or "mongo" in key.lower())) or \
                self._mongo_db(node.value)
        if name is None:
            return False
        last = name.split(".")[-1].lower()
        return last in ("db", "database", "mongo_db", "mongodb") or last.endswith("_db")

    def _local_function(self, call: cst.Call, scope: Scope) -> cst.FunctionDef | None:
        """A same-module function, method of ``self``, or method of a same-module class
        instance (``repo = ItemRepo(db)`` or a parameter annotated ``repo: ItemRepo``)."""
        helper = self.ctx.local_function(call, scope.fn)
        if helper is not None or not isinstance(call.func, cst.Attribute):
            return helper
        recv = call.func.value
        if isinstance(recv, cst.Call) and isinstance(recv.func, cst.Name):
            return self.ctx.module_functions.get(f"{recv.func.value}.{call.func.attr.value}")
        if isinstance(recv, cst.Attribute) and dotted_name(recv.value) == "self":
            cls = self.self_attribute_class(scope.class_name, recv.attr.value)
            return self.ctx.module_functions.get(f"{cls.value}.{call.func.attr.value}") \
                if isinstance(cls, cst.Name) else None
        if not isinstance(recv, cst.Name) or recv.value in ("self", "cls"):
            return None
        candidates = [v.func for v in scope.flow.values_of(recv.value) if isinstance(v, cst.Call)]
        annotation = _param_annotation(scope.fn, recv.value)
        if annotation is not None:
            candidates.append(annotation)
        for cls in candidates:
            if isinstance(cls, cst.Name):
                method = self.ctx.module_functions.get(f"{cls.value}.{call.func.attr.value}")
                if method is not None:
                    return method
        return None

    def _mongo_collection(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
        """``db.items``, ``app["db"]["items"]``, ``events_collection``: a Mongo collection."""
        if isinstance(node, (cst.Attribute, cst.Subscript)) and self._mongo_db(node.value):
            return True
        if isinstance(node, cst.Name):
            if node.value.lower().endswith(("collection", "_coll")):
                return True
            return depth < MAX_CALLS - 1 and any(self._mongo_collection(v, scope, depth + 1)
                                     for v in scope.flow.values_of(node.value))
        if isinstance(node, cst.Attribute) and dotted_name(node.value) == "self":
            # a repository holding its collection: ``self.collection = db["readings"]``
            attr = node.attr.value
            return attr.lower().endswith(("collection", "_coll")) or (
                depth < MAX_CALLS - 1 and any(self._mongo_collection(v, scope, depth + 1)
                                  for v in self._self_values(scope.class_name, attr)))
        return False

    def _self_values(self, class_name: str | None, attr: str) -> list[cst.BaseExpression]:
        """Every value a method of ``class_name`` assigns to ``self.<attr>``."""
        if class_name is None:
            return []
        return [value for key, fn in self.ctx.module_functions.items()
                if key.startswith(class_name + ".")
                for target, value in _self_assignments(fn) if target == attr]

    def _call(self, call: cst.Call, scope: Scope, seen: frozenset[str]) -> Query | None:
        func = call.func
        if isinstance(func, cst.Attribute):
            return self._method(call, func, scope, seen)
        name = func.value if isinstance(func, cst.Name) else None
        if name is None:
            return None
        qual = self.imports.qualname(func) or ""
        if is_paging_name(name) or helper_matches(qual or name, self.ctx.config.pagination_helpers):
            return Query("paged", True)
        if name in SINGLE_ROW_FUNCS:
            return Query("django" if qual.startswith("django") else "sqlalchemy", True,
                         single=True)
        if name == "select" and (qual.startswith(("sqlalchemy", "sqlmodel")) or
                                 (not qual and self.sqlalchemy)):
            return self._select(call)
        if name in ("list", "tuple", "sorted", "reversed", "set") and call.args:
            return self.classify(call.args[0].value, scope, seen)
        helper = self._local_function(call, scope)
        if helper is not None:
            return self._helper(call, helper, scope)
        if qual:
            return self._imported(call, qual, scope, seen)
        return None

    def _method(self, call: cst.Call, func: cst.Attribute, scope: Scope,
                seen: frozenset[str]) -> Query | None:
        method, recv = func.attr.value, func.value
        inner = self.classify(recv, scope, seen)
        if inner is not None and inner.kind == "via" and method in EXEC_METHODS:
            # ``get_db().execute(sql)``: the statement decides, not the connection helper
            executed = self._exec(call, scope, seen)
            if executed is not None:
                return executed
        if inner is not None:
            applied = self._apply(inner, method, call, scope, seen)
            if applied is not None or inner.kind != "sql":
                return applied
        if is_paging_name(method):
            return Query("paged", True)
        if method in RELATED_QUERY_METHODS and isinstance(recv, cst.Attribute) and \
                self._one_row(recv.value, scope, seen):
            return Query("django" if "django" in self.ctx.frameworks else "sqlalchemy", False,
                         model=recv.attr.value, filtered=True,
                         owned=self._requesting_user(recv.value, scope))
        if method == "query" and call.args and self._modelish(call.args[0].value):
            first = call.args[0].value
            model = _capitalised(first) or _capitalised(getattr(first, "value", None))
            if isinstance(first, cst.Call):
                return Query("sqlalchemy", True, model=model)  # func.count(...) and friends
            return Query("sqlalchemy", False, model=model)
        if method in EXEC_METHODS:
            return self._exec(call, scope, seen)
        if method in ("fetchall", "fetchmany", "fetchone") and isinstance(recv, cst.Name):
            return None  # a cursor with no execute() we can read
        if method in ("find", "find_all") and (self.mongo or self._mongo_collection(recv, scope)) \
                and not isinstance(recv, (cst.SimpleString, cst.FormattedString)):
            # only the filter selects documents; a projection (``{"_id": 0}``) does not
            selector = get_arg(call, "filter", 0)
            return self._filtered(Query("mongo", False, model=_capitalised(recv) or
                                        last_name(recv)), method,
                                  call.with_changes(args=[selector] if selector else []))
        if method == "select" and not call.args and isinstance(recv, cst.Name):
            return Query("sqlalchemy", False, model=recv.value)  # Table.select(), peewee
        if method == "select" and call.args and (
                dotted_name(recv) in ("db", "sa", "sqlalchemy", "sqlmodel") or
                self.imports.is_from(recv, "sqlalchemy", "sqlmodel")):
            return self._select(call)  # Flask-SQLAlchemy 3 ``db.select(User)``, ``sa.select``
        if method in ("all", "filter") and self.tortoise and _capitalised(recv):
            return self._filtered(Query("tortoise", False, model=_capitalised(recv)),
                                  method, call) if method == "filter" else \
                Query("tortoise", False, model=_capitalised(recv))
        if method in SINGLE_ROW_METHODS and isinstance(recv, (cst.Name, cst.Attribute)) and \
                call.args and _capitalised(call.args[0].value):
            return Query("sqlalchemy", True, single=True)  # session.get(User, pk)
        if method in ("get_queryset", "filter_queryset") and dotted_name(recv) == "self":
            helper = self._local_function(call, scope)
            if helper is not None:
                return self._helper(call, helper, scope)
            return Query("django", False)
        helper = self._local_function(call, scope)
        if helper is not None:
            return self._helper(call, helper, scope)
        via = self._method_qualname(recv, method, scope)
        if via is not None:
            return self._imported(call, via, scope, seen)
        return None

    def _one_row(self, node: cst.BaseExpression, scope: Scope, seen: frozenset[str]) -> bool:
        """``request.user``, or an object loaded with get()/first()/get_object_or_404()."""
        name = dotted_name(node)
        if name in ("request.user", "self.request.user", "current_user", "g.user"):
            return True
        if isinstance(node, cst.Call) and last_name(node.func) == "get_object" and \
                dotted_name(getattr(node.func, "value", None)) == "self":
            return True
        if isinstance(node, cst.Name) and node.value not in seen and any(
                self._one_row(v, scope, seen | {node.value})
                for v in scope.flow.values_of(node.value)):
            return True
        query = self.classify(node, scope, seen)
        return query is not None and query.single

    def _modelish(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return self._modelish(node.func) or any(self._modelish(a.value) for a in node.args)
        return _capitalised(node) is not None or dotted_name(node) in ("self.model", "cls.model") \
            or (isinstance(node, cst.Attribute) and _capitalised(node.value) is not None)

    def _apply(self, inner: Query, method: str, call: cst.Call, scope: Scope,
               seen: frozenset[str]) -> Query | None:
        if inner.bounded:
            return inner
        inner = replace(inner, collection=False)
        if method == "to_list":
            arg = get_arg(call, "length", 0)
            if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                return inner
            return inner.bound()
        if method in BOUNDING_METHODS or is_paging_name(method):
            return replace(inner, bounded=True, single=method in SINGLE_ROW_METHODS)
        inner = replace(inner, passed=False, applied=inner.kind == "via")
        if method == "raw" and call.args:  # Model.objects.raw(sql): the SQL decides
            text = self.sql_text(call.args[0].value, scope)
            query = sql_query(text) if text is not None else None
            return replace(query, model=inner.model) if query is not None else None
        if method in FILTER_METHODS:
            return self._filtered(inner, method, call, scope)
        # A grouped aggregate returns one row per group (per month, per status): a
        # reviewer reads it as a report, not as a listing of the table.
        if method == "group_by" or (method == "annotate" and inner.valued):
            return replace(inner, bounded=True, grouped=True)
        if method in ("values", "values_list"):
            return replace(inner, valued=True)
        if method in QUERY_METHODS:
            return inner
        return None  # some attribute of one row (row.to_dict(), row.save())

    def _filtered(self, query: Query, method: str, call: cst.Call,
                  scope: Scope | None = None) -> Query:
        """Apply filter arguments: one row when a unique column is compared for equality.

        A query scoped to a request value (``owner_id=user.id``) is marked ``filtered``:
        still unbounded, but usually smaller, so findings on it get a lower confidence.
        It is ``owned`` while every such value is the requesting user: one user's own
        rows (orders, tasks, messages) grow with that user's use, unlike the children
        of one parent object.
        """
        columns: list[tuple[str, bool, cst.BaseExpression | None]] = []  # column, eq, value
        for arg in call.args:
            value = arg.value
            if arg.keyword is not None:
                base, _, lookup = arg.keyword.value.partition("__")
                columns.append((base, lookup in ("", "exact", "in", "iexact"), value))
            elif isinstance(value, cst.Comparison):
                columns.extend(_comparison_columns(value))
            elif isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                    value.func.attr.value in ("in_", "is_") and \
                    isinstance(value.func.value, cst.Attribute):
                columns.append((value.func.value.attr.value, True,
                                value.args[0].value if value.args else None))
            elif isinstance(value, cst.Dict):
                for el in value.elements:
                    if isinstance(el, cst.DictElement):
                        is_eq = not isinstance(el.value, cst.Dict) or _mongo_in(el.value)
                        columns.append((string_value(el.key) or "", is_eq, el.value))
            else:
                columns.append(("", False, None))
        if not columns:
            return query
        if any(eq and col in UNIQUE_COLUMNS for col, eq, _ in columns):
            return query.bound()
        eq = tuple(col for col, is_eq, _ in columns if is_eq and col)
        values = [v for _, is_eq, v in columns if is_eq and v is not None and not is_literal(v)]
        if not values:
            return replace(query, eq_columns=query.eq_columns + eq)
        owned = (query.owned or not query.filtered) and scope is not None and all(
            self._requesting_user(v, scope) for v in values)
        return replace(query, filtered=True, owned=owned, eq_columns=query.eq_columns + eq)

    def _requesting_user(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
        """``request.user``, ``current_user.id``, or a local name holding one of them."""
        if isinstance(expr, cst.Attribute) and expr.attr.value in ("id", "pk"):
            expr = expr.value
        name = dotted_name(expr)
        if name in REQUEST_USERS:
            return True
        if isinstance(expr, cst.Name) and depth < MAX_CALLS and name not in scope.bindings:
            values = scope.flow.values_of(expr.value)
            return bool(values) and all(self._requesting_user(v, scope, depth + 1)
                                        for v in values)
        return False

    def _select(self, call: cst.Call) -> Query:
        if not call.args:
            return Query("sqlalchemy", False)
        first = call.args[0].value
        if isinstance(first, cst.Call):  # select(func.count(...)) is one number
            return Query("sqlalchemy", True)
        model = _capitalised(first) or (
            _capitalised(first.value) if isinstance(first, cst.Attribute) else None)
        return Query("sqlalchemy", False, model=model)

    def _exec(self, call: cst.Call, scope: Scope, seen: frozenset[str]) -> Query | None:
        arg = get_arg(call, "statement", 0) or get_arg(call, "query", 0) or \
            get_arg(call, "sql", 0)
        if arg is None:
            return None
        stmt = self.classify(arg.value, scope, seen)
        if stmt is not None:
            return stmt
        text = self.sql_text(arg.value, scope)
        return sql_query(text) if text is not None else None

    def sql_text(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The literal text of SQL given as a string, a name of one, or ``text("...")``."""
        if depth > MAX_CALLS:  # pieces of one SQL text: few
            return None
        value = string_value(expr)
        if value is not None:
            return value
        if isinstance(expr, cst.FormattedString):
            return "".join(p.value if isinstance(p, cst.FormattedStringText) else " ? "
                           for p in expr.parts)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left = self.sql_text(expr.left, scope, depth + 1)
            right = self.sql_text(expr.right, scope, depth + 1)
            if left is not None or right is not None:
                return (left or " ? ") + (right or " ? ")
            return None
        if isinstance(expr, cst.Call) and last_name(expr.func) in ("text", "SQL") and expr.args:
            return self.sql_text(expr.args[0].value, scope, depth + 1)
        if isinstance(expr, cst.Name):
            texts = [t for v in scope.flow.values_of(expr.value)
                     if (t := self.sql_text(v, scope, depth + 1)) is not None]
            return " ".join(texts) if texts else None
        return None

    def _helper(self, call: cst.Call, helper: cst.FunctionDef, scope: Scope) -> Query | None:
        if scope.depth >= MAX_CALLS:
            return None
        inner = Scope(helper, self.ctx.flow(helper), scope.class_name,
                      bind_arguments(helper, call, scope), scope.depth + 1)
        return merge([q for ret in inner.flow.returns
                      if (q := self.classify(ret, inner)) is not None])

    def _imported(self, call: cst.Call, qual: str, scope: Scope,
                  seen: frozenset[str]) -> Query | None:
        if qual.lstrip(".").split(".")[0] in KNOWN_LIBRARIES:
            return None
        if helper_matches(qual, self.ctx.config.pagination_helpers):
            return Query("paged", True)
        for arg in call.args:
            passed = self.classify(arg.value, scope, seen)
            if passed is not None and not passed.bounded and passed.kind not in ("via", "self"):
                return replace(passed, through=passed.through + (qual,), passed=True)
        if qual.split(".")[-1][:1].isupper():
            return None  # a class: ``Repo(session)`` is an object, its methods may query
        return Query("via", False, via=qual)

    def _method_qualname(self, recv: cst.BaseExpression, method: str,
                         scope: Scope) -> str | None:
        """``svc.list_all()`` on a service the module imports: ``app.services.Svc.list_all``."""
        if isinstance(recv, cst.Name):
            qual = self.imports.qualname(recv)
            if qual is not None:
                return f"{qual}.{method}"
            values = scope.flow.values_of(recv.value) or \
                self.ctx.flow(self.ctx.module).values_of(recv.value)
            for value in values:
                if isinstance(value, cst.Call):
                    cls = self.imports.qualname(value.func)
                    if cls is not None and cls.split(".")[-1][:1].isupper():
                        return f"{cls}.{method}"
            annotation = _param_annotation(scope.fn, recv.value)
            if annotation is not None:
                cls = self.imports.qualname(annotation)
                if cls is not None:
                    return f"{cls}.{method}"
        elif isinstance(recv, cst.Attribute):
            qual = self.imports.qualname(recv)
            if qual is not None:
                return f"{qual}.{method}"
            if dotted_name(recv.value) == "self":
                cls_node = self.self_attribute_class(scope.class_name, recv.attr.value)
                cls = self.imports.qualname(cls_node) if cls_node is not None else None
                if cls is not None:
                    return f"{cls}.{method}"
        elif isinstance(recv, cst.Call) and isinstance(recv.func, (cst.Name, cst.Attribute)):
            cls = self.imports.qualname(recv.func)  # ``OrderRepository(session).list()``
            if cls is not None and cls.split(".")[-1][:1].isupper():
                return f"{cls}.{method}"
        return None

    # --------------------------------------------------------------------- reach
    def reach(self, expr: cst.BaseExpression, scope: Scope, through: tuple[str, ...] = (),
              doubts: tuple[str, ...] = (), seen: frozenset[str] = frozenset()
              ) -> Iterator[Hit]:
        """Unbounded queries whose rows ``expr`` (a response or returned value) carries."""
        if scope.depth > MAX_CALLS or len(seen) > MAX_DEPTH:
            return
        if isinstance(expr, cst.Name):
            yield from self._reach_name(expr, scope, through, doubts, seen)
            return
        if isinstance(expr, cst.Call) and (
                last_name(expr.func) in ("list", "tuple", "sorted", "reversed", "set")
                or self._local_function(expr, scope) is not None):
            # a wrapper or a same-module helper: the rows come from inside, report there
            yield from self._descend(expr, scope, through, doubts, seen)
            return
        query = self.classify(expr, scope)
        if query is not None and query.collection:
            return
        if query is not None and not query.passed:
            if query.bounded:
                return
            yield Hit(self._origin(expr, scope), query, through + query.through, doubts)
            if query.kind != "via" or query.applied:
                return
        yield from self._descend(expr, scope, through, doubts, seen)

    def _origin(self, expr: cst.BaseExpression, scope: Scope) -> cst.BaseExpression:
        """Where the rows of ``expr`` were selected: ``result.scalars().all()`` came from
        ``result = session.execute(stmt)``, ``list(qs.values())`` from ``qs = X.objects...``."""
        node = expr
        materialised = False
        while True:
            if isinstance(node, cst.Await):
                node = node.expression
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                    node.func.attr.value in SHAPING_METHODS:
                materialised = materialised or node.func.attr.value in ("all", "fetchall")
                node = node.func.value
            else:
                break
        if node is expr or not isinstance(node, cst.Name) or node.value in scope.bindings:
            return expr
        for value in scope.flow.values_of(node.value):
            query = self.classify(value, scope)
            if query is None or query.bounded:
                continue
            if materialised and query.kind == "sqlalchemy":
                return expr  # ``result.scalars().all()`` is where a SQLAlchemy result loads
            if query.kind in ("django", "mongo") or _executes(value):
                return value
        if self._is_cursor(node.value, scope):
            for call in scope.calls_on(node.value):
                if last_name(call.func) in EXEC_METHODS:
                    return call
        return expr

    def _reach_name(self, expr: cst.Name, scope: Scope, through: tuple[str, ...],
                    doubts: tuple[str, ...], seen: frozenset[str]) -> Iterator[Hit]:
        name = expr.value
        if name in seen:
            return
        if name in scope.bindings:
            arg, caller = scope.bindings[name]
            yield from self.reach(arg, caller, through, doubts, seen)
            return
        query = self._name(name, scope, frozenset())
        if query is not None and (query.bounded or query.collection):
            return
        values = scope.flow.values_of(name)
        if any(isinstance(v, (cst.Integer, cst.Float)) for v in values):
            return  # a running total, not rows
        found = False
        for value in values:
            for hit in self.reach(value, scope, through, doubts, seen | {name}):
                found = True
                yield hit
            if isinstance(value, (cst.List, cst.Dict)) and not value.elements:
                for call in scope.calls_on(name):
                    if last_name(call.func) in ("append", "extend", "update", "insert"):
                        for arg in call.args:
                            for hit in self.reach(arg.value, scope, through, doubts,
                                                  seen | {name}):
                                found = True
                                yield hit
        for call in self._writes_into(name, scope):
            for arg in call.args:
                for hit in self.reach(arg.value, scope, through, doubts, seen | {name}):
                    found = True
                    yield hit
        if query is not None and not found:
            execs = [c for c in scope.calls_on(name) if last_name(c.func) in EXEC_METHODS]
            yield Hit(execs[0] if execs else expr, query, through + query.through, doubts)

    def _writes_into(self, name: str, scope: Scope) -> list[cst.Call]:
        """``response.write(...)``, or ``writer = csv.writer(response)`` then
        ``writer.writerows(rows)``: what is written ends up in ``name``."""
        writers = {name} | {
            target for target, values in scope.flow.values.items()
            if any(isinstance(v, cst.Call) and any(
                isinstance(a.value, cst.Name) and a.value.value == name for a in v.args)
                for v in values)}
        return [call for writer in writers for call in scope.calls_on(writer)
                if (last_name(call.func) or "").startswith("write")]

    def _descend(self, expr: cst.BaseExpression, scope: Scope, through: tuple[str, ...],
                 doubts: tuple[str, ...], seen: frozenset[str]) -> Iterator[Hit]:
        parts: list[cst.BaseExpression] = []
        if isinstance(expr, cst.Await):
            parts = [expr.expression]
        elif isinstance(expr, cst.Call):
            yield from self._reach_call(expr, scope, through, doubts, seen)
            return
        elif isinstance(expr, cst.Attribute):
            # ``serializer.data``, ``page.items``, or a field of each row of a loop
            if expr.attr.value in DATA_ATTRS or (isinstance(expr.value, cst.Name) and
                                                 expr.value.value in scope.loop_names()):
                parts = [expr.value]
        elif isinstance(expr, cst.Subscript):
            sl = expr.slice[0].slice if len(expr.slice) == 1 else None
            if isinstance(sl, cst.Index) and string_value(sl.value) is not None:
                parts = [expr.value]
        elif isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            parts = [e.value for e in expr.elements]
        elif isinstance(expr, cst.Dict):
            parts = [e.value for e in expr.elements
                     if isinstance(e, (cst.DictElement, cst.StarredDictElement))]
        elif isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            comp: cst.BaseCompFor | None = expr.for_in
            while comp is not None:
                parts.append(comp.iter)
                comp = comp.inner_for_in
        elif isinstance(expr, cst.IfExp):
            parts = [expr.body, expr.orelse]
        elif isinstance(expr, cst.BooleanOperation):
            parts = [expr.left, expr.right]
        elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            parts = [expr.left, expr.right]
        elif isinstance(expr, cst.StarredElement):
            parts = [expr.value]
        for part in parts:
            yield from self.reach(part, scope, through, doubts, seen)

    def _reach_call(self, call: cst.Call, scope: Scope, through: tuple[str, ...],
                    doubts: tuple[str, ...], seen: frozenset[str]) -> Iterator[Hit]:
        func = call.func
        name = last_name(func) or ""
        if name in SCALAR_FUNCS or name in BOUNDING_METHODS or is_paging_name(name):
            return
        qual = self.imports.qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if helper_matches(qual or name, self.ctx.config.pagination_helpers):
            return
        helper = self._local_function(call, scope)
        if helper is not None and scope.depth < MAX_CALLS:
            inner = Scope(helper, self.ctx.flow(helper), scope.class_name,
                          bind_arguments(helper, call, scope), scope.depth + 1)
            for ret in inner.flow.returns:
                yield from self.reach(ret, inner, through, doubts, seen)
            return
        if name in TEMPLATE_CALLS:
            doubts = doubts + ("template",)
        elif name not in WRAPPERS and not name.endswith(("Serializer", "Schema", "Response")):
            doubts = doubts + ("helper",)
            through = through + ((qual or name),)
        if isinstance(func, cst.Attribute):
            recv = func.value
            # ``row.to_dict()`` carries a row; ``qs.update()`` / ``qs.delete()`` return counts
            if name not in NON_ROW_METHODS:
                yield from self.reach(recv, scope, through, doubts, seen)
        for arg in call.args:
            yield from self.reach(arg.value, scope, through, doubts, seen)


class _SelfAssignments(cst.CSTVisitor):
    """``self.x = value`` statements of one method (not of functions nested in it)."""

    def __init__(self, root: cst.FunctionDef) -> None:
        self.root = root
        self.found: list[tuple[str, cst.BaseExpression]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            target = t.target
            if isinstance(target, cst.Attribute) and dotted_name(target.value) == "self":
                self.found.append((target.attr.value, node.value))


def _self_assignments(fn: cst.FunctionDef) -> list[tuple[str, cst.BaseExpression]]:
    visitor = _SelfAssignments(fn)
    walk(fn, visitor)
    return visitor.found


def _names(node: cst.CSTNode) -> set[str]:
    """Every identifier in ``node``: names, attributes, keywords, parameters."""
    return {n.value for n in descendants(node, cst.Name)}


def _executes(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Await):
        expr = expr.expression
    return isinstance(expr, cst.Call) and last_name(expr.func) in EXEC_METHODS | {
        "find", "find_all", "all", "fetchall", "scalars"}


def _comparison_columns(
        comp: cst.Comparison) -> list[tuple[str, bool, cst.BaseExpression | None]]:
    out: list[tuple[str, bool, cst.BaseExpression | None]] = []
    for target in comp.comparisons:
        left, right = comp.left, target.comparator
        eq = isinstance(target.operator, (cst.Equal, cst.In))
        if isinstance(left, cst.Attribute):
            out.append((left.attr.value, eq, right))
        elif isinstance(right, cst.Attribute):
            out.append((right.attr.value, eq, left))
        else:
            out.append(("", eq, None))
    return out


def _mongo_in(node: cst.Dict) -> bool:
    keys = {string_value(el.key) for el in node.elements if isinstance(el, cst.DictElement)}
    return keys <= {"$in", "$eq"}


def merge(found: list[Query]) -> Query | None:
    """Any bound wins (a limit on some path); else the first unbounded query; else a via."""
    if not found:
        return None
    for q in found:
        if q.bounded:
            return q
    for q in found:
        if q.kind not in ("via", "self"):
            return q
    for q in found:
        if q.kind == "via":
            return q
    return None


def sql_query(text: str) -> Query | None:
    if not _SQL_SELECT.search(text):
        return None
    table = _SQL_TABLE.search(text)
    model = table.group(1) if table else None
    # The SQL parser's reading where a dialect reads the text (a LIMIT inside a subquery
    # or OFFSET alone bounds nothing, ``SELECT EXISTS (...)`` is one row); the keywords
    # where none does.
    rows = unbounded_rows(text)
    if rows is False or rows is None and (_SQL_BOUND.search(text) or
                                          _SQL_AGGREGATE.search(text)):
        return Query("sql", True, model=model)
    if _SQL_GROUP.search(text):
        return Query("sql", True, model=model, grouped=True)  # see ``_apply``: a report
    where = _SQL_WHERE.search(text)
    if where is None:
        return Query("sql", False, model=model)
    if _SQL_UNIQUE_EQ.search(where.group(1)):
        return Query("sql", True, model=model)
    return Query("sql", False, model=model, filtered=True)


def bind_arguments(fn: cst.FunctionDef, call: cst.Call,
                   caller: Scope) -> dict[str, tuple[cst.BaseExpression, Scope]]:
    """The arguments ``call`` gives ``fn``'s parameters (``flow.calls``), each read in the
    caller's scope."""
    binding = calls.bind_arguments(fn, call)
    return {name: (value, caller) for name, value in binding.arguments.items()}


def _param_annotation(fn: cst.FunctionDef | None, name: str) -> cst.BaseExpression | None:
    if fn is None:
        return None
    p = fn.params
    for param in (*p.posonly_params, *p.params, *p.kwonly_params):
        if param.name.value == name and param.annotation is not None:
            return param.annotation.annotation
    return None
