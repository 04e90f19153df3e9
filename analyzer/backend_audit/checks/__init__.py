"""libcst checks: one module per rule, at ``checks/<category>/<rule_name>.py``
(the catalogue's ``rules/<category>/<rule-name>.yaml`` with ``-`` spelled ``_``);
discovered, never registered by hand. Checks only ask the analysis library
(``appmodel``, ``flow``, ``sql``) and report; the library never imports checks."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from backend_audit.visitor import Check, Collector


def _subclasses_in(package: str, base: type) -> list[type]:
    pkg = importlib.import_module(package)
    found: list[type] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        if info.ispkg:
            found.extend(_subclasses_in(f"{package}.{info.name}", base))
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, base) and \
                    obj.__module__ == module.__name__:
                found.append(obj)
    return found


@cache
def check_classes() -> dict[str, type[Check]]:
    """Every check class by the catalogue id it implements."""
    classes: dict[str, type[Check]] = {}
    for cls in _subclasses_in("backend_audit.checks", Check):
        if cls.rule_id is None or issubclass(cls, Collector):
            continue
        if cls.rule_id in classes:
            raise RuntimeError(f"two checks implement {cls.rule_id}: "
                               f"{classes[cls.rule_id].__name__} and {cls.__name__}")
        classes[cls.rule_id] = cls
    return classes


@cache
def collector_classes() -> tuple[type[Collector], ...]:
    return tuple(_subclasses_in("backend_audit.appmodel.collectors", Collector))
