"""Applications as units: which app-wide facts belong to which application of a scan.

A scan of a monorepo or a services folder holds several applications. App-wide facts (an
error handler, a pagination default, a throttle class, security headers, logging, the
settings) belong to the application that declares them: one service's
``DEFAULT_PAGINATION_CLASS`` must not silence another's list views.

An application is marked by where it is created or configured: a web application object
(``Flask(__name__)``, ``FastAPI()``, ``web.Application()``...), a Django settings module
(``INSTALLED_APPS`` / ``ROOT_URLCONF``) or a ``manage.py``. Markers in the same folder
or below one another are one application. Each application's scope is the highest
folder above its markers that holds no other application's marker; code outside every
scope (a shared library folder) belongs to all of them. A scan with one application
(the usual case) has one scope, and facts are not divided.

Shared code is judged in each application that reaches it (its files import the module,
directly or through other shared modules, or name it in a Django ``include()``), or in
every application when none visibly does: a finding holds when it holds against some
application's facts, and names the applications it holds in (``ScopedFacts.judge``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from backend_audit.appmodel.module_names import module_name
from backend_audit.appmodel.project import ProjectFacts

T = TypeVar("T")

_DJANGO_MARKERS = frozenset({"INSTALLED_APPS", "ROOT_URLCONF"})


def application_markers(project: ProjectFacts, files: Iterable[str]) -> set[str]:
    """Folders (relative POSIX, "" for the scan root) where an application is created or
    configured."""
    out: set[str] = set()
    for fact in project.get("web_app"):
        value = fact.value
        if isinstance(value, dict) and not value.get("test") and not value.get("script"):
            out.add(posixpath.dirname(fact.path))
    for fact in project.get("setting"):
        value = fact.value
        if isinstance(value, dict) and value.get("name") in _DJANGO_MARKERS and \
                value.get("settings_module"):
            # the settings package sits inside the project folder (proj/proj/settings.py)
            out.add(posixpath.dirname(posixpath.dirname(fact.path)))
    for rel in files:
        if posixpath.basename(rel) == "manage.py":
            out.add(posixpath.dirname(rel))
    return out


def _under(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


def application_scopes(markers: set[str]) -> list[str]:
    """One folder per application; empty when the scan holds at most one."""
    # Markers below another marker belong to the outer application.
    outer = sorted(m for m in markers
                   if not any(o != m and _under(m, o) for o in markers))
    if len(outer) < 2:
        return []
    scopes = []
    for m in outer:
        scope = m
        while scope:
            parent = posixpath.dirname(scope)
            if any(o != m and _under(o, parent) for o in outer):
                break
            scope = parent
        scopes.append(scope)
    if "" in scopes:
        return []  # an application at the scan root encloses the others: one unit
    return sorted(set(scopes))


# ``import a.b, c as d`` / ``from .x import (y, z)``: the modules a file imports (a name
# imported from a module may be a submodule too).
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)"
                     r"|import[ \t]+([^\n#;]+))", re.MULTILINE)


def imported_modules(text: str, path: str) -> set[str]:
    """Dotted names of the modules ``text`` (the file at ``path``) imports; relative
    imports are made absolute from the file's place in the scan."""
    package = path.split("/")[:-1]
    out: set[str] = set()
    for base, names, plain in _IMPORT.findall(text):
        if plain:
            out.update(part.split(" as ")[0].strip() for part in plain.split(","))
            continue
        dots = len(base) - len(base.lstrip("."))
        if dots:
            up = package[: len(package) - (dots - 1)] if dots <= len(package) + 1 else []
            base = ".".join([*up, base.lstrip(".")]).strip(".")
        out.add(base)
        for name in names.strip("()").replace("\\", " ").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                out.add(f"{base}.{name}" if base else name)
    out.discard("")
    return out


@dataclass(frozen=True)
class Verdict(Generic[T]):
    """What judging one candidate in each application it belongs to found."""

    kept: T  # the result of the first application (by folder) it holds in
    application: str | None  # see ScopedFacts.judge
    note: str | None  # "(application in b/; not a/)" when it holds in some but not all


