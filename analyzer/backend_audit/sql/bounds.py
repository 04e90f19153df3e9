"""Is a collection query bounded, and do its rows reach a response? Shared by the
pagination checks and their collector.

``QueryAnalyzer`` is a domain of the evaluator's value walk (flow/fold.py): the walk
resolves local names in source order, parameters bound by a followed call, the module's
helpers and methods (``flow.calls``) and ``self`` fields, within one ``Budget``; this
module says what each expression is for the unbounded-query questions (``Rows``):
whether it is a database query and, if so, whether a limit, slice, page or single-row
fetch bounds it (``Rows.query``), and which unbounded queries' rows it carries into a
response or returned value (``Rows.hits``: ``jsonify(...)``, ``Response(serializer.data)``,
a returned list, what a helper returns). The ORM vocabulary (which methods bound, which
keep every row, which execute SQL) is data below.

Bounds join as a reviewer reads them: a ``.limit()`` applied on any path that reaches
the read counts, because a query that is sometimes limited is not called "unbounded".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, last_name, string_value
from backend_audit.engines.walk import descendants
from backend_audit.engines.walk import walk as walk_tree
from backend_audit.flow import calls
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import SELF_NAMES, Callee, local_callee
from backend_audit.flow.fold import Walk, start
from backend_audit.flow.locals import Flow, is_literal
from backend_audit.flow.taint import module_indexes
from backend_audit.sql.columns import helper_runs_sql
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
# A template whose file name says it is a form (``search_form.html``, ``forms/edit.html``):
# the rows it is given fill the options of its select lists, not a result list. Two
# doubts, as for rows scoped by an equality filter: a form page, and rows that are its
# choices (a whole table of tags or shelves to pick from, however the table grows).
_FORM_TEMPLATE = re.compile(r"(?i)(^|[/_.-])forms?([/_.-]|$)")
FORM_DOUBTS = ("form page", "form choices")
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

# Calls whose first argument's rows are their rows, nothing added (no doubt).
LISTING = frozenset({"list", "tuple", "sorted", "reversed", "set"})
# ``rows = []`` then ``rows.update(...)``: what is stored ends up in the container
# (``append``/``extend``/``insert`` are the walk's own container items).
STORING_METHODS = frozenset({"update"})


@dataclass(frozen=True)
class Query:
    """What is known about a query expression."""

    kind: str  # sqlalchemy | django | mongo | sql | via | paged | tortoise
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


def _renders_form(call: cst.Call) -> bool:
    """Does ``call`` render a template whose name says it is a form (the first or, after
    Django's ``request``, the second argument, or ``template_name=``)?"""
    args = [a.value for a in call.args[:2] if a.keyword is None]
    args += [a.value for a in call.args if a.keyword is not None and
             a.keyword.value in ("template_name", "template_name_or_list")]
    for arg in args:
        name = string_value(arg)
        if name and name.endswith((".html", ".jinja", ".jinja2", ".j2")) and \
                _FORM_TEMPLATE.search(name):
            return True
    return False


@dataclass(frozen=True)
class Hit:
    """An unbounded query whose rows reach the response."""

    node: cst.CSTNode
    query: Query
    through: tuple[str, ...]
    doubts: tuple[str, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Rows:
    """What the walk knows of one value for the unbounded-query questions."""

    query: Query | None = None  # the query the value is, if any
    hits: tuple[Hit, ...] = ()  # unbounded queries whose rows the value carries
    text: str | None = None  # the literal SQL text it holds (holes read as `` ? ``)
    user: bool = False  # the requesting user, or their id
    one: bool = False  # one row object: its relations are new queries
    mongo: bool = False  # a Mongo collection object


NOTHING = Rows()


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


def _capitalised(node: cst.BaseExpression | None) -> str | None:
    name = dotted_name(node) if node is not None else None
    if name is None:
        return None
    last = name.split(".")[-1]
    return last if last[:1].isupper() else None


class _FunctionCalls(cst.CSTVisitor):
    """Method calls by receiver name, names handed to a pager, and loop targets of one
    function (not of the functions nested in it)."""

    def __init__(self, root: cst.FunctionDef | None) -> None:
        self.root = root
        self.calls: dict[str, list[cst.Call]] = {}
        self.paged: set[str] = set()
        self.loops: set[str] = set()

        self._wrapped: dict[str, set[str]] | None = None

    def wrapped(self, flow: Flow) -> dict[str, set[str]]:
        """Name -> the names given an object built around it (``w = csv.writer(resp)``)."""
        if self._wrapped is None:
            self._wrapped = {}
            for target, values in flow.values.items():
                for value in values:
                    if isinstance(value, cst.Call):
                        for arg in value.args:
                            if isinstance(arg.value, cst.Name):
                                self._wrapped.setdefault(arg.value.value, set()).add(target)
        return self._wrapped

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


_NO_CALLS = _FunctionCalls(None)  # the module body: no function's calls


# Names that never hold rows: constants and the object a method is called on.
_PLAIN_NAMES = frozenset({"None", "True", "False"}) | SELF_NAMES


class _Parts:
    """The values of one expression's parts, each walked once per build (outside the
    function's own walk the evaluator keeps no answers)."""

    __slots__ = ("found", "returned", "walk")

    def __init__(self, walk: Walk[Rows]) -> None:
        self.walk = walk
        self.found: dict[int, Rows] = {}
        self.returned: Rows | None = None

    def __call__(self, expr: cst.BaseExpression) -> Rows:
        if isinstance(expr, cst.Name) and expr.value in _PLAIN_NAMES:
            return NOTHING  # never a query, and read very often: no step spent
        found = self.found.get(id(expr))
        if found is None:
            found = self.found[id(expr)] = self.walk.value(expr)
        return found

    def returns(self, callee: Callee, call: cst.Call) -> Rows:
        """What the helper ``call`` runs returns (its parameters bound)."""
        if self.returned is None:
            self.returned = self.walk.returns(callee, call)
        return self.returned


class QueryAnalyzer:
    """The unbounded-query reading of one module's values (one instance per module
    context): a ``Domain`` of the evaluator's value walk (flow/fold.py)."""

    unknown = NOTHING
    nothing = NOTHING
    number = NOTHING

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.imports = ctx.imports
        tops = ctx.imports.top_packages
        self.mongo = bool(tops & MONGO_PACKAGES)
        self.sqlalchemy = bool(tops & {"sqlalchemy", "sqlmodel", "flask_sqlalchemy"})
        self.tortoise = "tortoise" in tops
        self._words: frozenset[str] | None = None
        self._calls: dict[int, _FunctionCalls] = {}
        self._returned: dict[int, list[Hit]] = {}

    # ------------------------------------------------------------------ questions
    def returned(self, fn: cst.FunctionDef) -> list[Hit]:
        """``hits`` without lookup tables (``is_lookup_model``), asked once per function:
        by the pagination check and by the row summaries (appmodel/collectors/
        row_summaries.py) in the same traversal."""
        found = self._returned.get(id(fn))
        if found is None:
            found = self._returned[id(fn)] = [
                h for h in self.hits(fn) if not is_lookup_model(h.query.model)]
        return found

    def hits(self, fn: cst.FunctionDef) -> list[Hit]:
        """The unbounded queries whose rows ``fn`` returns, one per query (the first
        way found)."""
        if not self.may_query(fn):
            return []
        own = start(self.ctx, self, fn)
        found: dict[int, Hit] = {}
        for ret in own.flow.returns:
            for hit in own.with_budget(Budget()).value(ret).hits:
                found.setdefault(id(hit.node), hit)
        return list(found.values())

    def may_query(self, fn: cst.FunctionDef) -> bool:
        """Can any expression of ``fn`` classify as an unbounded query? False only when
        ``fn`` names nothing a query is built from (see ``_query_words``); reading a
        function's names costs far less than following its returned values."""
        if self.mongo or self.tortoise:
            return True  # collections and models are recognised by other means
        return not _names(fn).isdisjoint(self._query_words())

    def _query_words(self) -> frozenset[str]:
        """Every identifier one of the paths to an unbounded query starts from: query
        APIs, names imported from the project, module-level names and ``self``
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

    def _index(self, walk: Walk[Rows]) -> _FunctionCalls:
        fn = walk.function
        if fn is None:
            return _NO_CALLS
        found = self._calls.get(id(fn))
        if found is None:
            found = self._calls[id(fn)] = _FunctionCalls(fn)
            walk_tree(fn, found)
        return found

    # ------------------------------------------------------------------ the domain
    def join(self, values: list[Rows]) -> Rows:
        if len(values) == 1:
            return values[0]
        if not values:
            return NOTHING
        queries = [v.query for v in values if v.query is not None]
        texts = [v.text for v in values if v.text is not None]
        return Rows(merge(queries), tuple(h for v in values for h in v.hits),
                    " ".join(texts) if texts else None, all(v.user for v in values),
                    any(v.one for v in values), any(v.mongo for v in values))

    def grow(self, before: Rows, added: Rows) -> Rows:
        return self.join([before, added])  # ``sql += " LIMIT 10"``: the text read whole

    def bound(self, value: Rows) -> Rows:
        """An argument seen from the helper: the query it is and the rows it carries
        (its text and its user are the caller's)."""
        single = value.query is not None and value.query.single
        return Rows(value.query, value.hits, one=single)

    def param(self, name: str, walk: Walk[Rows]) -> Rows:
        return NOTHING

    def free(self, name: str, walk: Walk[Rows]) -> Rows:
        return NOTHING

    def guards(self, walk: Walk[Rows]) -> frozenset[str]:
        return frozenset()

    def build(self, expr: cst.BaseExpression, walk: Walk[Rows]) -> Rows:
        if isinstance(expr, cst.Name):
            return self._name(expr, walk)
        part = _Parts(walk)
        query = self._classify(expr, walk, part)
        mongo = isinstance(expr, (cst.Attribute, cst.Subscript)) and self._mongo_db(expr.value)
        return Rows(query, self._reach(expr, walk, query, part), self._text(expr, part),
                    self._user(expr, part), self._one(expr) or (query is not None and
                                                                query.single),
                    mongo)

    # ------------------------------------------------------------------ names
    def _name(self, expr: cst.Name, walk: Walk[Rows]) -> Rows:
        name = expr.value
        if name in ("None", "True", "False"):
            return NOTHING
        found = walk.name(name, expr)
        flow = walk.flow
        if name in flow.params and not flow.values_of(name) and walk.bindings is not None \
                and name in walk.bindings:
            return found  # the caller's argument: its rows were reached there
        index = self._index(walk)
        user = name in REQUEST_USERS or found.user
        one = name == "current_user" or found.one
        mongo = name.lower().endswith(("collection", "_coll")) or found.mongo
        if name in index.paged:
            return Rows(Query("paged", True), (), found.text, user, one, mongo)
        query = found.query
        # ``with cursor() as cur`` from the project's own db module is only a "via": the
        # SQL the cursor executes says more than the function that opened it.
        execs = [c for c in index.calls.get(name, ()) if last_name(c.func) in EXEC_METHODS]
        if (query is None or query.kind == "via") and name not in flow.params and \
                self._is_cursor(name, index):
            executed = [q for call in execs if (q := self._exec(call, _Parts(walk))) is not None]
            query = merge(executed) if executed else query
        one = one or (query is not None and query.single)
        hits: tuple[Hit, ...] = ()
        if not (query is not None and (query.bounded or query.collection)) and not any(
                isinstance(v, (cst.Integer, cst.Float)) for v in flow.values_of(name)):
            # (a number is a running total, not rows)
            hits = found.hits + self._stored(name, walk, index)
            if query is not None and not hits:
                hits = (Hit(execs[0] if execs else expr, query, query.through, ()),)
        return Rows(query, hits, found.text, user, one, mongo)

    def _stored(self, name: str, walk: Walk[Rows], index: _FunctionCalls) -> tuple[Hit, ...]:
        """Rows put into ``name`` by a call: ``data = {}; data.update(rows=...)``;
        ``response.write(...)``, or ``writer = csv.writer(response)`` then
        ``writer.writerows(rows)``."""
        calls_on = index.calls
        stored: list[cst.Call] = []
        if any(isinstance(v, (cst.List, cst.Dict)) and not v.elements
               for v in walk.flow.values_of(name)):
            stored += [c for c in calls_on.get(name, ()) if last_name(c.func) in STORING_METHODS]
        writers = {name} | index.wrapped(walk.flow).get(name, set())
        stored += [call for writer in writers for call in calls_on.get(writer, ())
                   if (last_name(call.func) or "").startswith("write")]
        return tuple(h for call in stored for arg in call.args
                     for h in walk.value(arg.value).hits)

    @staticmethod
    def _is_cursor(name: str, index: _FunctionCalls) -> bool:
        """A DB-API cursor: rows come from an earlier ``cur.execute(sql)`` on the same name."""
        return "cur" in name.lower() or any(
            last_name(c.func) in ("fetchall", "fetchone", "fetchmany")
            for c in index.calls.get(name, ()))

    # ------------------------------------------------------------------ facts of a value
    @staticmethod
    def _text(expr: cst.BaseExpression, part: _Parts) -> str | None:
        """The literal text of SQL given as a string or ``text("...")``."""
        value = string_value(expr)
        if value is not None:
            return value
        if isinstance(expr, cst.FormattedString):
            return "".join(p.value if isinstance(p, cst.FormattedStringText) else " ? "
                           for p in expr.parts)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left, right = part(expr.left).text, part(expr.right).text
            if left is not None or right is not None:
                return (left or " ? ") + (right or " ? ")
            return None
        if isinstance(expr, cst.Call) and last_name(expr.func) in ("text", "SQL") and expr.args:
            return part(expr.args[0].value).text
        return None

    @staticmethod
    def _user(expr: cst.BaseExpression, part: _Parts) -> bool:
        """``request.user``, ``current_user.id``, or a local name holding one of them."""
        if isinstance(expr, cst.Attribute) and expr.attr.value in ("id", "pk"):
            base = expr.value
            if dotted_name(base) in REQUEST_USERS:
                return True
            return isinstance(base, cst.Name) and part(base).user
        return dotted_name(expr) in REQUEST_USERS

    @staticmethod
    def _one(expr: cst.BaseExpression) -> bool:
        """``request.user``, or an object loaded with ``self.get_object()``."""
        if dotted_name(expr) in ("request.user", "self.request.user", "g.user"):
            return True
        return isinstance(expr, cst.Call) and last_name(expr.func) == "get_object" and \
            dotted_name(getattr(expr.func, "value", None)) == "self"

    # ------------------------------------------------------------------ reach
    def _reach(self, expr: cst.BaseExpression, walk: Walk[Rows], query: Query | None,
               part: _Parts) -> tuple[Hit, ...]:
        """Unbounded queries whose rows ``expr`` (not a name) carries."""
        if isinstance(expr, cst.Call) and (last_name(expr.func) in LISTING or
                                           self._callee(expr, walk) is not None):
            # a wrapper or a same-module helper: the rows come from inside, report there
            return self._descend(expr, walk, part)
        if query is not None and query.collection:
            return ()
        if query is not None and not query.passed:
            if query.bounded:
                return ()
            hit = Hit(self._origin(expr, walk), query, query.through, ())
            if query.kind != "via" or query.applied:
                return (hit,)
            return (hit, *self._descend(expr, walk, part))
        return self._descend(expr, walk, part)

    def _origin(self, expr: cst.BaseExpression, walk: Walk[Rows]) -> cst.BaseExpression:
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
        if node is expr or not isinstance(node, cst.Name) or (
                walk.bindings is not None and node.value in walk.bindings):
            return expr
        for value in walk.flow.values_of(node.value):
            query = walk.value(value).query
            if query is None or query.bounded:
                continue
            if materialised and query.kind == "sqlalchemy":
                return expr  # ``result.scalars().all()`` is where a SQLAlchemy result loads
            if query.kind in ("django", "mongo") or _executes(value):
                return value
        index = self._index(walk)
        if self._is_cursor(node.value, index):
            for call in index.calls.get(node.value, ()):
                if last_name(call.func) in EXEC_METHODS:
                    return call
        return expr

    def _descend(self, expr: cst.BaseExpression, walk: Walk[Rows],
                 part: _Parts) -> tuple[Hit, ...]:
        parts: list[cst.BaseExpression] = []
        if isinstance(expr, cst.Await):
            parts = [expr.expression]
        elif isinstance(expr, cst.Call):
            return self._reach_call(expr, walk, part)
        elif isinstance(expr, cst.Attribute):
            # ``serializer.data``, ``page.items``, or a field of each row of a loop
            if expr.attr.value in DATA_ATTRS or (isinstance(expr.value, cst.Name) and
                                                 expr.value.value in self._index(walk).loops):
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
        return _carried(part(p) for p in parts)

    def _reach_call(self, call: cst.Call, walk: Walk[Rows], part: _Parts) -> tuple[Hit, ...]:
        func = call.func
        name = last_name(func) or ""
        if name in SCALAR_FUNCS or name in BOUNDING_METHODS or is_paging_name(name):
            return ()
        qual = self.imports.qualname(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if helper_matches(qual or name, self.ctx.config.pagination_helpers):
            return ()
        callee = self._callee(call, walk)
        if callee is not None and walk.budget.may_call:
            return part.returns(callee, call).hits
        doubt: str | None = None
        through: tuple[str, ...] = ()
        if name in TEMPLATE_CALLS:
            doubt = "template"
        elif name not in WRAPPERS and not name.endswith(("Serializer", "Schema", "Response")):
            doubt = "helper"
            through = (qual or name,)
        parts = [a.value for a in call.args]
        # ``row.to_dict()`` carries a row; ``qs.update()`` / ``qs.delete()`` return counts
        if isinstance(func, cst.Attribute) and name not in NON_ROW_METHODS:
            parts.insert(0, func.value)
        hits = _carried(part(p) for p in parts)
        doubts = ((doubt,) if doubt else ()) + (FORM_DOUBTS if _renders_form(call) else ())
        if not doubts:
            return hits
        return tuple(replace(h, through=through + h.through, doubts=(*doubts, *h.doubts))
                     for h in hits)

    # ------------------------------------------------------------------ callees
    def _callee(self, call: cst.Call, walk: Walk[Rows]) -> Callee | None:
        """The same-module function or method ``call`` runs (``flow.calls``), a method
        of an object of a class of the module among them (the walk's
        ``instance_class``: ``repo = ItemRepo(db)``, ``self.repo = ItemRepo()``, a
        parameter annotated ``repo: ItemRepo``)."""
        functions = self.ctx.functions
        within = (walk.function,) if walk.function is not None else ()
        callee = local_callee(call, functions, walk.class_def, within)
        if callee is not None:
            return None if callee.constructor else callee
        func = call.func
        if not isinstance(func, cst.Attribute) or dotted_name(func.value) in SELF_NAMES:
            return None
        return calls.class_method(walk.instance_class(func.value), func.attr.value, functions)

    def _fields(self, walk: Walk[Rows], attr: str
                ) -> list[tuple[cst.FunctionDef, cst.BaseExpression]]:
        """(method, value) of every ``self.<attr> = value`` in the walked class."""
        cls = walk.class_def
        if cls is None:
            return []
        return module_indexes(self.ctx).class_fields(self.ctx, cls).get(f"self.{attr}", [])

    def _method_qualname(self, call: cst.Call, walk: Walk[Rows]) -> str | None:
        """``crud.list_items()`` on a module the module imports, or ``svc.list_all()``
        on an object of a class it imports (``app.services.Svc.list_all``)."""
        func = call.func
        assert isinstance(func, cst.Attribute)
        return self.imports.qualname(func) or calls.imported_method(
            walk.instance_class(func.value), func.attr.value, self.imports, self.ctx.path)

    # ------------------------------------------------------------------ classify
    def _classify(self, expr: cst.BaseExpression, walk: Walk[Rows],
                  part: _Parts) -> Query | None:
        if isinstance(expr, cst.Await):
            return part(expr.expression).query
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr, part)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, part)
        if isinstance(expr, cst.Call):
            return self._call(expr, walk, part)
        return None

    def _subscript(self, expr: cst.Subscript, part: _Parts) -> Query | None:
        inner = part(expr.value).query
        if inner is not None:
            return inner.bound()  # a slice is a window, an index is one row
        key = string_value(expr.slice[0].slice.value) if isinstance(
            expr.slice[0].slice, cst.Index) else None
        if key and self.mongo and self._mongo_db(expr.value):
            return Query("mongo", False, model=key, collection=True)
        return None

    def _attribute(self, expr: cst.Attribute, part: _Parts) -> Query | None:
        attr, value = expr.attr.value, expr.value
        if attr == "query" and (_capitalised(value) or dotted_name(value) in ("cls", "self.model")):
            return Query("sqlalchemy", False, model=_capitalised(value))
        if attr == "objects" and _capitalised(value):
            return Query("django", False, model=_capitalised(value))
        if attr == "queryset" and dotted_name(value) == "self":
            return Query("django", False)
        if self.mongo and self._mongo_db(value) and not attr.startswith("_"):
            return Query("mongo", False, model=attr, collection=True)
        inner = part(value).query
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

    def _mongo_collection(self, node: cst.BaseExpression, walk: Walk[Rows],
                          part: _Parts) -> bool:
        """``db.items``, ``app["db"]["items"]``, ``events_collection``, or a repository's
        ``self.collection = db["readings"]``: a Mongo collection."""
        if isinstance(node, cst.Attribute) and dotted_name(node.value) == "self":
            attr = node.attr.value
            if attr.lower().endswith(("collection", "_coll")):
                return True
            return any(walk.at(method, walk.budget).value(value).mongo
                       for method, value in self._fields(walk, attr))
        if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
            return part(node).mongo
        return False

    def _call(self, call: cst.Call, walk: Walk[Rows], part: _Parts) -> Query | None:
        func = call.func
        if isinstance(func, cst.Attribute):
            return self._method(call, func, walk, part)
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
            return _select(call)
        if name in LISTING and call.args:
            return part(call.args[0].value).query
        callee = self._callee(call, walk)
        if callee is not None:
            return part.returns(callee, call).query
        if qual:
            return self._imported(call, qual, part)
        return None

    def _method(self, call: cst.Call, func: cst.Attribute, walk: Walk[Rows],
                part: _Parts) -> Query | None:
        method, recv = func.attr.value, func.value
        inner = part(recv).query
        if inner is not None and inner.kind == "via" and method in EXEC_METHODS:
            # ``get_db().execute(sql)``: the statement decides, not the connection helper
            executed = self._exec(call, part)
            if executed is not None:
                return executed
        if inner is not None:
            applied = self._apply(inner, method, call, part)
            if applied is not None or inner.kind != "sql":
                return applied
        if is_paging_name(method):
            return Query("paged", True)
        if method in RELATED_QUERY_METHODS and isinstance(recv, cst.Attribute):
            owner = part(recv.value)
            if owner.one or (owner.query is not None and owner.query.single):
                return Query("django" if "django" in self.ctx.frameworks else "sqlalchemy",
                             False, model=recv.attr.value, filtered=True, owned=owner.user)
        if method == "query" and call.args and _modelish(call.args[0].value):
            first = call.args[0].value
            model = _capitalised(first) or _capitalised(getattr(first, "value", None))
            if isinstance(first, cst.Call):
                return Query("sqlalchemy", True, model=model)  # func.count(...) and friends
            return Query("sqlalchemy", False, model=model)
        if method in EXEC_METHODS:
            return self._exec(call, part)
        if method in ("fetchall", "fetchmany", "fetchone") and isinstance(recv, cst.Name):
            return None  # a cursor with no execute() we can read
        if method in ("find", "find_all") and (
                self.mongo or self._mongo_collection(recv, walk, part)) \
                and not isinstance(recv, (cst.SimpleString, cst.FormattedString)):
            # only the filter selects documents; a projection (``{"_id": 0}``) does not
            selector = get_arg(call, "filter", 0)
            return _filtered(Query("mongo", False, model=_capitalised(recv) or last_name(recv)),
                             call.with_changes(args=[selector] if selector else []))
        if method == "select" and not call.args and isinstance(recv, cst.Name):
            return Query("sqlalchemy", False, model=recv.value)  # Table.select(), peewee
        if method == "select" and call.args and (
                dotted_name(recv) in ("db", "sa", "sqlalchemy", "sqlmodel") or
                self.imports.is_from(recv, "sqlalchemy", "sqlmodel")):
            return _select(call)  # Flask-SQLAlchemy 3 ``db.select(User)``, ``sa.select``
        if method in ("all", "filter") and self.tortoise and _capitalised(recv):
            query = Query("tortoise", False, model=_capitalised(recv))
            return _filtered(query, call) if method == "filter" else query
        if method in SINGLE_ROW_METHODS and isinstance(recv, (cst.Name, cst.Attribute)) and \
                call.args and _capitalised(call.args[0].value):
            return Query("sqlalchemy", True, single=True)  # session.get(User, pk)
        callee = self._callee(call, walk)
        if callee is not None:
            return part.returns(callee, call).query
        if method in ("get_queryset", "filter_queryset") and dotted_name(recv) == "self":
            return Query("django", False)
        via = self._method_qualname(call, walk)
        if via is not None:
            return self._imported(call, via, part)
        return None

    def _apply(self, inner: Query, method: str, call: cst.Call, part: _Parts) -> Query | None:
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
            text = part(call.args[0].value).text
            query = sql_query(text) if text is not None else None
            return replace(query, model=inner.model) if query is not None else None
        if method in FILTER_METHODS:
            return _filtered(inner, call, part)
        # A grouped aggregate returns one row per group (per month, per status): a
        # reviewer reads it as a report, not as a listing of the table.
        if method == "group_by" or (method == "annotate" and inner.valued):
            return replace(inner, bounded=True, grouped=True)
        if method in ("values", "values_list"):
            return replace(inner, valued=True)
        if method in QUERY_METHODS:
            return inner
        return None  # some attribute of one row (row.to_dict(), row.save())

    def _exec(self, call: cst.Call, part: _Parts) -> Query | None:
        arg = get_arg(call, "statement", 0) or get_arg(call, "query", 0) or \
            get_arg(call, "sql", 0)
        if arg is None:
            return None
        stmt = part(arg.value)
        if stmt.query is not None:
            return stmt.query
        return sql_query(stmt.text) if stmt.text is not None else None

    def _imported(self, call: cst.Call, qual: str, part: _Parts) -> Query | None:
        if qual.lstrip(".").split(".")[0] in KNOWN_LIBRARIES:
            return None
        if helper_matches(qual, self.ctx.config.pagination_helpers):
            return Query("paged", True)
        statement = self._handed_statement(call, qual, part)
        if statement is not None:
            return statement
        for arg in call.args:
            passed = part(arg.value).query
            if passed is not None and not passed.bounded and passed.kind != "via":
                return replace(passed, through=passed.through + (qual,), passed=True)
        if qual.split(".")[-1][:1].isupper():
            return None  # a class: ``Repo(session)`` is an object, its methods may query
        return Query("via", False, via=qual)

    def _handed_statement(self, call: cst.Call, qual: str, part: _Parts) -> Query | None:
        """``execute_query("SELECT ... FROM users")``: a project helper handed the text
        of a SELECT runs it (``sql.columns.helper_runs_sql``) and the statement decides,
        as for ``cursor.execute(sql)``; not when the call asks for one row
        (``query_db(sql, one=True)``, ``fetch_one(sql)``)."""
        first = call.args[0] if call.args else None
        if first is None or first.keyword is not None or first.star or _one_row(call):
            return None
        text = part(first.value).text
        query = sql_query(text) if text is not None else None
        if query is None or not helper_runs_sql(call, self.ctx, part.walk.function):
            return None
        return replace(query, through=(*query.through, qual))


_ONE_ROW_NAME = re.compile(r"(?i)(?:^|_)(?:one|first|single|scalar|count|exists?|row)$")
_ONE_ROW_FLAGS = frozenset({"one", "single", "fetchone", "fetch_one", "first"})


def _one_row(call: cst.Call) -> bool:
    """A runner asked for one row: by its name (``fetch_one``, ``query_first``) or a
    flag (``one=True``)."""
    if _ONE_ROW_NAME.search(last_name(call.func) or ""):
        return True
    return any(a.keyword is not None and a.keyword.value in _ONE_ROW_FLAGS and
               not (isinstance(a.value, cst.Name) and a.value.value in ("False", "None"))
               for a in call.args)


_ANALYZERS: list[QueryAnalyzer] = []


def query_analyzer(ctx: ModuleContext) -> QueryAnalyzer:
    """The module's ``QueryAnalyzer``, shared by everything that asks in one traversal
    (kept for the two most recent modules)."""
    for analyzer in _ANALYZERS:
        if analyzer.ctx is ctx:
            return analyzer
    analyzer = QueryAnalyzer(ctx)
    _ANALYZERS.insert(0, analyzer)
    del _ANALYZERS[2:]
    return analyzer


def _carried(values: Iterable[Rows]) -> tuple[Hit, ...]:
    return tuple(h for v in values for h in v.hits)


def _names(node: cst.CSTNode) -> set[str]:
    """Every identifier in ``node``: names, attributes, keywords, parameters."""
    return {n.value for n in descendants(node, cst.Name)}


def _executes(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Await):
        expr = expr.expression
    return isinstance(expr, cst.Call) and last_name(expr.func) in EXEC_METHODS | {
        "find", "find_all", "all", "fetchall", "scalars"}


def _modelish(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Call):
        return _modelish(node.func) or any(_modelish(a.value) for a in node.args)
    return _capitalised(node) is not None or dotted_name(node) in ("self.model", "cls.model") \
        or (isinstance(node, cst.Attribute) and _capitalised(node.value) is not None)


def _select(call: cst.Call) -> Query:
    if not call.args:
        return Query("sqlalchemy", False)
    first = call.args[0].value
    if isinstance(first, cst.Call):  # select(func.count(...)) is one number
        return Query("sqlalchemy", True)
    model = _capitalised(first) or (
        _capitalised(first.value) if isinstance(first, cst.Attribute) else None)
    return Query("sqlalchemy", False, model=model)


def _filtered(query: Query, call: cst.Call, part: _Parts | None = None) -> Query:
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
    owned = (query.owned or not query.filtered) and part is not None and all(
        part(v).user for v in values)
    return replace(query, filtered=True, owned=owned, eq_columns=query.eq_columns + eq)


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
        if q.kind != "via":
            return q
    return found[0]


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
