"""Which function a call reaches, and which argument fills which parameter.

The one place the analysis library answers these questions; every walker that follows
a value into a call asks here:

- ``local_callee``: the function of the same module a call reaches: a plain function, a
  function nested in an enclosing one, a ``self.``/``cls.``/``super().`` method of the
  enclosing class (same-module base classes included), a method of a same-module class
  called on the class, or a class's ``__init__`` for a constructor call.
- ``imported_callee`` / ``absolute_name``: the qualified name of an imported callee,
  relative imports resolved against the calling module's package; ``callee_name`` the
  name a callee goes by (qualified when imported, else as written); ``names_match``
  whether a function recorded in a fact under its module's name is one a call names.
- ``param_index``: the position a parameter takes among a call's positional arguments;
  ``recorded_param`` the same for a function known only by a fact's parameter list;
  ``find_param`` a parameter by name, ``param_annotation`` what it is annotated with.
- ``bind_arguments``: which argument of a call fills which parameter (positional,
  keyword, defaults, ``*args``/``**kwargs``, the bound ``self``/``cls``);
  ``argument_slots`` where each argument goes when the callee is known only by name.
- ``instance_class``: the class of the object a call returns (a constructor, a row
  fetch); ``object_class`` the class of the object any receiver holds where it is read
  (a call, a name by the values that reach the read, ``self.x`` by what the class
  assigns, a parameter by its annotation; ``held`` the values a name holds there);
  ``class_method`` / ``imported_method`` the method ``obj.method(...)`` then runs: a
  method of a class of the module, or the qualified name of an imported class's. Every
  walker asks these (``flow.fold.Walk.instance_class``, ``flow.taint.Taint``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.module_names import absolute_name
from backend_audit.appmodel.names import dotted_name, last_name

if TYPE_CHECKING:
    from backend_audit.flow.reaching import Scope

SELF_NAMES = frozenset({"self", "cls"})


# ---------------------------------------------------------------------- the module index
class ModuleFunctions:
    """The functions and classes a module defines at top level, by name.

    ``functions`` holds top-level functions by name and methods of top-level classes as
    ``Class.method`` (a later definition of a name replaces an earlier one, as when the
    module runs)."""

    def __init__(self, module: cst.Module) -> None:
        self.functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self._owner: dict[int, cst.ClassDef] = {}
        self._nested: dict[int, dict[str, cst.FunctionDef]] = {}
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
            elif isinstance(stmt, cst.ClassDef):
                self.classes[stmt.name.value] = stmt
                if isinstance(stmt.body, cst.IndentedBlock):
                    for inner in stmt.body.body:
                        if isinstance(inner, cst.FunctionDef):
                            self.functions[f"{stmt.name.value}.{inner.name.value}"] = inner
                            self._owner[id(inner)] = stmt

    def owner(self, fn: cst.FunctionDef) -> cst.ClassDef | None:
        """The top-level class ``fn`` is a method of."""
        return self._owner.get(id(fn))

    def method(self, cls: cst.ClassDef, name: str,
               _seen: frozenset[str] = frozenset()) -> cst.FunctionDef | None:
        """``cls.name``, else the first same-module base class's (depth first)."""
        found = self.functions.get(f"{cls.name.value}.{name}")
        if found is not None or cls.name.value in _seen:
            return found
        for base in cls.bases:
            parent = self.classes.get(dotted_name(base.value) or "")
            if parent is not None and parent is not cls:
                found = self.method(parent, name, _seen | {cls.name.value})
                if found is not None:
                    return found
        return None

    def nested(self, fn: cst.FunctionDef) -> dict[str, cst.FunctionDef]:
        """Functions defined directly in ``fn``'s body (in its blocks, not deeper)."""
        key = id(fn)
        if key not in self._nested:
            found: dict[str, cst.FunctionDef] = {}
            _collect_defs(fn.body, found)
            self._nested[key] = found
        return self._nested[key]


