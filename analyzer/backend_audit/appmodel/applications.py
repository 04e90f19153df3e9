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
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from backend_audit.appmodel.project import ProjectFacts

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


class ScopedFacts:
    """The facts each candidate is resolved against: its application's, plus shared code's."""

    def __init__(self, project: ProjectFacts, files: Iterable[str]) -> None:
        self.project = project
        markers = application_markers(project, files)
        self.scopes = application_scopes(markers)
        outer = {m for m in markers if not any(o != m and _under(m, o) for o in markers)}
        # One application in the scan (nested markers are one): every file is its.
        self._only = (next(iter(outer)) or ".") if len(outer) == 1 else None
        self._views: dict[str, ProjectFacts] = {}

    def application_of(self, path: str) -> str | None:
        """The folder of the application ``path`` belongs to ("." for the scan root);
        None for code shared by several applications, or when none is found."""
        if not self.scopes:
            return self._only
        return self.scope_of(path)

    def scope_of(self, path: str) -> str | None:
        best = None
        for scope in self.scopes:
            if _under(path, scope) and (best is None or len(scope) > len(best)):
                best = scope
        return best

    def for_path(self, path: str) -> ProjectFacts:
        scope = self.scope_of(path)
        if scope is None:
            return self.project
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
