"""Which models grow through the application's own routes.

A query returning every row of a table matters when the table grows with use: users
registering, customers posting orders. It does not when only administrators add rows
(challenges of a CTF, settings groups, forum categories) or nothing serves their
creation at all (audit rows written by signals). This module finds, in one route's body,
the models it creates; the facts say whether some route an ordinary client reaches
creates each model, so the unbounded-query rule can weigh its finding.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import dotted_name, last_name, string_list, string_value
from backend_audit.engines.walk import descendants
from backend_audit.sql.columns import string_template
from backend_audit.sql.parse import tables_inserted

# Fact ``model.created``: {"model": class name, "admin": bool} for a model that a
# state-changing route creates in its own body (``admin``: only administrators reach it).
# The class name may be a Django ModelForm's (``form = SignupForm(request.POST)`` then
# ``form.save()``): ``model.form`` facts say which model the form saves.
FACT_MODEL_CREATED = "model.created"
# Fact ``model.form``: {"form": class name, "model": class name, "raw_password": bool}
# for a Django ModelForm or DRF ModelSerializer whose ``Meta.model`` names the model it
# saves; ``raw_password``: a ModelForm writes the user's password field as typed
# (``model_form_writes_raw_password``).
FACT_MODEL_FORM = "model.form"
_CREATE_METHODS = frozenset({"create", "get_or_create", "update_or_create", "bulk_create",
                             "create_one", "insert", "create_user"})
#: Base classes whose subclasses save a model given in ``Meta.model``.
_SAVING_BASES = ("ModelForm", "ModelSerializer")
_PERSIST_METHODS = frozenset({"add", "add_all", "save", "merge", "insert_one", "persist"})
# Raw SQL text that adds rows (read whole by ``sql.parse.tables_inserted``).
_INSERT = re.compile(r"\s*(?:INSERT|REPLACE)\s", re.IGNORECASE)


def _model_name(node: cst.BaseExpression) -> str | None:
    name = last_name(node)
    return name if name and name[:1].isupper() and not name.isupper() else None


class _Creations(cst.CSTVisitor):
    def __init__(self) -> None:
        self.constructed: dict[str, str] = {}  # variable -> model of ``v = Model(...)``
        self.models: set[str] = set()
        self.persisted_names: set[str] = set()
        self.inline: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            model = _model_name(node.value.func)
            if model and isinstance(node.value.func, (cst.Name, cst.Attribute)):
                for target in node.targets:
                    name = dotted_name(target.target)
                    if name:
                        self.constructed[name] = model

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._sql(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._sql(node)  # ``f"INSERT INTO entries VALUES ('{a}', {b})"``

    def _sql(self, node: cst.SimpleString | cst.FormattedString) -> None:
        """Raw SQL the route runs: ``INSERT INTO entries ...`` adds rows to table
        ``entries`` (the name an unbounded ``SELECT ... FROM entries`` reports)."""
        template = string_template(node)
        first = template[0][0] if template is not None and template[0] else None
        if first and _INSERT.match(first):
            self.models.update(tables_inserted(template[0]))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method in _CREATE_METHODS:
            owner = func.value
            if isinstance(owner, cst.Attribute) and owner.attr.value == "objects":
                owner = owner.value  # Django: Model.objects.create(...)
            model = _model_name(owner)
            if model:
                self.models.add(model)
        elif method in _PERSIST_METHODS:
            if method == "save" and all(a.keyword is not None for a in node.args):
                # obj.save(), serializer.save(owner=user), obj.save(update_fields=[...])
                name = dotted_name(func.value)
                if name:
                    self.persisted_names.add(name)
            for arg in node.args:  # session.add(obj) / session.add(Model(...))
                value = arg.value
                if isinstance(value, cst.Call):
                    model = _model_name(value.func)
                    if model:
                        self.inline.add(model)
                name = dotted_name(value)
                if name:
                    self.persisted_names.add(name)


def models_created(fn: cst.FunctionDef) -> set[str]:
    """Models a handler's body creates: ``Model.objects.create(...)``, ``session.add(
    Model(...))``, or ``m = Model(...)`` later added to a session or saved."""
    found = _Creations()
    fn.body.visit(found)
    return found.models | found.inline | {model for name, model in found.constructed.items()
                                          if name in found.persisted_names}


def growth(model: str | None, project) -> str | None:
    """"client" when a route an ordinary client reaches creates ``model``; "admin" when
    only administrators' routes do; None when no route in view creates it."""
    if not model:
        return None
    index = project.memo.get(FACT_MODEL_CREATED)
    if index is None:
        forms: dict[str, set[str]] = {}
        for fact in project.values(FACT_MODEL_FORM):
            forms.setdefault(fact["form"], set()).add(fact["model"])
        index = {}
        for fact in project.values(FACT_MODEL_CREATED):
            for created in forms.get(fact["model"], set()) | {fact["model"]}:
                admin = index.get(created, True)
                index[created] = admin and bool(fact["admin"])
        project.memo[FACT_MODEL_CREATED] = index
    short = model.split(".")[-1]
    if short not in index:
        return None
    return "admin" if index[short] else "client"


def model_form_model(cls: cst.ClassDef) -> str | None:
    """The model a Django ModelForm or a DRF ModelSerializer saves: ``class Meta: model =
    User`` in a class deriving from ``ModelForm``/``ModelSerializer`` (or a project class
    whose name ends so). ``serializer.save()`` creates a row as ``form.save()`` does."""
    if not any((last_name(base.value) or "").endswith(_SAVING_BASES) for base in cls.bases):
        return None
    model = _meta(cls).get("model")
    return _model_name(model) if model is not None else None


def _meta(cls: cst.ClassDef) -> dict[str, cst.BaseExpression]:
    """The assignments of a class's ``class Meta:`` (the last one of a name wins)."""
    for stmt in cls.body.body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta":
            return {dotted_name(t.target) or "": small.value
                    for line in stmt.body.body if isinstance(line, cst.SimpleStatementLine)
                    for small in line.body if isinstance(small, cst.Assign)
                    for t in small.targets}
    return {}


_HASHING = frozenset({"set_password", "make_password", "hash_password"})


def is_model_form(cls: cst.ClassDef) -> bool:
    return any((last_name(base.value) or "").endswith("ModelForm") for base in cls.bases)


def model_form_writes_raw_password(cls: cst.ClassDef) -> bool:
    """A ModelForm of the user model whose fields take in ``password`` (``"__all__"``, a
    list naming it, or an ``exclude`` list that leaves it in) and that never hashes it
    itself (no ``set_password``/``make_password`` in the form): ``form.save()`` writes the
    password as the client typed it. Django's ``UserCreationForm`` and its subclasses
    hash it, and are not ModelForms by name."""
    meta = _meta(cls)
    model = meta.get("model")
    user_model = model is not None and (
        (last_name(model) or "").endswith("User") or
        isinstance(model, cst.Call) and last_name(model.func) == "get_user_model")
    fields, exclude = meta.get("fields"), string_list(meta.get("exclude"))
    named = string_list(fields)
    if named is not None:
        takes = "password" in named
    elif fields is not None and string_value(fields) is not None:
        takes = string_value(fields) == "__all__" and user_model
    else:
        takes = fields is None and exclude is not None and "password" not in exclude and \
            user_model
    if not takes:
        return False
    return not any(isinstance(call.func, (cst.Name, cst.Attribute)) and
                   last_name(call.func) in _HASHING
                   for call in descendants(cls, cst.Call))
