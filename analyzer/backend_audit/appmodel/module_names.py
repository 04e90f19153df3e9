"""Module names from file paths, and relative imports made absolute. Plain string work,
free of libcst: the main process uses it before (and, on a warm cache, without) parsing
any module."""

from __future__ import annotations


def module_name(relpath: str) -> str:
    """``app/api/users.py`` -> ``app.api.users``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = relpath[:-3].split("/") if relpath.endswith(".py") else relpath.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(path: str) -> list[str]:
    """The package a module at ``path`` (relative POSIX) resolves relative imports in."""
    package = module_name(path).split(".") if path else []
    if not path.endswith("__init__.py"):
        package = package[:-1]
    return [p for p in package if p]


def absolute_name(qual: str, path: str) -> str:
    """``.validation.check`` imported in ``app/api/users.py`` is
    ``app.api.validation.check``; ``..db.run`` is ``app.db.run``. Absolute names are
    returned as they are."""
    if not qual.startswith("."):
        return qual
    dots = len(qual) - len(qual.lstrip("."))
    package = package_of(path)
    package = package[: max(0, len(package) - (dots - 1))]
    rest = qual.lstrip(".")
    return ".".join([*package, rest]) if rest else ".".join(package)
