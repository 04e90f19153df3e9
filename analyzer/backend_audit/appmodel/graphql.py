"""GraphQL resolvers as endpoints: graphene (with graphene-django), strawberry and ariadne.

A resolver answers one field of a schema type. The client chooses the field's arguments,
and the schema parses each one by its declared type before the resolver runs: an ``Int``
argument can only hold a number, an enum one of its values, an input object only its
declared fields; a ``String`` or ``ID`` holds any text and a ``JSONString``,
``GenericScalar`` or ``JSON`` any structure. The other parameters are the server's: the
parent object (``root``/``self``/``obj``/``_``) and ``info`` (``info.context`` is the
request, read as such by ``requests.request_input``).

Where the declarations are read:

- graphene: an ``ObjectType`` subclass declares ``users = graphene.List(UserType,
  name=graphene.String())`` and answers it with ``resolve_users(root, info, name)`` (or
  ``resolver=fn``); a ``Mutation`` subclass declares ``class Arguments`` (``class Input``
  for relay's ``ClientIDMutation``) and answers with ``mutate``/``mutate_and_get_payload``.
- strawberry: methods of ``@strawberry.type`` classes decorated ``@strawberry.field`` /
  ``@strawberry.mutation`` (and strawberry-django's), arguments typed by annotation.
- ariadne: functions bound with ``@query.field("users")`` / ``query.set_field(...)`` on
  ``QueryType()``, ``MutationType()`` or ``ObjectType("User")``; argument types come from
  SDL text in the same module (``type_defs = gql(\"\"\"...\"\"\")``), and are unknown when the
  SDL lives in ``.graphql`` files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import libcst as cst

from backend_audit.appmodel.closed_types import module_closed_types
from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import (
    block_assignments,
    decorator_call,
    dotted_name,
    get_arg,
    last_name,
    string_value,
)

LIBRARIES = ("graphene", "strawberry", "ariadne")
# Top-level packages whose import makes a module one of these libraries' code.
PACKAGES = {"graphene": "graphene", "graphene_django": "graphene",
            "strawberry": "strawberry", "strawberry_django": "strawberry",
            "ariadne": "ariadne", "ariadne_django": "ariadne"}


class ArgKind(Enum):
    CLOSED = "closed"  # Int, Float, Boolean, enums, dates, UUID: parsed by the schema
    TEXT = "text"  # String: any text
    IDENTIFIER = "identifier"  # ID: any text, meant to name a row (the database checks it)
    OPEN = "open"  # JSONString, GenericScalar, JSON, dict, Any: any structure
    INPUT = "input"  # an input object: only its declared, typed fields
    OPEN_INPUT = "open-input"  # an input object with a free-structure field
    UNKNOWN = "unknown"  # declared where this module cannot see


# Kinds whose value the schema does not hold to a shape (what BA101 asks about).
UNCHECKED = frozenset({ArgKind.TEXT, ArgKind.OPEN, ArgKind.OPEN_INPUT})


@dataclass(frozen=True)
class Argument:
    name: str
    kind: ArgKind
    converter: str | None = None  # int | float | uuid for numbers and UUIDs


@dataclass(frozen=True)
class GraphqlField:
    """One field of a schema type and how its resolver is reached."""

    library: str  # graphene | strawberry | ariadne
    operation: str  # query | mutation | subscription
    type_name: str  # ``Query``, ``UserType``, ``CreateUser``
    field: str  # empty for a graphene mutation: the class is the field's type
    arguments: tuple[Argument, ...]  # the resolver parameters the client fills
    returns_list: bool | None = None  # None: the declaration is not in view
    paginated: bool = False  # a connection or a paginated field pages what it returns

    @property
    def path(self) -> str:
        """``Query.user(<int:id>)``: numeric and UUID arguments in the converter syntax
        the rest of the model reads in URL templates, so value-following code knows them
        as numbers."""
        typed = [f"<{a.converter}:{a.name}>" for a in self.arguments if a.converter]
        name = f"{self.type_name}.{self.field}" if self.field else self.type_name
        return name + (f"({', '.join(typed)})" if typed else "")

    def argument_names(self) -> frozenset[str]:
        """The resolver parameters the schema's arguments fill: the parent object
        (``root``/``parent``/``self``/``obj``) and ``info`` are the server's."""
        return frozenset(a.name for a in self.arguments)

    def unchecked_inputs(self) -> dict[str, ArgKind]:
        return {a.name: a.kind for a in self.arguments if a.kind in UNCHECKED}