def _collect_defs(node: cst.CSTNode, found: dict[str, cst.FunctionDef]) -> None:
    for child in node.children:
        if isinstance(child, cst.FunctionDef):
            found[child.name.value] = child
        elif isinstance(child, (cst.If, cst.Else, cst.Try, cst.TryStar, cst.ExceptHandler,
                                cst.ExceptStarHandler, cst.Finally, cst.With, cst.For,
                                cst.While, cst.IndentedBlock, cst.SimpleStatementSuite)):
            _collect_defs(child, found)


# ---------------------------------------------------------------------- local callees
@dataclass(frozen=True)
class Callee:
    """A same-module function a call reaches."""

    function: cst.FunctionDef
    owner: cst.ClassDef | None = None  # the class it is a method of
    bound: bool = False  # the call fills its first parameter itself (``self``/``cls``)
    constructor: bool = False  # ``Class(...)`` reaching ``Class.__init__``


def local_callee(call: cst.Call | cst.BaseExpression, functions: ModuleFunctions,
                 cls: cst.ClassDef | None = None,
                 within: Sequence[cst.FunctionDef] = ()) -> Callee | None:
    """The same-module function ``call`` (or a callee expression, such as a decorator)
    reaches. ``cls`` is the class the call is made in (for ``self.``/``cls.``/
    ``super().``); ``within`` the functions enclosing the call, outermost first (their
    nested functions shadow the module's)."""
    func = call.func if isinstance(call, cst.Call) else call
    if isinstance(func, cst.Name):
        name = func.value
        for outer in reversed(within):
            nested = functions.nested(outer).get(name)
            if nested is not None:
                return Callee(nested)
        fn = functions.functions.get(name)
        if fn is not None:
            return Callee(fn)
        klass = functions.classes.get(name)
        if klass is not None:
            init = functions.method(klass, "__init__")
            return Callee(init, functions.owner(init), True, True) if init else None
        return None
    if not isinstance(func, cst.Attribute):
        return None
    receiver, name = func.value, func.attr.value
    if cls is not None and isinstance(receiver, cst.Name) and receiver.value in SELF_NAMES:
        return _method(functions, cls, name, via_class=False)
    if cls is not None and isinstance(receiver, cst.Call) and \
            isinstance(receiver.func, cst.Name) and receiver.func.value == "super":
        for base in cls.bases:
            parent = functions.classes.get(dotted_name(base.value) or "")
            if parent is not None and parent is not cls:
                found = _method(functions, parent, name, via_class=False)
                if found is not None:
                    return found
        return None
    if isinstance(receiver, cst.Name) and receiver.value in functions.classes:
        return _method(functions, functions.classes[receiver.value], name, via_class=True)
    return None


def _method(functions: ModuleFunctions, cls: cst.ClassDef, name: str,
            via_class: bool) -> Callee | None:
    fn = functions.method(cls, name)
    if fn is None:
        return None
    kind = method_kind(fn)
    bound = kind == "classmethod" or (kind == "method" and not via_class)
    return Callee(fn, functions.owner(fn), bound)


def method_kind(fn: cst.FunctionDef) -> str:
    """``staticmethod``, ``classmethod`` or ``method`` (by its decorators)."""
    for dec in fn.decorators:
        name = dotted_name(dec.decorator)
        if name in ("staticmethod", "classmethod"):
            return name
    return "method"


# ---------------------------------------------------------------------- imported callees
def imported_callee(call: cst.Call | cst.BaseExpression, imports: ImportMap,
                    path: str) -> str | None:
    """The absolute qualified name of what ``call`` (or a callee expression) calls,
    when the module imports it; None for local and built-in names."""
    func = call.func if isinstance(call, cst.Call) else call
    qual = imports.qualname(func)
    return absolute_name(qual, path) if qual else None


