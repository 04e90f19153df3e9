"""libcst's node classes answer ``isinstance`` without the ABC machinery.

Every libcst node class is an ``abc.ABC``, so each ``isinstance(node, cst.Name)`` that
is not an exact type match goes through ``ABCMeta.__instancecheck__``: a Python-level
call into ``_abc``'s caches, several times the cost of the plain type check. The checks
and the analysis library ask it millions of times per scan (a few percent of a scan's
time on NetBox). For a class with no ``__subclasshook__`` of its own and no registered
virtual subclass (anywhere below it), the ABC answer is exactly the plain one: "is the
class in the instance class's MRO". Such classes get a metaclass that gives that answer
directly; a class that has either keeps ``ABCMeta``'s. Abstract methods still work as
before (they do not depend on these two methods); a virtual subclass registered later
would not be seen (libcst registers none). tests/test_node_classes.py compares both
answers for every pair of node classes.
"""

from __future__ import annotations

import abc

import libcst as cst


class PlainCheckMeta(abc.ABCMeta):
    """``ABCMeta`` whose instance and subclass checks are ``type``'s own."""

    __instancecheck__ = type.__instancecheck__  # type: ignore[assignment]
    __subclasscheck__ = type.__subclasscheck__  # type: ignore[assignment]


def _abc_answer_is_plain(cls: type) -> bool:
    """No ``__subclasshook__`` anywhere in its MRO but ``object``'s, and no class at or
    below it with registered virtual subclasses."""
    if any("__subclasshook__" in vars(k) for k in cls.__mro__ if k is not object):
        return False
    below = [cls]
    while below:
        klass = below.pop()
        if isinstance(klass, abc.ABCMeta) and abc._get_dump(klass)[0]:
            return False
        below.extend(klass.__subclasses__())
    return True


def plain_node_checks() -> int:
    """Give every libcst node class whose ABC answer is the plain one ``PlainCheckMeta``;
    the number of classes changed (0 when already done)."""
    changed = 0
    for obj in vars(cst).values():
        if isinstance(obj, type) and type(obj) is abc.ABCMeta and \
                issubclass(obj, cst.CSTNode) and _abc_answer_is_plain(obj):
            obj.__class__ = PlainCheckMeta
            changed += 1
    return changed
