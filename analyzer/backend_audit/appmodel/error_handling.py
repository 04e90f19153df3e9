"""Recognisers shared by the error-handling checks (BA401-BA404) and the apps collector:
which except clauses are broad, how much an exception's text may reveal, which paths
hold test code, and which calls create a web application."""

from __future__ import annotations

import sys

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import dotted_name, get_arg, int_value
from backend_audit.engines.walk import descendants

BROAD_TYPES = frozenset({"Exception", "BaseException"})

# Exceptions whose text describes the server's internals (SQL, schema, hosts, paths,
# stderr of a subprocess): lower-cased substrings of the class name.
INTERNAL_TYPE_WORDS = (
    "database", "sql", "integrity", "operational", "programming", "dbapi", "interface",
    "psycopg", "pymysql", "mysql", "asyncpg", "postgres", "sqlite", "pymongo", "mongo",
    "redis", "oserror", "ioerror", "filenotfound", "permissionerror", "connection", "timeout",
    "requestexception", "httperror", "clienterror", "botocore", "boto", "calledprocess",
    "runtimeerror", "socket", "ssl",
)

# Exceptions written to be shown to clients, or whose text is harmless input feedback.
CLIENT_TYPE_WORDS = (
    "validation", "httpexception", "notfound", "http404", "permissiondenied",
    "badrequest", "unauthorized", "forbidden", "apiexception", "conflict",
)

# A project's own error about verifying what a client configured (a server it asked to
# connect, a signature, a domain it claims): the outcome of checking the client's input,
# worded by the project. A library's (``ssl.SSLCertVerificationError``) is about the
# server's own outgoing connections and keeps the reading of its other words.
PROJECT_CLIENT_WORDS = ("verification",)

TEST_DIRS = frozenset({"tests", "test", "testing"})
SCRIPT_DIRS = frozenset({"scripts", "bin", "commands", "tools"})


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return bool(TEST_DIRS & set(parts[:-1])) or name.startswith("test_") or \
        name.endswith("_test.py") or name == "conftest.py"


def is_script_path(path: str) -> bool:
    return bool(SCRIPT_DIRS & set(path.split("/")[:-1])) or "/management/commands/" in path


def type_names(expr: cst.BaseExpression | None,
               imports: ImportMap | None = None) -> list[str]:
    """Names of the exception types an ``except`` (or a handler key) names, qualified
    through the module's imports when possible (``IntegrityError`` ->
    ``sqlalchemy.exc.IntegrityError``)."""
    if expr is None:
        return []
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [n for el in expr.elements for n in type_names(el.value, imports)]
    name = (imports.qualname(expr) if imports is not None else None) or dotted_name(expr)
    return [name] if name else ["<expr>"]


def is_broad(handler: cst.ExceptHandler) -> bool:
    """``except:``, ``except Exception:``, ``except BaseException:`` or a tuple with one."""
    if handler.type is None:
        return True
    return any(n.split(".")[-1] in BROAD_TYPES for n in type_names(handler.type))


def _library_name(name: str) -> bool:
    """A name qualified by a standard-library module or a driver/client library."""
    top = name.split(".")[0]
    return "." in name and (top in sys.stdlib_module_names or top in _LIBRARY_TOPS)


_LIBRARY_TOPS = frozenset({"sqlalchemy", "psycopg2", "psycopg", "pymysql", "botocore",
                           "requests", "httpx", "aiohttp", "urllib3", "django", "pymongo",
                           "redis", "boto3", "jwt", "cryptography", "OpenSSL", "grpc"})


def _classify_name(name: str) -> str | None:
    last = name.split(".")[-1]
    low = last.lower()
    if last in BROAD_TYPES:
        return "high"
    if any(w in low for w in CLIENT_TYPE_WORDS):
        return None
    if any(w in low for w in PROJECT_CLIENT_WORDS) and not _library_name(name):
        return None
    if any(w in name.lower() for w in INTERNAL_TYPE_WORDS) or name.split(".")[0] in (
            "sqlalchemy", "psycopg2", "psycopg", "pymysql", "botocore", "requests", "httpx",
            "aiohttp", "urllib3", "django.db", "pymongo", "redis", "boto3", "subprocess"):
        return "medium"
    return None