def callee_name(call: cst.Call, imports: ImportMap, path: str) -> str | None:
    """The name a callee goes by: qualified when imported (``hashlib.md5``), else as
    written (``self.hasher.hash``), else its last name."""
    func = call.func
    return imported_callee(func, imports, path) or dotted_name(func) or (
        func.attr.value if isinstance(func, cst.Attribute) else None)


def names_match(defined: str, called: str) -> bool:
    """Whether a function, class or module recorded in a fact as ``defined``
    (``pkg.db.run``, named after the scanned file) is the one code names as ``called``
    (``pkg.db.run``, or a dotted suffix or extension of it where the scan root and the
    import root differ)."""
    return defined == called or defined.endswith("." + called) or \
        called.endswith("." + defined)


# ---------------------------------------------------------------------- parameters
def _positional(fn: cst.FunctionDef, bound: bool) -> list[cst.Param]:
    params = [*fn.params.posonly_params, *fn.params.params]
    if bound and params and method_kind(fn) != "staticmethod":
        params = params[1:]
    return params


def positional_names(fn: cst.FunctionDef, bound: bool = False) -> list[str]:
    """The parameters a call may fill by position, in order (see ``param_index``)."""
    return [p.name.value for p in _positional(fn, bound)]


def recorded_param(params: Sequence[str], where: int | str) -> str | None:
    """For a function known by the names of its positional parameters (a fact from
    another module): the parameter a call's argument fills, the argument given by its
    position or its keyword."""
    if isinstance(where, str):
        return where
    return params[where] if 0 <= where < len(params) else None


def param_names(fn: cst.FunctionDef, bound: bool = False) -> list[str]:
    """Every named parameter in order (``*args``/``**kwargs`` excluded), without the
    first when the call fills it itself (``bound``)."""
    return [p.name.value for p in (*_positional(fn, bound), *fn.params.kwonly_params)]


def param_index(fn: cst.FunctionDef, name: str, bound: bool = False) -> int | None:
    """The index of parameter ``name`` among a call's positional arguments: None for a
    keyword-only parameter, ``*args``, ``**kwargs`` or a name ``fn`` does not take."""
    for index, param in enumerate(_positional(fn, bound)):
        if param.name.value == name:
            return index
    return None


def find_param(fn: cst.FunctionDef, name: str) -> cst.Param | None:
    """``fn``'s named parameter ``name`` (``*args``/``**kwargs`` aside)."""
    p = fn.params
    return next((param for param in (*p.posonly_params, *p.params, *p.kwonly_params)
                 if param.name.value == name), None)


def param_annotation(fn: cst.FunctionDef, name: str) -> cst.BaseExpression | None:
    """What ``fn``'s parameter ``name`` is annotated with (``repo: OrderRepo``)."""
    found = find_param(fn, name)
    return found.annotation.annotation if found is not None and found.annotation else None


def is_bound_call(fn: cst.FunctionDef, call: cst.Call) -> bool:
    """Without a ``Callee``: whether ``call`` fills ``fn``'s first parameter itself (a
    method named with ``self``/``cls`` called on an object, or a constructor)."""
    params = [*fn.params.posonly_params, *fn.params.params]
    if not params or params[0].name.value not in SELF_NAMES:
        return False
    return isinstance(call.func, cst.Attribute) or fn.name.value == "__init__"


