"""Django settings modules that reach production, and values a production module overrides.

A module is a Django settings module when its path says so (``settings.py``,
``settings/base.py``) or when it assigns at least two names only a settings module
assigns (``INSTALLED_APPS``, ``ROOT_URLCONF``...). Development and test settings
(``settings/dev.py``, ``local_settings.py``; ``appmodel.dev_scope``) never reach
production. A value set in a base module is overridden when another production settings
module sets the same name at module level to something else (``DEBUG = False`` or
``DEBUG = env.bool("DEBUG")`` in ``settings/production.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.collectors.host_checks import FACT_HOST_CHECK_MIDDLEWARE
from backend_audit.appmodel.collectors.settings import FACT_SETTING
from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.project import ProjectFacts

# Names only a Django settings module assigns at module level.
SETTINGS_MARKERS = ("INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE", "DATABASES",
                    "WSGI_APPLICATION", "ALLOWED_HOSTS", "SECRET_KEY")


def is_served_settings(path: str, source: str) -> bool:
    """A Django settings module that is not development- or test-only."""
    return not is_dev_only(path) and (
        "settings" in path or sum(m in source for m in SETTINGS_MARKERS) >= 2)


def overridden(name: str, path: str, project: ProjectFacts,
               still_unsafe: Callable[[object], bool]) -> bool:
    """Whether another production module sets ``name`` at module level to a value that
    is not ``still_unsafe`` (a literal, or ``None`` when the value is computed)."""
    for fact in project.get(FACT_SETTING):
        value = fact.value
        if fact.path == path or value.get("name") != name or is_dev_only(fact.path) or \
                value.get("kind") != "module":
            continue
        if not still_unsafe(value.get("value")):
            return True
    return False


def debug_switched_on(node: cst.Assign) -> bool:
    """``DEBUG = True`` (also ``DEBUG = TEMPLATE_DEBUG = True``)."""
    return _true(node.value) and any(
        isinstance(t.target, cst.Name) and t.target.value == "DEBUG" for t in node.targets)


def debug_on(value: object) -> bool:
    """A recorded ``DEBUG`` value that leaves debug mode on."""
    return value is True


def configured_debug(call: cst.Call, qualname: Callable[[cst.BaseExpression], str | None]
                     ) -> cst.CSTNode | None:
    """The ``DEBUG=True`` of ``django.conf.settings.configure(...)`` (a keyword, or an
    entry of a ``**{...}`` mapping), the way a single-module Django app sets itself up."""
    if qualname(call.func) != "django.conf.settings.configure":
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "DEBUG" and _true(arg.value):
            return arg
        if arg.star == "**" and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement) and \
                        isinstance(element.key, cst.SimpleString) and \
                        element.key.evaluated_value == "DEBUG" and _true(element.value):
                    return element
    return None


def _true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _same_module(listed: str, defined: str) -> bool:
    """``pkg.common.middleware`` (a settings entry, maybe a re-exporting package) names
    ``common.middleware.event`` (where the class is defined, rooted at the scan)."""
    candidates = (defined, defined.rsplit(".", 1)[0]) if "." in defined else (defined,)
    return any(listed == c or listed.endswith("." + c) or c.endswith("." + listed)
               for c in candidates if c)


def host_checked_by_middleware(project: ProjectFacts) -> bool:
    """Does a production ``MIDDLEWARE`` list a project middleware that checks the
    ``Host`` header itself (raises ``DisallowedHost``, calls ``validate_host()``)?"""
    checks = [(f.value["class"], f.module) for f in project.get(FACT_HOST_CHECK_MIDDLEWARE)]
    if not checks:
        return False
    for fact in project.get(FACT_SETTING):
        value = fact.value
        if value.get("name") != "MIDDLEWARE" or value.get("kind") != "module" or \
                is_dev_only(fact.path) or not isinstance(value.get("value"), list):
            continue
        for entry in value["value"]:
            if not isinstance(entry, str) or "." not in entry:
                continue
            module, name = entry.rsplit(".", 1)
            if any(name == cls and _same_module(module, where) for cls, where in checks):
                return True
    return False