@dataclass(frozen=True)
class Resolver:
    function: cst.FunctionDef
    owner: cst.ClassDef | None
    field: GraphqlField


def libraries(imports: ImportMap) -> set[str]:
    tops = imports.top_packages
    return {lib for pkg, lib in PACKAGES.items() if pkg in tops}


# ---------------------------------------------------------------------- type names
_CLOSED_SCALARS = {"Int": "int", "BigInt": "int", "Float": "float", "Decimal": "float",
                   "UUID": "uuid", "Boolean": None, "Date": None, "DateTime": None,
                   "Time": None, "Duration": None, "PositiveInt": "int"}
_TEXT_SCALARS = frozenset({"String", "Base64"})
_ID_SCALARS = frozenset({"ID", "GlobalID", "NodeID"})
_OPEN_SCALARS = frozenset({"JSONString", "GenericScalar", "JSON", "Json", "JSONScalar",
                           "Object", "Any", "AnyScalar", "dict", "Dict", "Mapping"})
_PY_CLOSED = {"int": "int", "float": "float", "Decimal": "float", "UUID": "uuid",
              "bool": None, "datetime": None, "date": None, "time": None, "timedelta": None}
_WRAPPERS = frozenset({"NonNull", "List", "Argument", "Optional", "list", "Sequence",
                       "Annotated", "Union", "set", "tuple", "Iterable"})
_LIST_TYPES = frozenset({"List", "list", "Sequence", "Iterable", "set", "tuple",
                         "DjangoListField"})
_PAGED = re.compile(r"Connection|Paginat|Page\b|Paged", re.IGNORECASE)


def _scalar_kind(name: str) -> tuple[ArgKind, str | None] | None:
    if name in _CLOSED_SCALARS:
        return ArgKind.CLOSED, _CLOSED_SCALARS[name]
    if name in _TEXT_SCALARS:
        return ArgKind.TEXT, None
    if name in _ID_SCALARS:
        return ArgKind.IDENTIFIER, None
    if name in _OPEN_SCALARS:
        return ArgKind.OPEN, None
    return None