@dataclass(frozen=True)
class Binding:
    """Which argument of one call fills which parameter of one function."""

    arguments: Mapping[str, cst.BaseExpression]  # parameter -> the argument given for it
    defaults: Mapping[str, cst.BaseExpression]  # parameter -> default, when none is given
    star_name: str | None = None  # the ``*args`` parameter
    star: tuple[cst.BaseExpression, ...] = ()  # extra positional arguments it collects
    double_star_name: str | None = None  # the ``**kwargs`` parameter
    double_star: Mapping[str, cst.BaseExpression] = field(default_factory=dict)
    # The call's own ``*seq``/``**mapping`` arguments (and positional ones after a
    # ``*seq``): they may fill any parameter the call does not otherwise give.
    unpacked: tuple[cst.BaseExpression, ...] = ()

    def argument(self, param: str) -> cst.BaseExpression | None:
        return self.arguments.get(param)

    def value(self, param: str) -> cst.BaseExpression | None:
        """The argument given for ``param``, else its default."""
        return self.arguments.get(param, self.defaults.get(param))

    def sources(self, param: str) -> tuple[cst.BaseExpression, ...]:
        """Every expression of the call that may flow into ``param``: its argument, what
        ``*args``/``**kwargs`` collect, or the call's unpacked arguments. Never the
        default, which belongs to the callee's scope (see ``value``)."""
        if param in self.arguments:
            return (self.arguments[param],)
        if param == self.star_name:
            return self.star + self.unpacked
        if param == self.double_star_name:
            return (*self.double_star.values(), *self.unpacked)
        return self.unpacked


def bind_arguments(fn: cst.FunctionDef, call: cst.Call,
                   bound: bool | None = None) -> Binding:
    """Bind ``call``'s arguments to ``fn``'s parameters as Python would. ``bound``: the
    call fills the first parameter itself (see ``Callee.bound``); None guesses it with
    ``is_bound_call``."""
    if bound is None:
        bound = is_bound_call(fn, call)
    p = fn.params
    positional = _positional(fn, bound)
    posonly = {param.name.value for param in p.posonly_params}
    by_keyword = {param.name.value for param in (*positional, *p.kwonly_params)} - posonly
    star_name = p.star_arg.name.value if isinstance(p.star_arg, cst.Param) else None
    kwargs_name = p.star_kwarg.name.value if p.star_kwarg is not None else None
    arguments: dict[str, cst.BaseExpression] = {}
    star: list[cst.BaseExpression] = []
    extra: dict[str, cst.BaseExpression] = {}
    unpacked: list[cst.BaseExpression] = []
    for arg, slot in argument_slots(call):
        if isinstance(slot, str):
            if slot in by_keyword:
                arguments[slot] = arg.value
            elif kwargs_name is not None:
                extra[slot] = arg.value
        elif slot is None:
            unpacked.append(arg.value)
        elif slot < len(positional):
            arguments[positional[slot].name.value] = arg.value
        elif star_name is not None:
            star.append(arg.value)
    defaults = {param.name.value: param.default
                for param in (*positional, *p.kwonly_params)
                if param.default is not None and param.name.value not in arguments}
    return Binding(arguments, defaults, star_name, tuple(star), kwargs_name, extra,
                   tuple(unpacked))


def argument_slots(call: cst.Call) -> list[tuple[cst.Arg, int | str | None]]:
    """Each argument of ``call`` with where it goes: its keyword, its position among the
    positional arguments, or None for ``*seq``/``**mapping`` and for a positional
    argument after a ``*seq`` (its position depends on the sequence)."""
    out: list[tuple[cst.Arg, int | str | None]] = []
    position: int | None = 0
    for arg in call.args:
        if arg.star:
            out.append((arg, None))
            if arg.star == "*":
                position = None
        elif arg.keyword is not None:
            out.append((arg, arg.keyword.value))
        else:
            out.append((arg, position))
            position = None if position is None else position + 1
    return out


# ---------------------------------------------------------------------- objects
def is_capword(name: str | None) -> bool:
    """A name written as a class's (``OrderRepo``, not ``ORDERS`` or ``order``)."""
    return bool(name) and name[0].isupper() and any(c.islower() for c in name)


# Calls that return one row of the model class they are given or chained from.
ROW_FETCHES = frozenset({"get", "first", "last", "one", "one_or_none", "get_or_404",
                         "first_or_404", "one_or_404", "get_object_or_404", "earliest",
                         "latest"})


