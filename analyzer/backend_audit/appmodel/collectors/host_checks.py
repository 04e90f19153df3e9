"""Records the project's middleware classes that check the ``Host`` header themselves
(fact ``host-check-middleware``: ``{"class"}``): a class whose methods raise Django's
``DisallowedHost`` or call ``validate_host()``. A project that serves a host per
customer (custom event domains, tenant subdomains) sets ``ALLOWED_HOSTS = ["*"]`` and
answers unknown hosts in such a middleware; settings that list it are not open to any
host."""

from __future__ import annotations

import libcst as cst

from backend_audit.engines.walk import descendants
from backend_audit.visitor import Collector

#: The fact this collector records, one per class.
FACT_HOST_CHECK_MIDDLEWARE = "host-check-middleware"

HOST_REFUSALS = frozenset({"django.core.exceptions.DisallowedHost"})
HOST_VALIDATORS = frozenset({"django.http.request.validate_host", "django.http.validate_host"})


class HostCheckMiddlewareFacts(Collector):
    words = ("DisallowedHost", "validate_host")
    skips_migrations = True

    def visit_Module(self, node: cst.Module) -> None:
        if "DisallowedHost" not in self.ctx.source and "validate_host" not in self.ctx.source:
            return  # what the prefilter skips when other checks parse the file anyway
        for stmt in node.body:
            if isinstance(stmt, cst.ClassDef) and self._checks_host(stmt):
                self.ctx.add_fact(FACT_HOST_CHECK_MIDDLEWARE, {"class": stmt.name.value})

    def _checks_host(self, cls: cst.ClassDef) -> bool:
        qualname = self.ctx.imports.qualname
        for raised in descendants(cls, cst.Raise):
            exc = raised.exc.func if isinstance(raised.exc, cst.Call) else raised.exc
            if isinstance(exc, (cst.Name, cst.Attribute)) and qualname(exc) in HOST_REFUSALS:
                return True
        return any(qualname(call.func) in HOST_VALIDATORS for call in descendants(cls, cst.Call))
