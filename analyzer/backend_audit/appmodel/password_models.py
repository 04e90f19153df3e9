"""Which classes of a module are ORM models, which are request/response schemas, and which
models hash a password themselves (a property setter, ``@validates``, ``save()``).

Recorded as app-wide facts so a check in ``views.py`` can ask about ``models.py``:
``password.orm-model`` ``{"name"}``, ``password.schema`` ``{"name", "fields",
"write_only"}``, ``password.setter`` ``{"class", "attr"}`` (attr ``*``: every column).
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import (
    decorator_call,
    dotted_name,
    get_arg,
    is_password_name,
    string_value,
)
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.passwords import hasher_call

_MODEL_BASES = frozenset({"Model", "Base", "DeclarativeBase", "AbstractUser", "AbstractBaseUser",
                          "Document", "DynamicDocument", "EmbeddedDocument", "Table"})
_SCHEMA_BASES = frozenset({"BaseModel", "BaseSettings", "Schema", "TypedDict", "Form",
                           "FlaskForm", "Serializer", "ModelSerializer",
                           "HyperlinkedModelSerializer",
                           "ModelForm", "Struct", "NamedTuple"})
# Modules whose classes are (nearly always) database models.
_MODEL_MODULE_HINTS = ("models", "model", "entities", "tables", "orm", "domain")


def _base_names(node: cst.ClassDef, ctx: ModuleContext) -> list[str]:
    out = []
    for arg in node.bases:
        name = ctx.imports.qualname(arg.value) or dotted_name(arg.value)
        if name:
            out.append(name)
    return out


def class_kinds(ctx: ModuleContext) -> dict[str, str]:
    """``{class name: "model" | "schema"}`` for the top-level classes of the module."""
    kinds: dict[str, str] = {}
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.ClassDef):
            continue
        bases = _base_names(stmt, ctx)
        lasts = [b.rsplit(".", 1)[-1] for b in bases]
        table = any(k.keyword and k.keyword.value == "table" for k in stmt.keywords)
        if any(b.startswith(("pydantic", "marshmallow", "wtforms", "flask_wtf", "msgspec",
                             "rest_framework.serializers", "django.forms", "ninja"))
               for b in bases) and not table:
            kinds[stmt.name.value] = "schema"
        elif any(kinds.get(b) == "schema" for b in lasts):
            kinds[stmt.name.value] = "schema"
        elif table or any(b in _MODEL_BASES or kinds.get(b) == "model" for b in lasts) or \
                any(b.endswith((".Model", ".db.Model")) for b in bases):
            kinds[stmt.name.value] = "model"
        elif any(b in _SCHEMA_BASES or b == "SQLModel" for b in lasts):
            kinds[stmt.name.value] = "schema"
    return kinds


def record_model_facts(ctx: ModuleContext) -> dict[str, str]:
    """Record this module's models, schemas and hashing setters; return the class kinds."""
    kinds = class_kinds(ctx)
    for stmt in ctx.module.body:
        if not isinstance(stmt, cst.ClassDef) or stmt.name.value not in kinds:
            continue
        name = stmt.name.value
        if kinds[name] == "model":
            bases = [b.rsplit(".", 1)[-1] for b in _base_names(stmt, ctx)]
            ctx.add_fact("password.orm-model", {"name": name, "bases": bases})
            for attr in _hashing_setters(stmt, ctx):
                ctx.add_fact("password.setter", {"class": name, "attr": attr})
        else:
            fields, write_only = _schema_password_fields(stmt)
            ctx.add_fact("password.schema", {"name": name, "fields": fields,
                                             "write_only": write_only})
    for model in _listener_hashed_models(ctx):
        ctx.add_fact("password.setter", {"class": model, "attr": "*"})
    return kinds


# SQLAlchemy mapper events that run before a row is written.
_WRITE_EVENTS = frozenset({"before_insert", "before_update", "before_flush", "init"})


def _listener_hashed_models(ctx: ModuleContext) -> list[str]:
    """Models hashed by a mapper event listener: ``listen(User, "before_insert", fn)`` or
    ``@event.listens_for(User, "before_update")`` over a function that hashes (itself, or
    through a method of the row it is given: ``target.hash_password()``)."""
    functions = {stmt.name.value: stmt for stmt in ctx.module.body
                 if isinstance(stmt, cst.FunctionDef)}
    found: list[str] = []

    def event_target(call: cst.Call) -> str | None:
        if len(call.args) < 2 or string_value(call.args[1].value) not in _WRITE_EVENTS:
            return None
        return dotted_name(call.args[0].value)

    for call in descendants(ctx.module, cst.Call):
        if (dotted_name(call.func) or "").rsplit(".", 1)[-1] != "listen" or len(call.args) < 3:
            continue
        model = event_target(call)
        fn = functions.get(dotted_name(call.args[2].value) or "")
        if model and fn is not None and _calls_hasher(fn, ctx):
            found.append(model.rsplit(".", 1)[-1])
    for fn in functions.values():
        for dec in fn.decorators:
            callee, call = decorator_call(dec)
            if call is not None and (dotted_name(callee) or "").endswith("listens_for"):
                model = event_target(call)
                if model and _calls_hasher(fn, ctx):
                    found.append(model.rsplit(".", 1)[-1])
    return found