def exposure(names: list[str], bare: bool = False) -> str | None:
    """How much the text of an exception caught as ``names`` reveals: "high" (anything
    can land here, tracebacks included), "medium" (database, I/O and network errors,
    whose text names tables, hosts and paths) or None (validation, HTTP and domain
    errors written for clients, and plain input errors such as ValueError)."""
    if bare:
        return "high"
    levels = {_classify_name(n) for n in names}
    if "high" in levels:
        return "high"
    if "medium" in levels:
        return "medium"
    return None


def handler_key_exposure(key: cst.BaseExpression, family: str,
                         imports: ImportMap | None = None) -> str | None:
    """Exposure of the exception given to an error handler registered for ``key``.

    Flask hands a ``500`` handler an InternalServerError whose text is generic;
    Starlette/FastAPI hand a ``500``/``Exception`` handler the original exception.
    """
    code = int_value(key)
    if code is not None:
        return "high" if code == 500 and family == "asgi" else None
    return exposure(type_names(key, imports))


# Constructors of the application object, by qualified name.
APP_CONSTRUCTORS = {
    "flask.Flask": "flask",
    "fastapi.FastAPI": "fastapi",
    "fastapi.applications.FastAPI": "fastapi",
    "starlette.applications.Starlette": "starlette",
    "aiohttp.web.Application": "aiohttp",
    "aiohttp.web_app.Application": "aiohttp",
    "quart.Quart": "quart",
    "connexion.App": "flask",  # Connexion 2 (and 3's FlaskApp) serve through Flask
    "connexion.FlaskApp": "flask",
    "connexion.AsyncApp": "starlette",
    "bottle.Bottle": "bottle",
    "falcon.App": "falcon",
    "falcon.API": "falcon",
    "falcon.asgi.App": "falcon",
    "pyramid.config.Configurator": "pyramid",
    "sanic.Sanic": "sanic",
    "sanic.app.Sanic": "sanic",
    "ninja.NinjaAPI": "ninja",
    "ninja.main.NinjaAPI": "ninja",
    "ninja_extra.NinjaExtraAPI": "ninja",
    "litestar.Litestar": "litestar",
    "litestar.app.Litestar": "litestar",
    "tornado.web.Application": "tornado",
}

# Quart mirrors Flask's API (``@app.errorhandler``), so it shares Flask's handlers.
FAMILIES = {"flask": "flask", "fastapi": "asgi", "starlette": "asgi", "django": "django",
            "drf": "django", "aiohttp": "aiohttp", "quart": "flask", "bottle": "bottle",
            "falcon": "falcon", "pyramid": "pyramid", "sanic": "sanic", "ninja": "ninja",
            "litestar": "litestar", "tornado": "tornado"}


def app_framework(call: cst.Call, imports: ImportMap) -> str | None:
    """The framework whose application ``call`` creates (``Flask(__name__)`` ...)."""
    return APP_CONSTRUCTORS.get(imports.qualname(call.func) or "")


def module_family(frameworks: set[str]) -> str:
    """The framework family of a module ("any" when it imports none)."""
    for fw in ("fastapi", "starlette", "flask", "quart", "aiohttp", "ninja", "drf", "django",
               "bottle", "falcon", "pyramid", "sanic", "litestar", "tornado"):
        if fw in frameworks:
            return FAMILIES[fw]
    return "any"


def registrations_by_call(module: cst.Module, registrars: frozenset[str]
                          ) -> list[tuple[str, cst.BaseExpression]]:
    """Functions registered as error handlers by a call, in source order: (function
    name, exception key) for ``app.add_exception_handler(Key, handle)`` (a method named in
    ``registrars``) and ``FastAPI(exception_handlers={Key: handle})``."""
    found: list[tuple[str, cst.BaseExpression]] = []
    for call in descendants(module, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in registrars and \
                len(call.args) >= 2 and isinstance(call.args[1].value, cst.Name):
            found.append((call.args[1].value.value, call.args[0].value))
        handlers = get_arg(call, "exception_handlers")
        if handlers is not None and isinstance(handlers.value, cst.Dict):
            for el in handlers.value.elements:
                if isinstance(el, cst.DictElement) and isinstance(el.value, cst.Name):
                    found.append((el.value.value, el.key))
    return found
