"""Routes declared in OpenAPI/Swagger files rather than in Python (Connexion and the like).

A Connexion app names its handlers in the specification: ``operationId:
api_views.users.get_all_users`` under ``paths: /users/v1: get:``. The handler module has
no decorator, no URL table, nothing that says it serves requests, so every check that
asks "is this a route?" would pass it by. This module finds specification files beside
the scanned code and reads which functions they route to, once per scan, in the main
process; each module's ``RouteFinder`` then adds those functions as routes.

Files are read, never imported or executed: YAML through ``yaml.safe_load``, size-capped,
regular files only. A file that is not a specification, or not valid, is ignored.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

#: (handler ``module.function``, HTTP method, URL path) for each declared operation.
DeclaredRoute = tuple[str, str, str]

_MAX_BYTES = 2_000_000
_SPEC_NAME = re.compile(r"(?i)(openapi|swagger|api|spec)[\w.-]*\.(ya?ml|json)$")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def declared_routes(root: Path, files: Iterable[tuple[str, str]]) -> tuple[DeclaredRoute, ...]:
    """Operations of the specification files in the folders of ``files`` (the analysed
    Python files, as (path to open, relative path)) and their direct subfolders."""
    folders: set[str] = set()
    for path, _ in files:
        folders.add(os.path.dirname(path) or ".")
    found: set[DeclaredRoute] = set()
    seen: set[str] = set()
    for folder in sorted(folders):
        for spec in _spec_files(folder):
            if spec not in seen:
                seen.add(spec)
                found.update(_operations(spec))
    return tuple(sorted(found))


def _spec_files(folder: str) -> list[str]:
    out: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and _SPEC_NAME.search(entry.name):
                out.append(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                for sub in os.scandir(entry.path):
                    if sub.is_file(follow_symlinks=False) and _SPEC_NAME.search(sub.name):
                        out.append(sub.path)
        except OSError:
            continue
    return out


def _read(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_BYTES:
            return None
        data = os.read(fd, _MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace")


def _operations(path: str) -> list[DeclaredRoute]:
    text = _read(path)
    if not text or "operationId" not in text or "paths" not in text:
        return []
    import yaml  # only when a specification is found: not on every warm scan

    try:
        doc = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError):
        return []
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, dict):
        return []
    out: list[DeclaredRoute] = []
    for url, item in paths.items():
        if not isinstance(item, dict) or not isinstance(url, str):
            continue
        controller = item.get("x-openapi-router-controller")
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            op_id = op.get("operationId")
            if not isinstance(op_id, str) or not op_id:
                continue
            ctrl = op.get("x-openapi-router-controller", controller)
            handler = f"{ctrl}.{op_id}" if isinstance(ctrl, str) and ctrl else op_id
            if "." in handler:
                out.append((handler, method.upper(), url))
    return out


def routes_of_module(declared: tuple[DeclaredRoute, ...],
                     module: str) -> dict[str, tuple[frozenset[str], str]]:
    """The declared handlers of ``module`` (by function name or ``Class.method``), with
    their methods and first URL path. ``module`` may be a suffix of the declared name's
    module (the scan root below the import root) or the other way round."""
    out: dict[str, tuple[set[str], str]] = {}
    for handler, method, url in declared:
        target, _, name = handler.rpartition(".")
        owner = ""
        if not _same_module(target, module):
            # ``pkg.views.Users.get``: a method of a class of the module
            target, _, owner = target.rpartition(".")
            if not owner or not _same_module(target, module):
                continue
        key = f"{owner}.{name}" if owner else name
        methods, first = out.setdefault(key, (set(), url))
        methods.add(method)
    return {k: (frozenset(m), url) for k, (m, url) in out.items()}


def _same_module(declared: str, module: str) -> bool:
    return bool(declared) and bool(module) and (
        declared == module or declared.endswith("." + module) or
        module.endswith("." + declared))