class _Module:
    """What one module declares: input objects (and whether one has a free-structure
    field), enumerations and ``Literal`` aliases."""

    def __init__(self, module: cst.Module, imports: ImportMap, library: str) -> None:
        self.imports = imports
        self.library = library
        self.closed = set(module_closed_types(module))
        self.inputs: dict[str, bool] = {}  # input class -> has an open field
        classes = [s for s in module.body if isinstance(s, cst.ClassDef)]
        for cls in classes:
            if self._is_enum(cls):
                self.closed.add(cls.name.value)
        for cls in classes:
            if self._is_input(cls):
                self.inputs[cls.name.value] = False
        for cls in classes:
            if cls.name.value in self.inputs:
                self.inputs[cls.name.value] = any(
                    k in (ArgKind.OPEN, ArgKind.OPEN_INPUT)
                    for k, _ in self._class_field_kinds(cls))

    def _qual(self, node: cst.BaseExpression) -> str:
        return self.imports.qualname(node) or dotted_name(node) or ""

    def _is_enum(self, cls: cst.ClassDef) -> bool:
        if any(self._qual(b.value).endswith("Enum") for b in cls.bases):
            return True
        return any(self._qual(decorator_call(d)[0]) in ("strawberry.enum",)
                   for d in cls.decorators)

    def _is_input(self, cls: cst.ClassDef) -> bool:
        for dec in cls.decorators:
            q = self._qual(decorator_call(dec)[0])
            if q.startswith(("strawberry", "strawberry_django")) and \
                    q.rsplit(".", 1)[-1] in ("input", "partial"):
                return True
        return any(self._qual(b.value).rsplit(".", 1)[-1] == "InputObjectType" or
                   (isinstance(b.value, cst.Name) and b.value.value in self.inputs)
                   for b in cls.bases)

    def _class_field_kinds(self, cls: cst.ClassDef) -> Iterator[tuple[ArgKind, str | None]]:
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        for stmt in body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign):
                    yield self.annotation_kind(small.annotation.annotation)
                elif isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                    yield self.graphene_kind(small.value)

    # -- graphene declarations ------------------------------------------------------
    def graphene_kind(self, node: cst.BaseExpression) -> tuple[ArgKind, str | None]:
        """``graphene.Int(required=True)``, ``graphene.Argument(graphene.Int)``,
        ``graphene.List(graphene.String)``, ``UserInput(required=True)``..."""
        for _ in range(6):
            target = node.func if isinstance(node, cst.Call) else node
            name = last_name(target) or ""
            if name in ("NonNull", "List", "Argument") and isinstance(node, cst.Call) and \
                    node.args:
                node = node.args[0].value
                continue
            if name == "from_enum":
                return ArgKind.CLOSED, None  # ``graphene.Enum.from_enum(Status)``
            return self._named_kind(name)
        return ArgKind.UNKNOWN, None

    def _named_kind(self, name: str) -> tuple[ArgKind, str | None]:
        found = _scalar_kind(name)
        if found is not None:
            return found
        if name in self.closed:
            return ArgKind.CLOSED, None
        if name in self.inputs:
            return (ArgKind.OPEN_INPUT if self.inputs[name] else ArgKind.INPUT), None
        if name.endswith("Input") or name.endswith("InputType"):
            return ArgKind.INPUT, None  # an input object declared in another module
        if name.endswith(("Enum", "Choices")):
            return ArgKind.CLOSED, None
        return ArgKind.UNKNOWN, None

    # -- strawberry annotations -----------------------------------------------------
    def annotation_kind(self, node: cst.BaseExpression) -> tuple[ArgKind, str | None]:
        """``int``, ``str | None``, ``Optional[strawberry.ID]``, ``list[int]``,
        ``Annotated[str, strawberry.argument(...)]``, ``JSON``, an ``@strawberry.input``."""
        if isinstance(node, cst.BinaryOperation):  # ``X | None``
            parts = [p for p in (node.left, node.right) if dotted_name(p) != "None"]
            kinds = [self.annotation_kind(p) for p in parts]
            return max(kinds, key=lambda k: _RISK[k[0]]) if kinds else (ArgKind.UNKNOWN, None)
        if isinstance(node, cst.Subscript):
            outer = last_name(node.value) or ""
            if outer in _WRAPPERS and node.slice:
                first = node.slice[0].slice
                if isinstance(first, cst.Index):
                    return self.annotation_kind(first.value)
            if outer in ("dict", "Dict", "Mapping"):
                return ArgKind.OPEN, None
            return ArgKind.UNKNOWN, None
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return ArgKind.UNKNOWN, None  # a forward reference
        name = last_name(node) or ""
        if name in _PY_CLOSED:
            return ArgKind.CLOSED, _PY_CLOSED[name]
        if name == "str":
            return ArgKind.TEXT, None
        return self._named_kind(name)


_RISK = {ArgKind.CLOSED: 0, ArgKind.INPUT: 1, ArgKind.IDENTIFIER: 2, ArgKind.UNKNOWN: 3,
         ArgKind.TEXT: 4, ArgKind.OPEN_INPUT: 5, ArgKind.OPEN: 6}


def _params(fn: cst.FunctionDef) -> list[cst.Param]:
    p = fn.params
    return [*p.posonly_params, *p.params, *p.kwonly_params]


def _star_kwargs(fn: cst.FunctionDef) -> str | None:
    star = fn.params.star_kwarg
    return star.name.value if star is not None else None


def _is_classmethod(fn: cst.FunctionDef) -> bool:
    return any(last_name(decorator_call(d)[0]) == "classmethod" for d in fn.decorators)


def _positional_inputs(fn: cst.FunctionDef) -> list[cst.Param]:
    """Parameters after the parent object and ``info`` (graphene, ariadne), skipping
    ``cls`` of a classmethod: ``def resolve_x(root, info, name)`` -> ``name``."""
    positional = [*fn.params.posonly_params, *fn.params.params]
    if positional and _is_classmethod(fn):
        positional = positional[1:]
    return [*positional[2:], *fn.params.kwonly_params]


def _class_attrs(cls: cst.ClassDef) -> dict[str, cst.BaseExpression]:
    return block_assignments(cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ())


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return [s for s in body if isinstance(s, cst.FunctionDef)]


def _inner_class(cls: cst.ClassDef, *names: str) -> cst.ClassDef | None:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.ClassDef) and stmt.name.value in names:
            return stmt
    return None


