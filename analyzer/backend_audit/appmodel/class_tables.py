"""Request-handler classes that a Flask-style URL table routes to.

Large Flask apps route URLs to classes rather than functions::

    bp.add_url_rule("/event/<int:event_id>/edit", "edit", RHEditEvent, methods=("GET", "POST"))

The blueprint (often the project's own subclass of Flask's) wraps each class in a view
function that builds a handler per request and calls its ``process()``; the base class
runs the access checks and then the method the class answers in (``_process()``, or
``_process_<METHOD>()``). The URL table and the class usually live in different modules
(``blueprint.py`` imports from ``controllers.py``), and nothing in the class's module
says it serves requests.

The tables are read once per scan, in the main process, before modules are analysed
(as ``openapi`` reads specification files), with Python's own ``ast`` parser: only
files with an ``add_url_rule(...)`` call naming a class are parsed, and libcst is never
loaded, so a scan answered from the cache stays without it. Each routed class becomes a
declared route ``(pkg.controllers.RHEditEvent.*, METHOD, path)``; ``class_handlers``
turns it into routes in the class's own module. Files are read, never imported or
executed.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable

from backend_audit.appmodel.module_names import absolute_name, module_name

#: A declared route's name for "the methods this class answers in".
ANY_HANDLER = "*"
_MAX_BYTES = 1_000_000
# ``add_url_rule(`` with a class name (PEP 8: ``RHEditEvent``) among its arguments.
_TABLE = re.compile(r"add_url_rule\s*\([^)]*?\b_?[A-Z]\w*[a-z]", re.DOTALL)
_CLASS_NAME = re.compile(r"_?[A-Z]\w*[a-z]\w*")


def class_routes(files: Iterable[tuple[str, str]]) -> tuple[tuple[str, str, str], ...]:
    """``(module.Class.*, METHOD, path)`` for each class a URL table in ``files`` (as
    (path to open, relative path)) routes to."""
    found: set[tuple[str, str, str]] = set()
    for path, rel in files:
        text = _table_text(path)
        if text is None or not _TABLE.search(text):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # reported by the module's own analysis
        found.update(_routed_classes(tree, rel))
    return tuple(sorted(found))


def _table_text(path: str) -> str | None:
    """The file's text when it mentions ``add_url_rule`` (tested on the bytes: most
    files do not, and a warm scan reads them all)."""
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            return None
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data.decode("utf-8", "replace") if b"add_url_rule" in data else None


def _imported(tree: ast.Module, rel: str) -> dict[str, str]:
    """Local name -> absolute dotted name, for the module's top-level imports."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = \
                    alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                sep = "" if base.endswith(".") else "."
                names[alias.asname or alias.name] = absolute_name(f"{base}{sep}{alias.name}",
                                                                  rel)
    return names


def _routed_classes(tree: ast.Module, rel: str) -> set[tuple[str, str, str]]:
    imported = _imported(tree, rel)
    here = module_name(rel)
    out: set[tuple[str, str, str]] = set()
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) or \
                call.func.attr != "add_url_rule":
            continue
        parts = _routed_class(_arg(call, "view_func", 2))
        if parts is None:
            continue
        if parts[0] in imported:
            qual = ".".join([imported[parts[0]], *parts[1:]])
        elif len(parts) == 1:
            qual = f"{here}.{parts[0]}" if here else parts[0]
        else:
            continue
        rule = _arg(call, "rule", 0)
        path = rule.value if isinstance(rule, ast.Constant) and isinstance(rule.value, str) \
            else ""
        for verb in _strings(_arg(call, "methods", None)) or ("GET",):
            out.add((f"{qual}.{ANY_HANDLER}", verb.upper(), path))
    return out


def _arg(call: ast.Call, keyword: str, index: int | None) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if index is not None and index < len(positional) and len(positional) == len(call.args):
        return positional[index]
    return None


def _strings(node: ast.expr | None) -> list[str]:
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return []
    return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _routed_class(expr: ast.expr | None) -> list[str] | None:
    """The dotted name of the class a ``view_func`` argument names: ``RHEdit``,
    ``controllers.RHEdit``, or the one argument of a wrapper (``make_view(RHEdit)``).
    ``X.as_view(...)`` is a Flask ``View`` class, found from the class itself."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords and \
            not (isinstance(expr.func, ast.Attribute) and expr.func.attr == "as_view"):
        expr = expr.args[0]
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.insert(0, expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.insert(0, expr.id)
    return parts if _CLASS_NAME.fullmatch(parts[-1]) else None
