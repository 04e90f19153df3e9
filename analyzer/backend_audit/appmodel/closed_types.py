"""Types whose values come from a fixed set: ``Literal[...]`` aliases and enumerations;
collections fixed by the database schema (the column names of a mapped model); and
collections fixed by the code, the allow-lists a value is checked against
(``is_fixed_collection``).

A parameter annotated with one (``field: CountField`` where ``CountField =
Literal["status", "tag"]``, or ``order: SortOrder`` where ``class SortOrder(str, Enum)``)
can only hold one of the listed values once the framework has parsed it, so such a value
cannot carry SQL or markup of the client's choosing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.names import last_name, name_words, string_value
from backend_audit.appmodel.requests import REQUEST_NAMES
from backend_audit.flow.budget import Budget

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


# Names that say a collection holds what is allowed (``ALLOWED_HOSTS``,
# ``settings.webhook_domains``, ``valid_sorts``), and words of names that say it holds
# what is refused: a deny-list, which a value passes by being anything else.
_ALLOW_LIST_NAME = re.compile(r"(?i)allow|white|trust|permit|valid|safe|known|hosts|domains|"
                              r"origins|choices|options|services")
_DENY_LIST_WORD = re.compile(r"deny|denied|denylist|blocked|blocklist|blacklist(ed)?|banned|"
                             r"forbidden|reserved|exclude[ds]?|exclusions?|skip(ped|s)?|"
                             r"ignored?|disallowed|rejected|invalid|unsafe|untrusted|unknown|bad")
# Attributes of a choices class or enumeration listing its members (``Status.values``).
_CHOICE_ATTRS = frozenset({"values", "choices", "names", "labels", "keys"})
# Calls that copy a collection without adding to it.
_COPIES = frozenset({"frozenset", "set", "tuple", "list", "sorted"})
_CONFIG_HOLDERS = frozenset({"config", "settings", "conf"})
_LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)


def is_fixed_collection(node: cst.BaseExpression,
                        values_of: Callable[[str], list[cst.BaseExpression]] | None = None,
                        budget: Budget | None = None) -> bool:
    """A collection the code fixes, whose items the client cannot choose. A literal of
    constants (``("asc", "desc")``, ``{"name": ..., "date": ...}`` by its keys), the
    columns of a model (``is_schema_collection``), an UPPER_CASE constant or setting
    (``settings.LANGUAGES``, ``app.config["ALLOWED_EXTENSIONS"]``), a name that says it
    is an allow-list (``allowed_hosts``, ``Status.choices``), a copy of one (``set(...)``,
    ``.keys()``), or a comprehension over one (``(code for code, _name in
    settings.LANGUAGES)``). Not a request field (``request.GET``). ``values_of``: what a
    lower-case name is assigned, when the caller knows.

    Fixed is not allowed: a value tested to be outside ``RESERVED_NAMES`` may be any
    other string (``is_allow_list``)."""
    budget = Budget() if budget is None else budget
    if budget.exhausted:
        return False
    deeper = budget.deeper()
    if is_schema_collection(node):
        return True
    if isinstance(node, (cst.Set, cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _fixed_element(e.value)
                   for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _fixed_element(e.key)
                   for e in node.elements)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("keys", "values") and \
                not node.args:
            return is_fixed_collection(func.value, values_of, deeper)
        return isinstance(func, cst.Name) and func.value in _COPIES and len(node.args) == 1 \
            and is_fixed_collection(node.args[0].value, values_of, deeper)
    if isinstance(node, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
        return _over_fixed(node, values_of, deeper)
    if isinstance(node, cst.Subscript):
        return _setting_read(node)
    if not isinstance(node, (cst.Name, cst.Attribute)) or _reads_request(node):
        return False
    name = last_name(node) or ""
    if is_constant_name(name) or (isinstance(node, cst.Attribute) and name in _CHOICE_ATTRS):
        return True
    values = values_of(node.value) if values_of is not None and \
        isinstance(node, cst.Name) else []
    if values:
        return all(is_fixed_collection(v, values_of, deeper) for v in values)
    return bool(_ALLOW_LIST_NAME.search(name))


def is_allow_list(node: cst.BaseExpression,
                  values_of: Callable[[str], list[cst.BaseExpression]] | None = None) -> bool:
    """A fixed collection (``is_fixed_collection``) not named as a deny-list
    (``BLOCKED_HOSTS``, ``reserved_names``, ``set(SKIPPED)``): membership in it holds a
    value to the listed items, whichever side of the test the code goes on with."""
    return is_fixed_collection(node, values_of) and not _deny_named(node)


def _deny_named(node: cst.BaseExpression) -> bool:
    """The name of the collection ``node`` is, copies or iterates says it lists what is
    refused."""
    while True:
        if isinstance(node, cst.Call) and node.args and isinstance(node.func, cst.Name):
            node = node.args[0].value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        elif isinstance(node, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            node = node.for_in.iter
        else:
            break
    name = last_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return bool(name) and any(_DENY_LIST_WORD.fullmatch(w) for w in name_words(name or ""))


def _fixed_element(node: cst.BaseExpression) -> bool:
    """A member of a literal allow-list: a literal, or a name or attribute (a constant, an
    enumeration member) that is not a request field."""
    if isinstance(node, _LITERALS):
        return True
    return isinstance(node, (cst.Name, cst.Attribute)) and not _reads_request(node)


def _over_fixed(node: cst.GeneratorExp | cst.ListComp | cst.SetComp,
                values_of: Callable[[str], list[cst.BaseExpression]] | None,
                budget: Budget) -> bool:
    """``(code for code, _name in settings.LANGUAGES)``, ``[s.lower() for s in SORTS]``:
    items of a fixed collection, or made from nothing else."""
    bound: set[str] = set()
    comp: cst.CompFor | None = node.for_in
    while comp is not None:
        inner = comp.iter
        if not (isinstance(inner, cst.Name) and inner.value in bound) and \
                not is_fixed_collection(inner, values_of, budget):
            return False
        bound |= _target_names(comp.target)
        comp = comp.inner_for_in
    return all(name in bound or is_constant_name(name) for name in _free_names(node.elt))


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(_target_names(e.value) for e in target.elements))
    return set()


def _free_names(node: cst.CSTNode) -> list[str]:
    """The names ``node`` reads (not attribute names, not the functions it calls)."""
    found: list[str] = []

    class _Names(cst.CSTVisitor):
        def visit_Attribute(self, attr: cst.Attribute) -> bool:
            attr.value.visit(self)
            return False

        def visit_Call(self, call: cst.Call) -> bool:
            if not isinstance(call.func, cst.Name):
                call.func.visit(self)
            for arg in call.args:
                arg.value.visit(self)
            return False

        def visit_Name(self, name: cst.Name) -> None:
            if name.value not in ("None", "True", "False"):
                found.append(name.value)

    node.visit(_Names())
    return found


def _setting_read(node: cst.Subscript) -> bool:
    """``app.config["ALLOWED_EXTENSIONS"]``, ``settings["LANGUAGES"]``: a constant setting."""
    key = node.slice[0].slice if len(node.slice) == 1 else None
    text = string_value(key.value) if isinstance(key, cst.Index) else None
    return bool(text) and is_constant_name(text or "") and \
        (last_name(node.value) or "").lower() in _CONFIG_HOLDERS


def _reads_request(node: cst.BaseExpression) -> bool:
    """``request.GET``, ``self.request.POST``: the client's fields, whatever the name."""
    while isinstance(node, cst.Attribute):
        if node.attr.value == "request" and isinstance(node.value, cst.Name) and \
                node.value.value == "self":
            return True
        node = node.value
    return isinstance(node, cst.Name) and node.value in REQUEST_NAMES


def is_constant_name(name: str) -> bool:
    """``ALLOWED``, ``_SORTS``, ``V2_FIELDS``: a module or class constant."""
    letters = name.strip("_")
    return bool(letters) and letters.upper() == letters and any(c.isalpha() for c in letters)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
