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


def _direct_init(cls: type) -> Callable[..., None] | None:
    """An ``__init__`` for ``cls`` equal to its dataclass one but for the stores and the
    validation switch; None when ``cls`` does not fit (then it keeps its own)."""
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
    source = (f"def _make({', '.join(['_ba_FACTORY', *cells])}):\n"
              f" def __init__({', '.join(params)}):\n" + "\n".join(body) +
              "\n  if _validate:\n   self.__post_init__()\n return __init__\n")
    namespace: dict[str, Any] = {}
    exec(source, _GLOBALS, namespace)  # noqa: S102 - source built above from field names
    factory = object()
    init = namespace["_make"](factory, *cells.values())
    if _parameters(init, factory) != _parameters(original, object()):
        return None
    init.__qualname__ = original.__qualname__
    setattr(init, _MARK, True)
    return init


def _parameters(fn: Callable[..., None], factory: object) -> list[tuple[str, object, object]]:
    """Name, kind and default of each parameter (any default-factory marker as one)."""
    out = []
    for p in inspect.signature(fn).parameters.values():
        default = p.default
        if default is factory or repr(default) == "<factory>":
            default = "<factory>"
        out.append((p.name, p.kind, default))
    return out


def direct_node_inits() -> int:
    """Give every libcst node class that fits the direct ``__init__``; the number of
    classes changed (0 when already done)."""
    changed = 0
    for obj in vars(cst).values():
        if isinstance(obj, type) and issubclass(obj, cst.CSTNode) and \
                dataclasses.is_dataclass(obj):
            init = _direct_init(obj)
            if init is not None:
                ORIGINAL_INITS[obj] = vars(obj)["__init__"]
                obj.__init__ = init  # type: ignore[misc]
                changed += 1
    return changed