# ---------------------------------------------------------------------- graphene
_FIELD_RESERVED = frozenset({"description", "required", "default_value", "name",
                             "deprecation_reason", "resolver", "source", "args", "type_",
                             "type", "_creation_counter", "max_limit", "enforce_first_or_last",
                             "filterset_class", "fields", "extra_filter_meta", "of_type"})
_GRAPHENE_MUTATION_BASES = frozenset({"Mutation", "ClientIDMutation", "DjangoFormMutation",
                                      "DjangoModelFormMutation", "SerializerMutation"})
# Mutations whose input a form or serializer validates before ``perform_mutate``.
_VALIDATING_MUTATIONS = frozenset({"DjangoFormMutation", "DjangoModelFormMutation",
                                   "SerializerMutation"})
_GRAPHENE_TYPES = frozenset({"ObjectType", "DjangoObjectType", "Interface"})


class _Graphene:
    def __init__(self, module: cst.Module, decl: _Module) -> None:
        self.module = module
        self.decl = decl
        self.kinds: dict[str, str] = {}  # local class -> "type" | "mutation" | validating
        for stmt in module.body:
            if isinstance(stmt, cst.ClassDef):
                kind = self._kind(stmt)
                if kind:
                    self.kinds[stmt.name.value] = kind
        self.functions = {s.name.value: s for s in module.body
                          if isinstance(s, cst.FunctionDef)}

    def _kind(self, cls: cst.ClassDef) -> str | None:
        for base in cls.bases:
            if isinstance(base.value, cst.Name) and base.value.value in self.kinds:
                return self.kinds[base.value.value]
            qual = self.decl._qual(base.value)
            if not qual.startswith(("graphene", "graphene_django")):
                continue
            last = qual.rsplit(".", 1)[-1]
            if last in _VALIDATING_MUTATIONS:
                return "validating"
            if last in _GRAPHENE_MUTATION_BASES:
                return "mutation"
            if last in _GRAPHENE_TYPES:
                return "type"
        methods = {m.name.value for m in _methods(cls)}
        # A mutation on a project base class (``class CreateUser(BaseMutation)``).
        if methods & {"mutate", "mutate_and_get_payload"} and \
                _inner_class(cls, "Arguments", "Input") is not None:
            return "mutation"
        # A query mixin (``class UserQuery:``) declaring graphene fields it resolves.
        attrs = _class_attrs(cls)
        if any(m.startswith("resolve_") and self._is_field(attrs.get(m[len("resolve_"):]))
               for m in methods):
            return "type"
        return None

    def _is_field(self, node: cst.BaseExpression | None) -> bool:
        if not isinstance(node, cst.Call):
            return False
        qual = self.decl._qual(node.func)
        return qual.startswith(("graphene", "graphene_django")) or \
            (last_name(node.func) or "").endswith(("Field", "List"))

    def resolvers(self) -> Iterator[Resolver]:
        for stmt in self.module.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value in self.kinds:
                kind = self.kinds[stmt.name.value]
                if kind == "type":
                    yield from self._type_resolvers(stmt)
                else:
                    yield from self._mutation_resolvers(stmt, kind == "validating")

    def _arguments(self, declared: dict[str, tuple[ArgKind, str | None]],
                   fn: cst.FunctionDef) -> tuple[Argument, ...]:
        out = []
        for param in _positional_inputs(fn):
            name = param.name.value
            kind, conv = declared.get(name, (ArgKind.UNKNOWN, None))
            out.append(Argument(name, kind, conv))
        star = _star_kwargs(fn)
        if star is not None and declared:
            named = {a.name for a in out}
            rest = [declared[n] for n in declared if n not in named]
            if rest:
                kind = max((k for k, _ in rest), key=lambda k: _RISK[k])
                out.append(Argument(star, kind))
        return tuple(out)

    def _field_arguments(self, call: cst.Call) -> dict[str, tuple[ArgKind, str | None]]:
        declared: dict[str, tuple[ArgKind, str | None]] = {}
        for arg in call.args[1:] if call.args and call.args[0].keyword is None else call.args:
            if arg.keyword is None or arg.keyword.value in _FIELD_RESERVED:
                continue
            declared[arg.keyword.value] = self.decl.graphene_kind(arg.value)
        extra = get_arg(call, "args")
        if extra is not None and isinstance(extra.value, cst.Dict):
            for el in extra.value.elements:
                key = string_value(el.key) if isinstance(el, cst.DictElement) else None
                if key:
                    declared[key] = self.decl.graphene_kind(el.value)
        return declared

    def _shape(self, call: cst.Call | None) -> tuple[bool | None, bool]:
        """(returns a list, pages what it returns) for a field declaration; whether a
        field of a project's own class returns a list is not known here."""
        if call is None:
            return None, False
        name = last_name(call.func) or ""
        if _PAGED.search(name):
            return True, True
        if name in ("List", "DjangoListField"):
            return True, False
        if name == "NonNull" and call.args and isinstance(call.args[0].value, cst.Call):
            return self._shape(call.args[0].value)
        if name in ("Field", "Argument") or _scalar_kind(name) is not None or \
                self.decl._qual(call.func).startswith("graphene"):
            return False, False
        return None, False

    def _type_resolvers(self, cls: cst.ClassDef) -> Iterator[Resolver]:
        attrs = _class_attrs(cls)
        methods = {m.name.value: m for m in _methods(cls)}
        done: set[int] = set()
        for name, value in attrs.items():
            call = value if isinstance(value, cst.Call) else None
            if call is None:
                continue
            fn = methods.get(f"resolve_{name}")
            resolver = get_arg(call, "resolver")
            if fn is None and resolver is not None and isinstance(resolver.value, cst.Name):
                fn = self.functions.get(resolver.value.value)
            if fn is None or id(fn) in done:
                continue
            if last_name(call.func) == "Field" and isinstance(call.func, cst.Attribute) and \
                    isinstance(call.func.value, cst.Name) and \
                    self.kinds.get(call.func.value.value) in ("mutation", "validating"):
                continue  # ``create_user = CreateUser.Field()``: the mutation's own resolver
            done.add(id(fn))
            returns_list, paginated = self._shape(call)
            field = GraphqlField("graphene", "query", cls.name.value, name,
                                 self._arguments(self._field_arguments(call), fn),
                                 returns_list, paginated)
            yield Resolver(fn, cls if fn is methods.get(fn.name.value) else None, field)
        # ``resolve_email`` for a field graphene-django derives from the model: no
        # arguments can be declared for it.
        for name, fn in methods.items():
            if name.startswith("resolve_") and id(fn) not in done:
                field = GraphqlField("graphene", "query", cls.name.value,
                                     name[len("resolve_"):], self._arguments({}, fn))
                yield Resolver(fn, cls, field)

    def _mutation_resolvers(self, cls: cst.ClassDef, validating: bool) -> Iterator[Resolver]:
        args_cls = _inner_class(cls, "Arguments", "Input")
        declared: dict[str, tuple[ArgKind, str | None]] = {}
        if args_cls is not None:
            for name, value in _class_attrs(args_cls).items():
                declared[name] = self.decl.graphene_kind(value)
        if validating:
            # The form or serializer checks every field before ``perform_mutate``.
            declared = {n: (ArgKind.INPUT, None) for n in declared}
        for fn in _methods(cls):
            if fn.name.value not in ("mutate", "mutate_and_get_payload", "perform_mutate"):
                continue
            arguments = self._arguments(declared, fn)
            if validating:
                arguments = tuple(Argument(a.name, ArgKind.INPUT) for a in arguments)
            field = GraphqlField("graphene", "mutation", cls.name.value, "", arguments)
            yield Resolver(fn, cls, field)


