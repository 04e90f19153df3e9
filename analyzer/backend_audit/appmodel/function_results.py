"""What a function answers: whether ``None`` is one of its declared results (``-> X |
None``, ``Optional[X]``) or a value it returns on a path of its own. Defines no rule."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import dotted_name


def allows_none(annotation: cst.BaseExpression) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[X, None]``, ``None``."""
    if isinstance(annotation, cst.Name):
        return annotation.value == "None"
    if isinstance(annotation, cst.BinaryOperation) and \
            isinstance(annotation.operator, cst.BitOr):
        return allows_none(annotation.left) or allows_none(annotation.right)
    if isinstance(annotation, cst.Subscript):
        kind = dotted_name(annotation.value).rsplit(".", 1)[-1]
        return kind == "Optional" or kind == "Union" and any(
            isinstance(e.slice, cst.Index) and allows_none(e.slice.value)
            for e in annotation.slice)
    return False


def declares_none(fn: cst.FunctionDef) -> bool:
    """The signature says callers may get ``None`` back."""
    return fn.returns is not None and allows_none(fn.returns.annotation)


def is_none_return(ret: cst.Return) -> bool:
    """``return`` or ``return None``."""
    return ret.value is None or isinstance(ret.value, cst.Name) and ret.value.value == "None"


def can_complete(block: cst.BaseSuite) -> bool:
    """May control leave ``block`` at its end (it does not end in a return or raise)?
    Loops and branches are taken as completing: the question is asked to learn whether
    the statement after a block is reached on an ordinary path, and "maybe" is "yes"."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    last = statements[-1] if statements else None
    small = last.body if isinstance(last, (cst.SimpleStatementLine,
                                           cst.SimpleStatementSuite)) else ()
    return not any(isinstance(s, (cst.Return, cst.Raise)) for s in small)
