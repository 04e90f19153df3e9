"""Types whose values come from a fixed set: ``Literal[...]`` aliases and enumerations;
and collections fixed by the database schema (the column names of a mapped model).

A parameter annotated with one (``field: CountField`` where ``CountField =
Literal["status", "tag"]``, or ``order: SortOrder`` where ``class SortOrder(str, Enum)``)
can only hold one of the listed values once the framework has parsed it, so such a value
cannot carry SQL or markup of the client's choosing.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import last_name

#: Project fact ``{"name": "app.models.SortOrder"}``, one per closed type.
FACT_CLOSED_TYPE = "closed-type"
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices",
                        "IntegerChoices", "Choices"})
# Words a module must contain to define one (a cheap prefilter for collectors).
WORDS = ("Literal", "Enum", "Flag", "Choices")


def closed_type_name(stmt: cst.CSTNode, known: frozenset[str] = frozenset()) -> str | None:
    """The name a module-level statement defines as a closed type, if it does.

    ``known``: names already known to be closed in the module (an alias of an alias,
    an enumeration subclassing another)."""
    if isinstance(stmt, cst.ClassDef):
        bases = {last_name(arg.value) for arg in stmt.bases if arg.keyword is None}
        return stmt.name.value if bases & (ENUM_BASES | known) else None
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value = small.targets[0].target, small.value
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        if last_name(small.annotation.annotation) != "TypeAlias":
            return None
        target, value = small.target, small.value
    elif type(small).__name__ == "TypeAlias":  # ``type X = ...`` (Python 3.12)
        target, value = small.name, small.value  # type: ignore[attr-defined]
    else:
        return None
    if isinstance(target, cst.Name) and is_closed_type(value, known):
        return target.value
    return None


def is_closed_type(node: cst.BaseExpression, known: frozenset[str] = frozenset()) -> bool:
    """``Literal[...]``, a known closed name, or a union/Optional/Annotated of them."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return all(is_closed_type(side, known) or _is_none(side)
                   for side in (node.left, node.right))
    if isinstance(node, cst.Subscript):
        outer = last_name(node.value)
        if outer == "Literal":
            return True
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if outer == "Annotated" and elements:
            return is_closed_type(elements[0], known)
        if outer in ("Optional", "Union") and elements:
            return all(is_closed_type(e, known) or _is_none(e) for e in elements)
        return False
    if isinstance(node, cst.Call):  # ``conint(ge=1)`` when the caller knows it is closed
        return last_name(node.func) in known
    return isinstance(node, (cst.Name, cst.Attribute)) and last_name(node) in known


def module_closed_types(module: cst.Module) -> frozenset[str]:
    """Closed types defined at the top level of ``module`` (in order, so an alias of an
    earlier alias counts)."""
    found: set[str] = set()
    for stmt in module.body:
        name = closed_type_name(stmt, frozenset(found))
        if name is not None:
            found.add(name)
    return frozenset(found)


# ``Model.__table__.columns``, ``Model.__mapper__.column_attrs``: the attributes of
# SQLAlchemy's table and mapper that hold a model's columns.
_SCHEMA_HOLDERS = frozenset({"__table__", "__mapper__"})
_SCHEMA_COLUMNS = frozenset({"columns", "c", "column_attrs", "attrs", "all_orm_descriptors"})
_DJANGO_FIELDS = frozenset({"fields", "concrete_fields", "get_fields"})


def is_schema_collection(node: cst.BaseExpression) -> bool:
    """A collection of a mapped model's column names, fixed by the code that declares the
    model: ``User.__table__.columns`` (``.c``, ``.keys()``), ``User.__mapper__.columns``,
    ``sqlalchemy.inspect(User).columns``, and Django's ``[f.name for f in
    Book._meta.get_fields()]``. Testing a value's membership in one holds it to the names
    of the model's columns (``if sort not in User.__table__.columns.keys(): sort = "id"``)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value == "keys" and not node.args:
        return is_schema_collection(node.func.value)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        # ``[f.name for f in Model._meta.get_fields()]``
        comp = node.for_in
        return comp.inner_for_in is None and isinstance(node.elt, cst.Attribute) and \
            node.elt.attr.value in ("name", "attname", "key") and \
            isinstance(comp.target, cst.Name) and isinstance(node.elt.value, cst.Name) and \
            node.elt.value.value == comp.target.value and _model_fields(comp.iter)
    if not isinstance(node, cst.Attribute) or node.attr.value not in _SCHEMA_COLUMNS:
        return False
    holder = node.value
    if isinstance(holder, cst.Attribute) and holder.attr.value in _SCHEMA_HOLDERS:
        return True
    # ``inspect(User).columns``: SQLAlchemy's mapper of the class
    return isinstance(holder, cst.Call) and last_name(holder.func) == "inspect" and \
        len(holder.args) == 1


def _model_fields(node: cst.BaseExpression) -> bool:
    """``Model._meta.get_fields()`` / ``Model._meta.fields``."""
    if isinstance(node, cst.Call) and not node.args:
        node = node.func
    return isinstance(node, cst.Attribute) and node.attr.value in _DJANGO_FIELDS and \
        isinstance(node.value, cst.Attribute) and node.value.attr.value == "_meta"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