class ScopedFacts:
    """The facts each candidate is resolved against: its application's, plus shared code's."""

    def __init__(self, project: ProjectFacts, files: Iterable[str],
                 read: Callable[[str], str | None] | None = None) -> None:
        self.project = project
        self.files = list(files)
        self.read = read  # a scanned file's text by relative path, to follow its imports
        markers = application_markers(project, self.files)
        self.scopes = application_scopes(markers)
        outer = {m for m in markers if not any(o != m and _under(m, o) for o in markers)}
        # One application in the scan (nested markers are one): every file is its.
        self._only = (next(iter(outer)) or ".") if len(outer) == 1 else None
        self._views: dict[str, ProjectFacts] = {}
        self._reached: dict[str, tuple[str, ...]] | None = None

    def application_of(self, path: str) -> str | None:
        """The folder of the application ``path`` belongs to ("." for the scan root);
        for shared code, the one application that reaches it, None when several do or
        none is found."""
        if not self.scopes:
            return self._only
        scope = self.scope_of(path)
        if scope is not None:
            return scope
        reached = self.reached_by(path)
        return reached[0] if len(reached) == 1 else None

    def scope_of(self, path: str) -> str | None:
        best = None
        for scope in self.scopes:
            if _under(path, scope) and (best is None or len(scope) > len(best)):
                best = scope
        return best

    def for_path(self, path: str) -> ProjectFacts:
        """The facts of ``path``'s application; for shared code, every application's."""
        scope = self.scope_of(path)
        return self.project if scope is None else self._view(scope)

    def _view(self, scope: str) -> ProjectFacts:
        view = self._views.get(scope)
        if view is None:
            view = ProjectFacts(self.project.config, self.project.frameworks,
                                self.project.modules)
            for key, facts in self.project.facts.items():
                for fact in facts:
                    owner = self.scope_of(fact.path)
                    if owner is None or owner == scope:
                        view.facts.setdefault(key, []).append(fact)
            self._views[scope] = view
        return view

    def judge(self, path: str, decide: Callable[[ProjectFacts], T | None]) -> Verdict[T] | None:
        """Decide a candidate of ``path`` against the facts of each application it belongs
        to. Code of one application is judged in it; shared code in each application that
        reaches it (every one when none visibly does). It holds if it holds in some; its
        ``application`` is then its own application's folder, or for shared code the
        folders it holds in (comma-separated), None when it holds in all of several."""
        if not self.scopes:
            kept = decide(self.project)
            return None if kept is None else Verdict(kept, self._only, None)
        scope = self.scope_of(path)
        if scope is not None:
            kept = decide(self._view(scope))
            return None if kept is None else Verdict(kept, scope, None)
        judged = self.reached_by(path) or tuple(self.scopes)
        holds = [(app, kept) for app in judged
                 if (kept := decide(self._view(app))) is not None]
        if not holds:
            return None
        names = [app for app, _ in holds]
        if len(judged) > 1 and len(holds) == len(judged):
            return Verdict(holds[0][1], None, None)
        spared = [app for app in judged if app not in names]
        note = f"(application in {', '.join(a + '/' for a in names)}; not " \
               f"{', '.join(a + '/' for a in spared)})" if spared else None
        return Verdict(holds[0][1], ", ".join(names), note)

    def reached_by(self, path: str) -> tuple[str, ...]:
        """The applications whose code reaches shared ``path`` through imports (and Django
        ``include()``), sorted; empty for code of one application or when none does."""
        if self._reached is None:
            self._reached = self._reach()
        return self._reached.get(path, ())

    def _reach(self) -> dict[str, tuple[str, ...]]:
        if not self.scopes or self.read is None:
            return {}
        by_module = {module_name(rel): rel for rel in self.files if rel.endswith(".py")}
        suffixes: dict[str, list[str]] = {}
        for module, rel in by_module.items():
            parts = module.split(".")
            for n in range(1, len(parts)):
                suffixes.setdefault(".".join(parts[n:]), []).append(rel)

        def files_of(imported: str) -> list[str]:
            if imported in by_module:
                return [by_module[imported]]
            # absolute imports are relative to a source root inside the scan
            return suffixes.get(imported, []) if "." in imported else []

        edges: dict[str, set[str]] = {}
        for fact in self.project.get("url_include"):
            value = fact.value
            if isinstance(value, dict) and isinstance(value.get("target"), str):
                edges.setdefault(fact.path, set()).update(files_of(value["target"]))
        imports: dict[str, set[str]] = {}  # each file read once, whichever scope reaches it

        def targets_of(rel: str) -> set[str]:
            found = imports.get(rel)
            if found is None:
                found = set(edges.get(rel, ()))
                text = self.read(rel) if rel.endswith(".py") and self.read else None
                for imported in imported_modules(text, rel) if text else ():
                    found.update(files_of(imported))
                imports[rel] = found
            return found

        reached: dict[str, set[str]] = {}
        for scope in self.scopes:
            todo = [rel for rel in self.files if self.scope_of(rel) == scope]
            seen = set(todo)
            while todo:
                for target in targets_of(todo.pop()):
                    if target not in seen and self.scope_of(target) is None:
                        seen.add(target)
                        reached.setdefault(target, set()).add(scope)
                        todo.append(target)
        return {rel: tuple(sorted(apps)) for rel, apps in reached.items()}