# ---------------------------------------------------------------------- strawberry
_STRAWBERRY_TYPES = frozenset({"type", "interface"})
_STRAWBERRY_OPERATIONS = {"field": "query", "mutation": "mutation",
                          "subscription": "subscription", "connection": "query",
                          "node": "query", "offset_paginated": "query"}
_NOT_ARGUMENTS = frozenset({"self", "root", "info", "cls", "parent"})


class _Strawberry:
    def __init__(self, module: cst.Module, decl: _Module) -> None:
        self.module = module
        self.decl = decl
        self.functions = {s.name.value: s for s in module.body
                          if isinstance(s, cst.FunctionDef)}

    def _strawberry_call(self, node: cst.BaseExpression) -> str | None:
        """``field``/``mutation``/``type``... for ``strawberry.x``/``strawberry_django.x``
        (``strawberry.relay.connection`` too)."""
        qual = self.decl._qual(node)
        if qual.startswith(("strawberry.", "strawberry_django.")):
            return qual.rsplit(".", 1)[-1]
        return None

    def resolvers(self) -> Iterator[Resolver]:
        for stmt in self.module.body:
            if isinstance(stmt, cst.ClassDef) and any(
                    self._strawberry_call(decorator_call(d)[0]) in _STRAWBERRY_TYPES
                    for d in stmt.decorators):
                yield from self._type_resolvers(stmt)

    def _type_resolvers(self, cls: cst.ClassDef) -> Iterator[Resolver]:
        for fn in _methods(cls):
            for dec in fn.decorators:
                callee, call = decorator_call(dec)
                kind = self._strawberry_call(callee)
                if kind in _STRAWBERRY_OPERATIONS:
                    yield Resolver(fn, cls, self._field(cls, fn, fn.name.value, kind, call,
                                                        fn.returns))
                    break
        for name, value in _class_attrs(cls).items():
            if not isinstance(value, cst.Call):
                continue
            kind = self._strawberry_call(value.func)
            resolver = get_arg(value, "resolver")
            if kind not in _STRAWBERRY_OPERATIONS or resolver is None or \
                    not isinstance(resolver.value, cst.Name):
                continue
            fn = self.functions.get(resolver.value.value)
            if fn is not None:
                yield Resolver(fn, None, self._field(cls, fn, name, kind, value,
                                                     self._annotation_of(cls, name) or
                                                     fn.returns))

    def _annotation_of(self, cls: cst.ClassDef, name: str) -> cst.Annotation | None:
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and \
                            isinstance(small.target, cst.Name) and small.target.value == name:
                        return small.annotation
        return None

    def _field(self, cls: cst.ClassDef, fn: cst.FunctionDef, name: str, kind: str,
               call: cst.Call | None, returns: cst.Annotation | None) -> GraphqlField:
        arguments = []
        for param in _params(fn):
            pname = param.name.value
            annotation = param.annotation.annotation if param.annotation else None
            if pname in _NOT_ARGUMENTS or annotation is not None and \
                    (last_name(annotation) in ("Info", "Parent") or
                     isinstance(annotation, cst.Subscript) and
                     last_name(annotation.value) in ("Info", "Parent")):
                continue
            if annotation is None:
                arguments.append(Argument(pname, ArgKind.UNKNOWN))
                continue
            akind, conv = self.decl.annotation_kind(annotation)
            arguments.append(Argument(pname, akind, conv))
        returns_list, paginated = _annotation_shape(returns.annotation if returns else None)
        if kind in ("connection", "offset_paginated") or call is not None and any(
                a.keyword is not None and a.keyword.value == "pagination" and
                dotted_name(a.value) == "True" for a in call.args):
            paginated = True
        return GraphqlField("strawberry", _STRAWBERRY_OPERATIONS[kind], cls.name.value, name,
                            tuple(arguments), returns_list, paginated)


