"""libcst node constructors that skip validation while the engine parses.

libcst's native parser builds each node by calling its class, whose dataclass
``__init__`` stores every field through ``object.__setattr__`` (the classes are frozen)
and then calls ``__post_init__``, which validates the node. A tree the parser builds
from source is valid by construction, and the engine parses without validation
(``parse_trusted``); still, the call to ``__post_init__`` and the generic attribute
stores are an eighth of the parse. Each node class with a plain dataclass ``__init__``
gets one with the same signature and defaults that stores each field through the
class's slot directly and validates unless ``unvalidated()`` is in force, so every node
built outside a parse is checked as before. tests/test_node_init.py compares the trees
and the signatures.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import libcst as cst

#: The globals of every generated ``__init__``: ``_validate`` is read on each call.
_GLOBALS: dict[str, Any] = {"_validate": True}
_MARK = "_backend_audit_node_init"
#: Each changed class's own dataclass ``__init__`` (tests compare the two).
ORIGINAL_INITS: dict[type, Callable[..., None]] = {}


@contextmanager
def unvalidated() -> Iterator[None]:
    """Nodes built inside the block are not validated (single-threaded use only)."""
    _GLOBALS["_validate"] = False
    try:
        yield
    finally:
        _GLOBALS["_validate"] = True


def _slot_setter(cls: type, name: str) -> Callable[[object, object], None] | None:
    for klass in cls.__mro__:
        member = vars(klass).get(name)
        if member is not None:
            return member.__set__ if inspect.ismemberdescriptor(member) else None
    return None


def _init_source(cls: type, n: int) -> tuple[str, dict[str, object]] | None:
    """The source of ``_make{n}``, which returns an ``__init__`` for ``cls`` equal to its
    dataclass one but for the stores and the validation switch, and the values it takes
    by name; None when ``cls`` does not fit (then it keeps its own ``__init__``)."""
    original = vars(cls).get("__init__")
    if original is None or getattr(original, _MARK, False) or \
            getattr(getattr(original, "__code__", None), "co_filename", "") != "<string>":
        return None
    fields = dataclasses.fields(cls)
    if any(not f.init or f.kw_only for f in fields):
        return None
    params, body, cells = ["self"], [], {}
    for i, f in enumerate(fields):
        setter = _slot_setter(cls, f.name)
        if setter is None or f.name.startswith("_ba_") or f.name in ("self", "_validate"):
            return None
        cells[f"_ba_set{i}"] = setter
        if f.default is not dataclasses.MISSING:
            cells[f"_ba_default{i}"] = f.default
            params.append(f"{f.name}=_ba_default{i}")
        elif f.default_factory is not dataclasses.MISSING:
            cells[f"_ba_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_ba_FACTORY")
            body.append(f"  if {f.name} is _ba_FACTORY: {f.name} = _ba_factory{i}()")
        else:
            params.append(f.name)
        body.append(f"  _ba_set{i}(self, {f.name})")
    source = (f"def _make{n}({', '.join(['_ba_FACTORY', *cells])}):\n"
              f" def __init__({', '.join(params)}):\n" + "\n".join(body) +
              "\n  if _validate:\n   self.__post_init__()\n return __init__\n")
    return source, cells


def _parameters(fn: Callable[..., None], factory: object) -> tuple[object, ...]:
    """The parameters of ``fn`` and their defaults (any default-factory marker as one)."""
    code = fn.__code__
    defaults = tuple("<factory>" if d is factory or repr(d) == "<factory>" else id(d)
                     for d in fn.__defaults__ or ())
    return (code.co_varnames[:code.co_argcount], code.co_kwonlyargcount,
            code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS), defaults)


_installed = False


def install() -> None:
    """``direct_node_inits`` once per process (before a first parse, or before workers
    are forked so that they inherit it)."""
    global _installed
    if not _installed:
        _installed = True
        direct_node_inits()


def direct_node_inits() -> int:
    """Give every libcst node class that fits the direct ``__init__``; the number of
    classes changed (0 when already done)."""
    classes = [obj for obj in vars(cst).values() if isinstance(obj, type) and
               issubclass(obj, cst.CSTNode) and dataclasses.is_dataclass(obj)]
    sources = {cls: found for n, cls in enumerate(classes)
               if (found := _init_source(cls, n)) is not None}
    namespace: dict[str, Any] = {}
    try:
        # one compilation for all the classes (each on its own cost more than the rest)
        exec("\n".join(source for source, _ in sources.values()),  # noqa: S102 - built above
             _GLOBALS, namespace)
    except SyntaxError:  # pragma: no cover - a field name no generated code can hold
        return 0
    changed = 0
    for n, cls in enumerate(classes):
        if cls not in sources:
            continue
        factory = object()
        init = namespace[f"_make{n}"](factory, *sources[cls][1].values())
        original = vars(cls)["__init__"]
        if _parameters(init, factory) != _parameters(original, object()):
            continue
        init.__qualname__ = original.__qualname__
        setattr(init, _MARK, True)
        ORIGINAL_INITS[cls] = original
        cls.__init__ = init  # type: ignore[misc]
        changed += 1
    return changed