def _hashing_setters(node: cst.ClassDef, ctx: ModuleContext) -> list[str]:
    """Password attributes the model hashes itself when they are assigned or saved."""
    found: list[str] = []
    if not isinstance(node.body, cst.IndentedBlock):
        return found
    methods = {stmt.name.value: stmt for stmt in node.body.body
               if isinstance(stmt, cst.FunctionDef)}
    for stmt in node.body.body:
        # ``password = property(_get, _set)`` / ``synonym("_pw", descriptor=property(...))``
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                attr = _descriptor_hashing(small, methods, ctx)
                if attr:
                    found.append(attr)
        if not isinstance(stmt, cst.FunctionDef) or not _calls_hasher(stmt, ctx):
            continue
        for dec in stmt.decorators:
            callee, call = decorator_call(dec)
            name = dotted_name(callee) or ""
            if name.endswith(".setter") and is_password_name(name.split(".")[0]):
                found.append(name.split(".")[0])  # @password.setter
            elif name.endswith("validates") and call is not None:
                found.extend(v for a in call.args if (v := string_value(a.value)))
        if stmt.name.value in ("save", "__init__", "before_save", "pre_save"):
            found.append("*")
    return found


def _descriptor_hashing(small: cst.BaseSmallStatement, methods: dict[str, cst.FunctionDef],
                        ctx: ModuleContext) -> str | None:
    """The attribute an assignment binds to a ``property`` whose setter hashes."""
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and
            isinstance(small.targets[0].target, cst.Name)):
        return None
    attr = small.targets[0].target.value
    if not is_password_name(attr):
        return None
    for call in descendants(small.value, cst.Call):
        if (dotted_name(call.func) or "").rsplit(".", 1)[-1] != "property":
            continue
        setter = get_arg(call, "fset", 1)
        fn = methods.get(dotted_name(setter.value) or "") if setter is not None else None
        if fn is not None and _calls_hasher(fn, ctx):
            return attr
    return None


def _calls_hasher(fn: cst.FunctionDef, ctx: ModuleContext) -> bool:
    """A call that hashes, by its name (``generate_password_hash``, ``target.hash_password()``)."""
    return any(hasher_call(call, ctx) for call in descendants(fn, cst.Call))


def _schema_password_fields(node: cst.ClassDef) -> tuple[list[str], list[str]]:
    """Password-like fields a schema/serializer declares, and those declared write-only."""
    fields: list[str] = []
    write_only: list[str] = []
    if not isinstance(node.body, cst.IndentedBlock):
        return fields, write_only
    for stmt in node.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.AnnAssign):
                target, value = small.target, small.value
            elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            if isinstance(target, cst.Name) and is_password_name(target.value):
                fields.append(target.value)
                if _declared_write_only(value):
                    write_only.append(target.value)
    return fields, write_only


def _declared_write_only(value: cst.BaseExpression | None) -> bool:
    if not isinstance(value, cst.Call):
        return False
    for key in ("write_only", "load_only", "exclude"):
        arg = get_arg(value, key)
        if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True":
            return True
    name = dotted_name(value.func) or ""
    return name.endswith("SecretStr")


def model_hint_from_import(ctx: ModuleContext, name: str) -> bool:
    """``User`` imported from a module named like a models module."""
    qual = ctx.imports.names.get(name)
    if not qual:
        return False
    parts = qual.strip(".").split(".")[:-1]
    return any(p in _MODEL_MODULE_HINTS or p.endswith("models") for p in parts)


def project_kind(project: ProjectFacts, name: str) -> str | None:
    if any(v.get("name") == name for v in project.values("password.orm-model")):
        return "model"
    if any(v.get("name") == name for v in project.values("password.schema")):
        return "schema"
    return None


def hashes_on_assign(project: ProjectFacts, model: str | None, attr: str) -> bool:
    """Does ``model`` (or a model it inherits from) hash ``attr`` when it is assigned?"""
    lineage = _lineage(project, model) if model is not None else None
    for v in project.values("password.setter"):
        if (lineage is None or v.get("class") in lineage) and v.get("attr") in (attr, "*"):
            return True
    return False


def _lineage(project: ProjectFacts, model: str) -> set[str]:
    """``model`` and its project base classes (``Admins(Users)``)."""
    bases: dict[str, list[str]] = {}
    for v in project.values("password.orm-model"):
        bases.setdefault(v.get("name"), []).extend(v.get("bases") or [])
    out, todo, budget = set(), [model], Budget()
    while todo and not budget.exhausted:
        name = todo.pop()
        if name not in out:
            out.add(name)
            budget.spend()
            todo.extend(bases.get(name, []))
    return out


def bound_to_model_factory(ctx: ModuleContext, name: str) -> bool:
    """``User = get_user_model()`` / ``Order = apps.get_model("shop", "Order")``."""
    for flow in (ctx.flow(), ctx.flow(ctx.module)):
        for value in flow.values_of(name):
            if isinstance(value, cst.Call) and \
                    (dotted_name(value.func) or "").endswith(("get_user_model", "get_model")):
                return True
    return False