def _annotation_shape(node: cst.BaseExpression | None) -> tuple[bool | None, bool]:
    """(a list, a page) for a return annotation: ``list[User]``, ``Optional[List[T]]``,
    ``Connection[User]``, ``OffsetPaginated[T]``; no annotation says nothing."""
    if node is None:
        return None, False
    for _ in range(6):
        if node is None:
            return False, False
        if isinstance(node, cst.BinaryOperation):
            node = node.left if dotted_name(node.left) != "None" else node.right
            continue
        name = last_name(node.value if isinstance(node, cst.Subscript) else node) or ""
        if _PAGED.search(name):
            return True, True
        if name in _LIST_TYPES:
            return True, False
        if name in ("Optional", "Annotated", "Awaitable") and isinstance(node, cst.Subscript):
            first = node.slice[0].slice
            node = first.value if isinstance(first, cst.Index) else None
            continue
        return False, False
    return False, False


# ---------------------------------------------------------------------- ariadne
_ARIADNE_BINDABLES = {"QueryType": "query", "MutationType": "mutation",
                      "SubscriptionType": "subscription", "ObjectType": "query",
                      "InterfaceType": "query"}
_SDL_TYPE = re.compile(r"(?:extend\s+)?(type|input)\s+(\w+)[^{]*\{([^}]*)\}", re.S)
_SDL_FIELD = re.compile(r"(\w+)\s*(?:\(([^)]*)\))?\s*:\s*([\w\[\]!]+)")
_SDL_ARG = re.compile(r"(\w+)\s*:\s*\[?\s*(\w+)")
_SDL_ENUM = re.compile(r"enum\s+(\w+)")
_SDL_CLOSED_SCALAR = re.compile(r"date|time|uuid|int|float|decimal|bool", re.IGNORECASE)


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


