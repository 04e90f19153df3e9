"""BA606: a route changes an object it loaded by a client-given id without relating it to
the current user, while other routes of the module load the same model through the user
(insecure direct object reference, CWE-639).

Precise or silent: reported only when the module itself shows that the model belongs to
users (a sibling route filters it by the current user) and this route loads it by an id
from the URL or the request, then changes or deletes it, without the current user
appearing anywhere in the handler (no owner filter, no ownership comparison, no
permission call) and without an admin-only guard.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.auth import admin_only
from backend_audit.appmodel.names import dotted_name, last_name
from backend_audit.appmodel.requests import request_input
from backend_audit.appmodel.routes import Route
from backend_audit.engines.walk import descendants
from backend_audit.visitor import Check

# The current user, as handlers name it.
_USER = re.compile(r"\brequest\.user\b|\bcurrent_user\b|\bg\.user\b|\bget_current_user\b|"
                   r"\bcurrent_identity\b|\bget_jwt_identity\b|\bself\.request\.user\b")
# A permission or ownership check by call.
_PERMISSION = re.compile(r"(?i)check_object_permissions|has_perm|has_object_permission|"
                         r"authori[sz]e|permission|\bcan_\w+\(|\bensure_\w+\(|\bis_owner|\bowns\(")
# Calls that end a lookup of one row.
_ONE_ROW = frozenset({"get", "first", "one", "one_or_none", "get_or_404", "first_or_404",
                      "one_or_404", "scalar_one", "scalar_one_or_none", "aget", "afirst"})
_SHORTCUTS = frozenset({"get_object_or_404", "aget_object_or_404"})
_ID_KEY = re.compile(r"^(pk|id|uuid|slug|\w+_id|\w+_pk|\w+_uuid)$")
# What changing the loaded object looks like.
_CHANGE_METHODS = frozenset({"delete", "save", "update", "adelete", "asave"})
_SESSION_CHANGES = frozenset({"delete", "merge"})
# Parameters a handler gets from the framework, not from the client.
_FRAMEWORK_PARAMS = frozenset({"self", "cls", "request", "req", "db", "session", "response",
                               "background_tasks", "args", "kwargs"})


class ObjectNotScopedToUser(Check):
    rule_id = "BA606"
    skips_migrations = True  # a migration serves no request
    requires_frameworks = frozenset({"flask", "fastapi", "django", "starlette"})

    def visit_Module(self, node: cst.Module) -> None:
        scoped: set[str] = set()
        candidates: list[tuple[Route, cst.Call, str, str]] = []
        for route in self.ctx.routes.routes:
            fn = route.function
            ids = _client_ids(fn)
            for call in descendants(fn.body, cst.Call):
                found = self._lookup(call, ids)
                if found is None:
                    continue
                model, by_client_id = found
                if _USER.search(self.ctx.module.code_for_node(call)) or \
                        self._user_param_in(call, fn):
                    scoped.add(model)
                elif by_client_id:
                    candidates.append((route, call, model, _bound_name(fn, call)))
        for route, call, model, name in candidates:
            if model not in scoped or admin_only(route):
                continue
            code = self.ctx.module.code_for_node(route.function)
            if _USER.search(code) or _PERMISSION.search(code) or \
                    self._user_params(route.function):
                continue  # the handler relates the object to the user somehow
            if name and _changes(route.function, name):
                self.report(call, model=model)

    # -- lookups ------------------------------------------------------------------------

    def _lookup(self, call: cst.Call, ids: set[str]) -> tuple[str, bool] | None:
        """(model, by a client id) when ``call`` loads one row of a model."""
        func = call.func
        name = last_name(func)
        if name in _SHORTCUTS and call.args:
            model = _model_name(call.args[0].value)
            return (model, self._by_id(call.args[1:], ids)) if model else None
        if not isinstance(func, cst.Attribute) or name not in _ONE_ROW:
            return None
        chain = _chain_calls(call)
        root = _chain_root(func)
        if name == "get" and isinstance(root, cst.Name) and len(chain) == 1 and \
                last_name(func.value) in ("session", "db") and call.args:
            # session.get(Model, id) / db.get(Model, id)
            model = _model_name(call.args[0].value)
            return (model, self._by_id(call.args[1:], ids)) if model else None
        text = dotted_name(func.value) or ""
        if ".objects" not in f".{text}" and ".query" not in f".{text}" and \
                not any(last_name(c.func) in ("filter", "filter_by", "where") for c in chain):
            return None
        model = _model_name(root)
        if model is None:
            return None
        args = [a for c in chain for a in c.args]
        return model, self._by_id(args, ids)

    def _by_id(self, args, ids: set[str]) -> bool:
        for arg in args:
            if arg.keyword is not None and not _ID_KEY.match(arg.keyword.value):
                continue
            value = arg.value
            if isinstance(value, cst.Name) and value.value in ids:
                return True
            if request_input(value, self.ctx.imports):
                return True
            if isinstance(value, cst.Subscript) and request_input(value.value, self.ctx.imports):
                return True
        return False

    def _user_params(self, fn: cst.FunctionDef) -> bool:
        """FastAPI: ``user: User = Depends(current_user)`` makes the user part of the call."""
        for param in (*fn.params.params, *fn.params.kwonly_params):
            if "user" in param.name.value.lower() and param.default is not None and \
                    last_name(param.default.func if isinstance(param.default, cst.Call)
                              else param.default) in ("Depends", "Security"):
                return True
        return False

    def _user_param_in(self, call: cst.Call, fn: cst.FunctionDef) -> bool:
        if not self._user_params(fn):
            return False
        names = {p.name.value for p in (*fn.params.params, *fn.params.kwonly_params)
                 if "user" in p.name.value.lower()}
        return any(isinstance(n, cst.Name) and n.value in names
                   for n in descendants(call, cst.Name))


def _client_ids(fn: cst.FunctionDef) -> set[str]:
    """Handler parameters that hold client values (URL segments, query parameters)."""
    out: set[str] = set()
    for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if param.name.value in _FRAMEWORK_PARAMS:
            continue
        default = param.default
        if isinstance(default, cst.Call) and last_name(default.func) in ("Depends",
                                                                          "Security"):
            continue
        out.add(param.name.value)
    return out


def _chain_calls(call: cst.Call) -> list[cst.Call]:
    out = [call]
    node: cst.BaseExpression = call.func
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            out.append(node)
            node = node.func
        else:
            node = node.value
    return out


def _chain_root(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, (cst.Attribute, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node


def _model_name(node: cst.BaseExpression) -> str | None:
    """``Invoice`` from ``Invoice``, ``models.Invoice``, ``Invoice.objects``."""
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            node = node.func
        elif node.attr.value in ("objects", "query"):
            node = node.value
        else:
            break
    name = last_name(node)
    return name if name and name[:1].isupper() and not name.isupper() else None


def _bound_name(fn: cst.FunctionDef, call: cst.Call) -> str | None:
    """The local name the looked-up row is assigned to (``invoice = ...``)."""
    for assign in descendants(fn.body, cst.Assign):
        if len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) and \
                any(c is call for c in descendants(assign.value, cst.Call)):
            return assign.targets[0].target.value
    return None


def _changes(fn: cst.FunctionDef, name: str) -> bool:
    """The handler deletes, saves or updates the row, or writes one of its attributes."""
    for call in descendants(fn.body, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.value.value == name and func.attr.value in _CHANGE_METHODS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _SESSION_CHANGES and \
                any(isinstance(a.value, cst.Name) and a.value.value == name
                    for a in call.args):
            return True
    for assign in descendants(fn.body, cst.Assign):
        for target in assign.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and \
                    t.value.value == name:
                return True
    return False
