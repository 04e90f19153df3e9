"""BA901: CORS lets any origin make credentialed (cookie-carrying) requests."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.dev_scope import is_dev_only
from backend_audit.appmodel.names import get_arg, literal_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.visitor import Candidate, Check

# flask-cors and its Sanic port take the same arguments.
FLASK_CORS = frozenset({"flask_cors.CORS", "flask_cors.cross_origin", "sanic_cors.CORS",
                        "sanic_cors.cross_origin"})
QUART_CORS = frozenset({"quart_cors.cors", "quart_cors.route_cors", "quart_cors.websocket_cors"})
LITESTAR_CORS = frozenset({"litestar.config.cors.CORSConfig", "litestar.config.CORSConfig",
                           "litestar.CORSConfig"})
AIOHTTP_OPTIONS = "aiohttp_cors.ResourceOptions"
ANY_ORIGIN_REGEXES = frozenset({".*", ".+", "^.*$", "https?://.*", "https://.*", "http.*"})
DJANGO_ALLOW_ALL = frozenset({"CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"})


def _is_true(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _any_origin(value: object) -> bool:
    if value == "*":
        return True
    return isinstance(value, list) and "*" in value


class CorsAnyOriginWithCredentials(Check):
    rule_id = "BA901"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.skip = is_dev_only(ctx.path)

    def visit_Call(self, node: cst.Call) -> None:
        if self.skip:
            return
        qual = self.ctx.imports.qualname(node.func) or ""
        if qual in FLASK_CORS:
            self._flask_cors(node)
            return
        if qual in QUART_CORS or qual in LITESTAR_CORS:
            # quart-cors defaults to any origin; Litestar's CORSConfig too (["*"])
            origins = get_arg(node, "allow_origin") or get_arg(node, "allow_origins")
            if _is_true(get_arg(node, "allow_credentials")) and (
                    origins is None or _any_origin(literal_value(origins.value))):
                self.report(node)
            return
        middleware = None
        if qual.endswith(("Middleware", "add_middleware")) or (
                isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware"):
            first = get_arg(node, "middleware_class", 0) or get_arg(node, "cls", 0)
            if first is not None and (self.ctx.imports.qualname(first.value) or "").endswith(
                    "CORSMiddleware"):
                middleware = node
        if middleware is None:
            return
        if not _is_true(get_arg(node, "allow_credentials")):
            return
        origins = get_arg(node, "allow_origins")
        regex = get_arg(node, "allow_origin_regex")
        if (origins is not None and _any_origin(literal_value(origins.value))) or (
                regex is not None and literal_value(regex.value) in ANY_ORIGIN_REGEXES):
            self.report(node)

    def visit_Dict(self, node: cst.Dict) -> None:
        """aiohttp-cors: ``{"*": ResourceOptions(allow_credentials=True, ...)}`` given to
        ``aiohttp_cors.setup(app, defaults=...)`` or ``cors.add(route, ...)``: the key is
        the origin the options apply to."""
        if self.skip:
            return
        for el in node.elements:
            if isinstance(el, cst.DictElement) and literal_value(el.key) == "*" and \
                    isinstance(el.value, cst.Call) and \
                    self.ctx.imports.qualname(el.value.func) == AIOHTTP_OPTIONS and \
                    _is_true(get_arg(el.value, "allow_credentials")):
                self.report(el)

    def _flask_cors(self, node: cst.Call) -> None:
        if not _is_true(get_arg(node, "supports_credentials")):
            return
        origins = get_arg(node, "origins")
        resources = get_arg(node, "resources")
        if origins is not None:
            any_origin = _any_origin(literal_value(origins.value))
        elif resources is not None:
            value = literal_value(resources.value)
            any_origin = isinstance(value, dict) and any(
                isinstance(opts, dict) and ("origins" not in opts or _any_origin(opts["origins"]))
                for opts in value.values())
        else:
            any_origin = True  # flask-cors allows every origin by default
        if any_origin:
            self.report(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.skip or self.ctx.function_stack or self.ctx.class_stack:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value in DJANGO_ALLOW_ALL:
                if literal_value(node.value) is True:
                    self.report(node, django=True)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        if not candidate.data.get("django"):
            return candidate
        for fact in project.get("setting"):
            if fact.value.get("name") == "CORS_ALLOW_CREDENTIALS" and \
                    fact.value.get("value") is True and not is_dev_only(fact.path):
                return candidate
        return None
