"""Is this module server code (as opposed to a script, a command or a test)? Defines no rule."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.dev_scope import is_dev_only

SERVER_DIRS = frozenset({"services", "service", "views", "api", "routers", "routes", "handlers",
                         "endpoints", "blueprints", "resources", "controllers"})
SCRIPT_DIRS = frozenset({"scripts", "bin", "tools", "commands", "management", "migrations"})
SCRIPT_FILES = frozenset({"manage.py", "cli.py", "__main__.py", "setup.py", "conftest.py",
                          "wsgi.py", "asgi.py", "gunicorn.conf.py", "tasks.py"})
WEB_FRAMEWORKS = frozenset({"flask", "fastapi", "django", "drf", "starlette", "aiohttp"})
CLI_DECORATORS = ("command", "group", "callback")


def is_script_file(path: str) -> bool:
    """A script, command or entry-point file (``manage.py``, ``scripts/seed.py``)."""
    parts = path.split("/")
    return parts[-1] in SCRIPT_FILES or any(p in SCRIPT_DIRS for p in parts[:-1])


def is_server_module(ctx: ModuleContext) -> bool:
    parts = ctx.path.split("/")
    if is_dev_only(ctx.path) or is_script_file(ctx.path):
        return False
    if ctx.routes.routes or ctx.routes.view_classes:
        return True
    stem = parts[-1].removesuffix(".py")
    in_server_place = stem in SERVER_DIRS or any(p in SERVER_DIRS for p in parts[:-1])
    return in_server_place and bool(WEB_FRAMEWORKS & ctx.frameworks)


def is_main_guard(node: cst.If) -> bool:
    """``if __name__ == "__main__":``"""
    test = node.test
    return isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and \
        test.left.value == "__name__"


def is_cli_function(fn: cst.FunctionDef) -> bool:
    """Functions registered as click/typer/Flask CLI commands print to a terminal."""
    for dec in fn.decorators:
        target = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if isinstance(target, cst.Attribute) and target.attr.value in CLI_DECORATORS:
            return True
    return False