class _Sdl:
    """Argument types of the fields declared by SDL strings of one module."""

    def __init__(self, module: cst.Module) -> None:
        text = "\n".join(s for s in (string_value(n) for n in _strings(module)) if s and (
            "type " in s or "input " in s))
        self.found = bool(text)
        self.enums = set(_SDL_ENUM.findall(text))
        self.scalars = set(re.findall(r"scalar\s+(\w+)", text))
        self.inputs: dict[str, list[str]] = {}
        self.fields: dict[tuple[str, str], dict[str, str]] = {}
        self.returns: dict[tuple[str, str], str] = {}  # field -> its type (``[Post!]!``)
        for kind, type_name, body in _SDL_TYPE.findall(text):
            if kind == "input":
                self.inputs[type_name] = [t for _, _, t in _SDL_FIELD.findall(body)]
                continue
            for field, args, returns in _SDL_FIELD.findall(body):
                self.fields[(type_name, _norm(field))] = {
                    _norm(n): t for n, t in _SDL_ARG.findall(args or "")}
                self.returns[(type_name, _norm(field))] = returns

    def kind(self, type_name: str, depth: int = 0) -> tuple[ArgKind, str | None]:
        base = type_name.strip("[]!")
        found = _scalar_kind(base)
        if found is not None:
            return found
        if base in self.enums:
            return ArgKind.CLOSED, None
        if base in self.inputs and depth < 3:
            kinds = [self.kind(t, depth + 1)[0] for t in self.inputs[base]]
            open_ = any(k in (ArgKind.OPEN, ArgKind.OPEN_INPUT) for k in kinds)
            return (ArgKind.OPEN_INPUT if open_ else ArgKind.INPUT), None
        if base in self.scalars:
            return (ArgKind.CLOSED, None) if _SDL_CLOSED_SCALAR.search(base) else \
                (ArgKind.UNKNOWN, None)
        return ArgKind.UNKNOWN, None

    def arguments(self, type_name: str, field: str) -> dict[str, tuple[ArgKind, str | None]]:
        declared = self.fields.get((type_name, _norm(field)), {})
        return {n: self.kind(t) for n, t in declared.items()}


def _strings(module: cst.Module) -> Iterator[cst.BaseExpression]:
    class _Find(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.BaseExpression] = []

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            if "{" in node.value:
                self.found.append(node)

    finder = _Find()
    module.visit(finder)
    return iter(finder.found)


class _Ariadne:
    def __init__(self, module: cst.Module, decl: _Module) -> None:
        self.module = module
        self.decl = decl
        self.bindables: dict[str, tuple[str, str]] = {}  # name -> (operation, type name)
        for stmt in module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and \
                        len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    found = self._bindable(small.value)
                    if found:
                        self.bindables[small.targets[0].target.value] = found
        self.sdl = _Sdl(module) if self.bindables else None

    def _bindable(self, call: cst.Call) -> tuple[str, str] | None:
        qual = self.decl._qual(call.func)
        if not qual.startswith("ariadne"):
            return None
        last = qual.rsplit(".", 1)[-1]
        if last not in _ARIADNE_BINDABLES:
            return None
        if last in ("ObjectType", "InterfaceType"):
            name = string_value(call.args[0].value) if call.args else None
            if name is None:
                return None
            operation = {"Query": "query", "Mutation": "mutation",
                         "Subscription": "subscription"}.get(name, "query")
            return operation, name
        return _ARIADNE_BINDABLES[last], last.removesuffix("Type")

    def resolvers(self) -> Iterator[Resolver]:
        if not self.bindables:
            return
        functions = {s.name.value: s for s in self.module.body if isinstance(s, cst.FunctionDef)}
        seen: set[int] = set()
        for fn in functions.values():
            for dec in fn.decorators:
                callee, call = decorator_call(dec)
                if call is None or not isinstance(callee, cst.Attribute) or \
                        callee.attr.value not in ("field", "source") or \
                        not isinstance(callee.value, cst.Name) or \
                        callee.value.value not in self.bindables or not call.args:
                    continue
                field = string_value(call.args[0].value)
                if field:
                    seen.add(id(fn))
                    yield Resolver(fn, None, self._field(callee.value.value, field, fn))
                    break
        for call in _set_field_calls(self.module):
            owner = call.func.value.value  # type: ignore[attr-defined]
            field = string_value(call.args[0].value)
            target = call.args[1].value
            fn = functions.get(target.value) if isinstance(target, cst.Name) else None
            if owner in self.bindables and field and fn is not None and id(fn) not in seen:
                seen.add(id(fn))
                yield Resolver(fn, None, self._field(owner, field, fn))

    def _field(self, bindable: str, field: str, fn: cst.FunctionDef) -> GraphqlField:
        operation, type_name = self.bindables[bindable]
        declared = self.sdl.arguments(type_name, field) if self.sdl is not None else {}
        arguments = []
        for param in _positional_inputs(fn):
            kind, conv = declared.get(_norm(param.name.value), (ArgKind.UNKNOWN, None))
            arguments.append(Argument(param.name.value, kind, conv))
        star = _star_kwargs(fn)
        if star is not None:
            named = {_norm(a.name) for a in arguments}
            rest = [k for n, (k, _) in declared.items() if n not in named]
            kind = max(rest, key=lambda k: _RISK[k]) if rest else ArgKind.UNKNOWN
            arguments.append(Argument(star, kind))
        returns = self.sdl.returns.get((type_name, _norm(field))) if self.sdl is not None \
            else None
        return GraphqlField("ariadne", operation, type_name, field, tuple(arguments),
                            returns.startswith("[") if returns else None)


