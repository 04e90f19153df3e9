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
from backend_audit.checks._password_values import callee_name, is_hasher_name
from backend_audit.engines.walk import descendants

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
            ctx.add_fact("password.orm-model", {"name": name})
            for attr in _hashing_setters(stmt, ctx):
                ctx.add_fact("password.setter", {"class": name, "attr": attr})
        else:
            fields, write_only = _schema_password_fields(stmt)
            ctx.add_fact("password.schema", {"name": name, "fields": fields,
                                             "write_only": write_only})
    return kinds


def _hashing_setters(node: cst.ClassDef, ctx: ModuleContext) -> list[str]:
    """Password attributes the model hashes itself when they are assigned or saved."""
    found: list[str] = []
    if not isinstance(node.body, cst.IndentedBlock):
        return found
    for stmt in node.body.body:
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


def _calls_hasher(fn: cst.FunctionDef, ctx: ModuleContext) -> bool:
    return any(is_hasher_name(callee_name(call, ctx), ctx)
               for call in descendants(fn, cst.Call))


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
    for v in project.values("password.setter"):
        if (model is None or v.get("class") == model) and v.get("attr") in (attr, "*"):
            return True
    return False


def bound_to_model_factory(ctx: ModuleContext, name: str) -> bool:
    """``User = get_user_model()`` / ``Order = apps.get_model("shop", "Order")``."""
    for flow in (ctx.flow(), ctx.flow(ctx.module)):
        for value in flow.values_of(name):
            if isinstance(value, cst.Call) and \
                    (dotted_name(value.func) or "").endswith(("get_user_model", "get_model")):
                return True
    return False
