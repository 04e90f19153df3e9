"""BA201: a plaintext password is written to a model, a document or a table row."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.model_growth import FACT_MODEL_FORM
from backend_audit.appmodel.names import (
    dotted_name,
    get_arg,
    is_password_name,
    last_name,
    string_value,
)
from backend_audit.appmodel.password_models import (
    bound_to_model_factory,
    hashes_on_assign,
    model_hint_from_import,
    project_kind,
    record_model_facts,
)
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import walk
from backend_audit.flow.calls import param_annotation
from backend_audit.flow.passwords import (
    Kind,
    PasswordValues,
    dict_password_values,
    is_password_column,
    subscript_key,
)
from backend_audit.sql.columns import runs_sql, written_columns
from backend_audit.visitor import Candidate, Check

# ORM/ODM calls that write their keyword arguments or dict arguments to the database.
_MANAGER_WRITES = frozenset({"create", "get_or_create", "update_or_create", "update", "acreate",
                             "aupdate", "aupdate_or_create", "aget_or_create", "insert"})
_DOCUMENT_WRITES = frozenset({"insert_one", "insert_many", "update_one", "update_many",
                              "replace_one", "find_one_and_update", "find_one_and_replace",
                              "insert", "hset", "hmset"})
_DICT_KEYWORDS = frozenset({"defaults", "create_defaults", "mapping", "document", "values",
                            "update", "data", "doc", "record"})
# Server-side sessions are rows too; Flask's default session is a readable cookie.
_SESSIONS = ("session", "request.session", "self.request.session", "flask.session")
_QUERY_MARKERS = ("objects", "query", "filter", "filter_by", "where", "select", "exclude")
# Receivers of ``x.password = ...`` that are clients and settings, not stored records.
_NOT_A_RECORD = re.compile(r"(?i)config|settings|conf$|options|opts|args|client|conn|smtp|mail|"
                           r"ldap|engine|proxy|form|serializer|parser|environ|cred|auth|"
                           r"schema|payload|request|body|data$|params|ns$")
# Calls that load one stored row: ``X.objects.get(...)``, ``get_object_or_404(X, ...)``,
# ``session.get(X, id)``, ``query.filter_by(...).first()``.
_ROW_LOADS = frozenset({"get", "aget", "first", "afirst", "one", "one_or_none", "scalar_one",
                        "scalar_one_or_none", "get_object_or_404", "aget_object_or_404",
                        "get_object", "latest", "earliest", "get_or_404", "first_or_404",
                        "one_or_404"})
_WRITE_SQL = re.compile(r"(?is)^\s*(insert|update|replace|merge)\b.*\b(pass(word|wd)?|pwd)\w*\b")
# Fields that name a remote endpoint: a record written with one beside the password
# (an SMTP relay, an LDAP or database connection) keeps the login to that service, which
# must stay readable to be sent; hashing it, the fix this rule gives, would break it.
_ENDPOINT_FIELD = re.compile(r"(?i)^(\w+_)?(host|hostname|server|port)$|"
                             r"^(endpoint|base_url|server_url|server_uri|dsn|uri)$")


def _chain(node: cst.BaseExpression) -> list[str]:
    """Names along a receiver chain: ``User.objects.filter(...)`` -> [User, objects, filter]."""
    out: list[str] = []
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            out.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Name):
            out.append(node.value)
            return out[::-1]
        else:
            return out[::-1]


def _loads_row(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not isinstance(expr, cst.Call):
        return False
    chain = _chain(expr.func)
    if not chain or chain[-1] not in _ROW_LOADS:
        return False
    return len(chain) == 1 or chain[0] == "self" or \
        any(m in chain for m in (*_QUERY_MARKERS, "session", "db", "scalars"))


FORM_MESSAGE = ("This ModelForm takes the user's password field as typed, so save() writes "
                "the plaintext password to the database; save(commit=False) and "
                "set_password() first, or derive the form from UserCreationForm.")


class PasswordStoredPlaintext(Check):
    rule_id = "BA201"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.values = PasswordValues(ctx)
        self.kinds: dict[str, str] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self.kinds = record_model_facts(self.ctx)

    # -- calls: constructors, manager writes, document writes, setattr, raw SQL --------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else None
        if last is None:
            return
        if last == "setattr" and len(node.args) >= 3:
            if is_password_column(string_value(node.args[1].value)):
                self._value(node, node.args[2].value, None, string_value(node.args[1].value))
            return
        if runs_sql(node, self.ctx):
            self._sql_write(node, last)
            return
        model = self._model_of_constructor(func)
        if model is not None:
            self._written_args(node, model)
            return
        if not isinstance(func, cst.Attribute):
            return
        chain = _chain(func.value)
        if last in _MANAGER_WRITES and (
            any(m in chain for m in _QUERY_MARKERS) or (chain and chain[0][:1].isupper())
        ):
            self._written_args(node, chain[0] if chain and chain[0][:1].isupper() else None)
        elif last == "values" and any(m in ("insert", "update") for m in chain):
            self._written_args(node, None)
        elif last in _DOCUMENT_WRITES:
            self._written_args(node, None)
        elif last == "save" and chain and "serializer" in chain[-1].lower():
            self._written_args(node, None)  # DRF serializer.save(password=...)
        elif last == "save" and isinstance(func.value, cst.Name):
            self._form_save(node, func.value.value)

    def _form_save(self, call: cst.Call, name: str) -> None:
        """``user_form.save()`` of a ModelForm that takes in the user's password field
        as typed (decided once the project's forms are known: fact ``model.form``)."""
        commit = get_arg(call, "commit")
        if commit is not None and isinstance(commit.value, cst.Name) and \
                commit.value.value == "False":
            return  # the view hashes before it saves
        if not self.ctx.function_stack:
            return
        for value in self.ctx.flow().values_of(name):
            form = last_name(value.func) if isinstance(value, cst.Call) else None
            if form and form[:1].isupper() and form.endswith("Form"):
                self.report(call, FORM_MESSAGE, confidence="medium", form=form)
                return

    def _model_of_constructor(self, func: cst.BaseExpression) -> str | None:
        """Class name when ``func`` constructs a (possible) model: ``User``, ``models.User``,
        ``self.model`` in a manager."""
        name = dotted_name(func)
        if name is None:
            return None
        if name in ("self.model", "cls"):
            return "self.model"
        last = name.rsplit(".", 1)[-1]
        if not last[:1].isupper() or last.isupper():
            return None
        return last

    def _written_args(self, call: cst.Call, model: str | None) -> None:
        if any(arg.keyword is not None and _ENDPOINT_FIELD.match(arg.keyword.value)
               for arg in call.args):
            return  # the login to another service, written beside its address
        for arg in call.args:
            if arg.keyword is not None and is_password_column(arg.keyword.value):
                self._value(arg.value, arg.value, model, arg.keyword.value)
            elif arg.star == "**":
                self._splat(arg.value, model)
            elif arg.keyword is None and not arg.star or \
                    arg.keyword is not None and arg.keyword.value in _DICT_KEYWORDS:
                for d in self._dicts(arg.value):
                    self._dict(d, model)
                if isinstance(arg.value, cst.Name):
                    self._mutations(arg.value.value, model)

    def _dicts(self, expr: cst.BaseExpression) -> list[cst.Dict]:
        """Dict literals ``expr`` may be (following local names; ``{"$set": {...}}`` too)."""
        found: list[cst.Dict] = []
        stack = [expr]
        flow = self.ctx.flow()
        seen: set[str] = set()
        while stack and len(found) < 20:
            e = stack.pop()
            if isinstance(e, cst.Dict):
                found.append(e)
                stack.extend(el.value for el in e.elements
                             if isinstance(el, cst.DictElement) and
                             (string_value(el.key) or "").startswith("$"))
            elif isinstance(e, (cst.List, cst.Tuple)):
                stack.extend(el.value for el in e.elements)
            elif isinstance(e, cst.Name) and e.value not in seen:
                seen.add(e.value)
                stack.extend(flow.values_of(e.value))
        return found

    def _dict(self, node: cst.Dict, model: str | None) -> None:
        if any(isinstance(el, cst.DictElement) and _ENDPOINT_FIELD.match(string_value(el.key) or "")
               for el in node.elements):
            return  # a connection's settings (``{"host": ..., "password": ...}``)
        for el, key in dict_password_values(node):
            self._value(el, el.value, model, key)

    def _splat(self, expr: cst.BaseExpression, model: str | None) -> None:
        """``User(**data)``: a dict with a plaintext password, a pydantic body dumped whole,
        or a serializer's ``validated_data`` that still holds the password."""
        if isinstance(expr, cst.Name) and self._password_removed(expr.value):
            return
        for d in self._dicts(expr):
            self._dict(d, model)
        if isinstance(expr, cst.Name):
            self._mutations(expr.value, model)
        target = expr
        if isinstance(expr, cst.Name):
            values = self.ctx.flow().values_of(expr.value)
            target = values[0] if len(values) == 1 else expr
        if isinstance(target, cst.Call) and isinstance(target.func, cst.Attribute) and \
                target.func.attr.value in ("dict", "model_dump") and \
                isinstance(target.func.value, cst.Name):
            if any(a.keyword and a.keyword.value in ("exclude", "include") for a in target.args):
                return
            schema = self._param_annotation(target.func.value.value)
            if schema is not None:
                self._report(target, model, "password", Kind.PLAIN, schema=schema)
        elif isinstance(target, cst.Name) and target.value == "validated_data" and \
                self._serializer_declares_password():
            self._report(target, model, "password", Kind.PLAIN)

    def _mutations(self, name: str, model: str | None) -> None:
        """``values.update(password=...)`` / ``values["password"] = ...`` on the dict that
        is written: the password is added after the dict was built."""
        fn = self.ctx.current_function
        if fn is None:
            return
        found: list[tuple[cst.CSTNode, cst.BaseExpression, str]] = []

        class _Find(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                f = call.func
                if not (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and
                        f.value.value == name):
                    return
                if f.attr.value == "update":
                    for arg in call.args:
                        if arg.keyword is not None and is_password_column(arg.keyword.value):
                            found.append((call, arg.value, arg.keyword.value))
                        elif arg.keyword is None and isinstance(arg.value, cst.Dict):
                            found.extend((call, el.value, key)
                                         for el, key in dict_password_values(arg.value))
                elif f.attr.value == "setdefault" and len(call.args) >= 2 and \
                        is_password_column(string_value(call.args[0].value)):
                    found.append((call, call.args[1].value, string_value(call.args[0].value)))

            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    t = target.target
                    if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and \
                            t.value.value == name and is_password_column(subscript_key(t)):
                        found.append((node, node.value, subscript_key(t) or "password"))

        walk(fn, _Find())
        for at, value, key in found:
            self._value(at, value, model, key)

    def _password_removed(self, name: str) -> bool:
        fn = self.ctx.current_function
        if fn is None:
            return False
        removed = False

        class _Find(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                nonlocal removed
                f = call.func
                if isinstance(f, cst.Attribute) and f.attr.value == "pop" and \
                        isinstance(f.value, cst.Name) and f.value.value == name and call.args and \
                        is_password_column(string_value(call.args[0].value)):
                    removed = True

            def visit_Del(self, node: cst.Del) -> None:
                nonlocal removed
                t = node.target
                if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name) and \
                        t.value.value == name:
                    removed = True

        walk(fn, _Find())
        return removed

    def _param_annotation(self, name: str) -> str | None:
        fn = self.ctx.current_function
        ann = dotted_name(param_annotation(fn, name)) if fn is not None else None
        last = ann.rsplit(".", 1)[-1] if ann else None
        return last if last and last[:1].isupper() else None

    def _serializer_declares_password(self) -> bool:
        if not self.ctx.class_stack:
            return False
        cls = self.ctx.class_stack[-1]
        code = self.ctx.module.code_for_node(cls)
        return bool(re.search(r"""(?m)^\s+\w*pass(word|wd)\w*\s*=|["']\w*password\w*["']""",
                              code))

    # -- raw SQL --------------------------------------------------------------------

    def _sql_write(self, call: cst.Call, method: str) -> None:
        """``INSERT``/``UPDATE`` SQL that writes a password column straight from a
        parameter or an interpolated value, read by the SQL parser; SQL it cannot read
        (built elsewhere, or not parseable) keeps the reading by keywords below."""
        written = written_columns(call, self.ctx)
        if written is None:
            if method not in ("execute", "executemany"):
                return
            if len(call.args) >= 2:
                self._raw_sql(call)
            else:
                self._formatted_sql(call)
            return
        for column, value in written:
            if is_password_column(column):
                kind = self.values.kind(value)
                if kind in (Kind.PLAIN, Kind.WRAPPED):
                    self._report(call, None, column, kind)
                    return

    def _formatted_sql(self, call: cst.Call) -> None:
        """``cur.execute(f"INSERT INTO users VALUES ('{name}', '{password}')")``."""
        sql = call.args[0].value
        if isinstance(sql, cst.Name):
            values = self.ctx.flow().values_of(sql.value)
            sql = values[0] if len(values) == 1 else sql
        if not isinstance(sql, cst.FormattedString):
            return
        text = "".join(p.value for p in sql.parts if isinstance(p, cst.FormattedStringText))
        if not _WRITE_SQL.search(text):
            return
        for part in sql.parts:
            if isinstance(part, cst.FormattedStringExpression):
                kind = self.values.kind(part.expression)
                if kind in (Kind.PLAIN, Kind.WRAPPED):
                    self._report(call, None, "password", kind)
                    return

    def _raw_sql(self, call: cst.Call) -> None:
        sql = self._sql_text(call.args[0].value)
        if sql is None or not _WRITE_SQL.search(sql):
            return
        params = call.args[1].value
        flow = self.ctx.flow()
        elements: list[cst.BaseExpression] = []
        for d in self._dicts(params):
            elements.extend(el.value for el in d.elements if isinstance(el, cst.DictElement))
        for e in self._sequence(params):
            elements.append(e)
        for e in elements:
            kind = self.values.kind(e, flow)
            if kind in (Kind.PLAIN, Kind.WRAPPED):
                self._report(call, None, "password", kind)
                return

    def _sql_text(self, expr: cst.BaseExpression) -> str | None:
        text = string_value(expr)
        if text is None and isinstance(expr, cst.Name):
            for v in self.ctx.flow().values_of(expr.value) or \
                    self.ctx.flow(self.ctx.module).values_of(expr.value):
                text = string_value(v)
                if text:
                    break
        if text is None and isinstance(expr, cst.Call) and expr.args:
            text = string_value(expr.args[0].value)  # text("INSERT ...")
        return text

    def _sequence(self, expr: cst.BaseExpression) -> list[cst.BaseExpression]:
        if isinstance(expr, (cst.Tuple, cst.List)):
            return [el.value for el in expr.elements]
        if isinstance(expr, cst.Name):
            out: list[cst.BaseExpression] = []
            for v in self.ctx.flow().values_of(expr.value):
                if isinstance(v, (cst.Tuple, cst.List)):
                    out.extend(el.value for el in v.elements)
            return out
        return []

    # -- attribute assignment --------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Subscript) and is_password_column(subscript_key(t)) and \
                    (self.ctx.imports.qualname(t.value) or dotted_name(t.value)) in _SESSIONS:
                self._value(node, node.value, None, subscript_key(t), assigned=True)
                continue
            if not isinstance(t, cst.Attribute) or not is_password_column(t.attr.value):
                continue
            recv = dotted_name(t.value) or ""
            if recv in ("self", "cls"):
                if not self.ctx.class_stack or \
                        self.kinds.get(self.ctx.class_stack[-1].name.value) != "model":
                    continue
                model: str | None = self.ctx.class_stack[-1].name.value
            elif not recv or _NOT_A_RECORD.search(recv.rsplit(".", 1)[-1]):
                continue
            else:
                model = None
            self._value(node, node.value, model, t.attr.value, assigned=True)

    # -- reporting -------------------------------------------------------------------

    def _value(self, at: cst.CSTNode, value: cst.BaseExpression, model: str | None,
               attr: str | None, assigned: bool = False) -> None:
        if string_value(value) is not None:
            return  # a literal: BA207's business
        if self._copied_from_row(value):
            return
        kind = self.values.kind(value)
        if kind in (Kind.PLAIN, Kind.WRAPPED):
            self._report(at, model, attr or "password", kind, assigned=assigned)

    def _copied_from_row(self, value: cst.BaseExpression) -> bool:
        """``account.password = existing.password`` where ``existing`` was loaded from the
        database: the stored value is copied as it is (hashed or deliberately reversible);
        where it was first stored is where a plaintext password would be reported."""
        if not isinstance(value, cst.Attribute) or not is_password_column(value.attr.value) \
                or not isinstance(value.value, cst.Name):
            return False
        loads = [v for v in self.ctx.flow().values_of(value.value.value)
                 if not (isinstance(v, cst.Name) and v.value == "None")]
        return bool(loads) and all(_loads_row(v) for v in loads)

    def _report(self, at: cst.CSTNode, model: str | None, attr: str, kind: Kind,
                assigned: bool = False, schema: str | None = None) -> None:
        local = model is not None and (self.kinds.get(model) == "model" or
                                       bound_to_model_factory(self.ctx, model))
        hinted = model is not None and model_hint_from_import(self.ctx, model)
        confidence = "high" if kind is Kind.PLAIN else "low"
        if model is not None and not local and not hinted and model != "self.model":
            confidence = "medium" if kind is Kind.PLAIN else "low"
        self.report(at, confidence=confidence, model=model, attr=attr, assigned=assigned,
                    local_model=local or hinted or model == "self.model",
                    local_kind=self.kinds.get(model or ""), schema=schema,
                    named=is_password_name(attr))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        if "form" in data:
            return candidate if any(f.get("form") == data["form"] and f.get("raw_password")
                                    for f in project.values(FACT_MODEL_FORM)) else None
        model = data.get("model")
        if model == "self.model":
            model = None
        if hashes_on_assign(project, model, data.get("attr", "")):
            return None
        schema = data.get("schema")
        if schema is not None:
            fields = [f for v in project.values("password.schema") if v.get("name") == schema
                      for f in v.get("fields", [])]
            if not fields:
                return None
        if model is not None and data.get("local_kind") != "model" and not data.get("assigned"):
            kind = project_kind(project, model)
            if kind == "schema" or data.get("local_kind") == "schema":
                return None
            if kind is None and not data.get("local_model"):
                return None
        return candidate