def _set_field_calls(module: cst.Module) -> list[cst.Call]:
    out = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                value = small.value if isinstance(small, cst.Expr) else None
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                        value.func.attr.value == "set_field" and \
                        isinstance(value.func.value, cst.Name) and len(value.args) >= 2:
                    out.append(value)
    return out


# ---------------------------------------------------------------------- entry point
def find_resolvers(module: cst.Module, imports: ImportMap) -> list[Resolver]:
    """Every resolver a module declares, for the GraphQL libraries it imports."""
    found: list[Resolver] = []
    for library in sorted(libraries(imports)):
        decl = _Module(module, imports, library)
        finder = {"graphene": _Graphene, "strawberry": _Strawberry,
                  "ariadne": _Ariadne}[library](module, decl)
        found.extend(finder.resolvers())
    return found


def methods_for(field: GraphqlField) -> frozenset[str]:
    """What a field reads like to the HTTP-shaped rules: a mutation changes state (POST),
    a query that may return a list reads like a GET collection route; a field declared to
    return one object (the library narrows a queryset to it), a connection or a paginated
    field (they page what the resolver returns) and a subscription (it streams) answer as
    no collection route at all."""
    if field.operation == "mutation":
        return frozenset({"POST"})
    if field.operation == "subscription" or field.paginated or field.returns_list is False:
        return frozenset()
    return frozenset({"GET"})


def argument_payloads(field: GraphqlField) -> dict[str, str]:
    """The resolver parameters whose declared type leaves the value unchecked (free text,
    free structure), keyed for ``flow.payload.PayloadFlow``. A key is also how a finding
    names its source, so it reads as text: ``GraphQL argument `name` (text)``."""
    return {name: argument_key(name, kind) for name, kind in field.unchecked_inputs().items()}


# How a payload key names an argument of free structure (``JSONString``,
# ``GenericScalar``, an input object with such a field) rather than free text.
FREE_STRUCTURE = "(free structure)"


TEXT_KEY = "(free text)"


def argument_key(name: str, kind: ArgKind) -> str:
    return f"GraphQL argument `{name}` " + (TEXT_KEY if kind is ArgKind.TEXT
                                           else FREE_STRUCTURE)


def free_structure(keys: set[str] | frozenset[str]) -> bool:
    """Does any of these payload keys name an argument of free structure?"""
    return any(FREE_STRUCTURE in k for k in keys)


def fields_of_text_only(keys: set[str] | frozenset[str]) -> bool:
    """Are these payload keys all named fields of free-text arguments? A string has no
    named fields: ``conference.pretix_event_id`` after ``conference =
    Conference.objects.get(code=conference)`` is a column of the row the text selected."""
    return bool(keys) and all(f"{TEXT_KEY}#" in k for k in keys)