def instance_class(call: cst.Call) -> cst.BaseExpression | None:
    """The class, as written, of the object ``call`` returns: ``Order`` for a single-row
    fetch (``Order.objects.get(...)``, ``Order.query.filter_by(...).first()``,
    ``get_object_or_404(Order, ...)``, ``db.session.get(Order, pk)``), ``OrderRepo``
    for a constructor ``OrderRepo(db)``; None when the call does not say."""
    if last_name(call.func) in ROW_FETCHES:
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        if isinstance(first, (cst.Name, cst.Attribute)) and is_capword(last_name(first)):
            return first
        node: cst.BaseExpression = call.func
        while isinstance(node, (cst.Attribute, cst.Call)):
            node = node.value if isinstance(node, cst.Attribute) else node.func
        if isinstance(node, cst.Name) and is_capword(node.value):
            return node
    return call.func if is_capword(last_name(call.func)) else None


def held(scope: Scope, name: str, use: cst.CSTNode | None) -> list[cst.BaseExpression]:
    """The expressions ``name`` is assigned from that reach ``use`` (None: the end of the
    scope), in source order, dead branches skipped; ``await`` taken off, and a value the
    name takes one element of (``a, b = f()``) left out."""
    flow = scope.flow
    defs, _ = scope.reaching_name(name, use, "assigned")
    out = []
    for d in defs:
        if flow.position_in(name, d.value) is None:
            value = d.value
            out.append(value.expression if isinstance(value, cst.Await) else value)
    return out


def object_class(expr: cst.BaseExpression, scope: Scope, function: cst.FunctionDef | None,
                 module_values: Callable[[str], list[cst.BaseExpression]],
                 self_values: Callable[[str], list[cst.BaseExpression]]
                 ) -> cst.BaseExpression | None:
    """The class, as written, of the object ``expr`` holds where ``scope`` (of
    ``function``, None: the module body) reads it: the one every call it may be made by
    agrees on (``instance_class``: ``OrderRepo(db)``, ``Order.objects.get(...)``), for a
    name its values reaching the read, else the module's (``module_values``) when the
    function neither assigns nor takes it; for ``self.x`` what the class assigns
    (``self_values``); for a parameter its annotation. None when nothing says, or two
    classes do."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    values: list[cst.BaseExpression] = []
    if isinstance(expr, cst.Call):
        values = [expr]
    elif isinstance(expr, cst.Name):
        name = expr.value
        flow = scope.flow
        values = held(scope, name, expr)
        if not values and name in flow.params and function is not None:
            annotation = param_annotation(function, name)
            return annotation if isinstance(annotation, (cst.Name, cst.Attribute)) and \
                is_capword(last_name(annotation)) else None
        if not values and function is not None and not flow.values_of(name):
            values = module_values(name)
    elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and \
            expr.value.value == "self":
        values = self_values(expr.attr.value)
    classes = [instance_class(v) for v in values if isinstance(v, cst.Call)]
    names = {dotted_name(c) if c is not None else None for c in classes}
    return classes[0] if len(names) == 1 and None not in names else None


def class_method(cls: cst.BaseExpression | None, name: str,
                 functions: ModuleFunctions) -> Callee | None:
    """The method ``name`` an object of ``cls`` (as written) runs when ``cls`` is a class
    of the module (its same-module bases included); bound unless a staticmethod."""
    klass = functions.classes.get(cls.value) if isinstance(cls, cst.Name) else None
    method = functions.method(klass, name) if klass is not None else None
    if method is None:
        return None
    return Callee(method, functions.owner(method), method_kind(method) != "staticmethod")


def imported_method(cls: cst.BaseExpression | None, name: str, imports: ImportMap,
                    path: str) -> str | None:
    """``app.repos.OrderRepo.search`` for the method ``search`` of an object of a class
    the module imports (``cls`` as written), relative imports resolved."""
    if not isinstance(cls, (cst.Name, cst.Attribute)):
        return None
    qual = imported_callee(cls, imports, path)
    return f"{qual}.{name}" if qual and is_capword(qual.rsplit(".", 1)[-1]) else None
