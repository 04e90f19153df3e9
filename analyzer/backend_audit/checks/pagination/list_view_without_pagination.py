"""BA502: a DRF list view / viewset or Django ListView with no pagination anywhere.

Per file the check records a ``list-view-class`` fact for every class that could take
part (so a project base class in another module is known) and reports candidate views;
``resolve`` walks the project's base classes and the ``REST_FRAMEWORK`` settings.
"""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst

from backend_audit.appmodel.names import block_assignments, dotted_name
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.sql.bounds import is_lookup_model
from backend_audit.visitor import Candidate, Check

DRF_LIST_BASES = frozenset({"ListAPIView", "ListCreateAPIView", "ModelViewSet",
                            "ReadOnlyModelViewSet", "ListModelMixin"})
DJANGO_LIST_BASES = frozenset({"ListView", "BaseListView"})
# Framework classes that never paginate by themselves and are not project bases.
FRAMEWORK_BASES = frozenset({"GenericAPIView", "GenericViewSet", "APIView", "ViewSet",
                             "View", "object", "Generic", "CreateModelMixin",
                             "RetrieveModelMixin", "UpdateModelMixin", "DestroyModelMixin",
                             "LoginRequiredMixin", "PermissionRequiredMixin",
                             "UserPassesTestMixin"})
# DRF 2 (and projects that vendor it) page every generic list view by
# ``REST_FRAMEWORK["PAGINATE_BY"]``, with no pagination class at all.
DRF2_PAGINATION = "PAGINATE_BY"
# DRF's own classes read PAGE_SIZE; without it they return every row.
_BUILTIN_PAGINATORS = frozenset({"PageNumberPagination", "LimitOffsetPagination",
                                 "CursorPagination"})


class ListViewWithoutPagination(Check):
    rule_id = "BA502"
    requires_frameworks = frozenset({"drf", "django"})

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if len(self.ctx.class_stack) > 1 or self.ctx.function_stack:
            return
        bases = [self.ctx.imports.qualname(b.value) or dotted_name(b.value) or ""
                 for b in node.bases]
        short = [b.split(".")[-1] for b in bases]
        attrs, methods = _members(node)
        drf_list = any(s in DRF_LIST_BASES for s in short)
        django_list = any(s in DJANGO_LIST_BASES for s in short) and not drf_list
        project_bases = [b for b, s in zip(bases, short, strict=True)
                         if s and s not in DRF_LIST_BASES | DJANGO_LIST_BASES | FRAMEWORK_BASES
                         and not b.startswith(("rest_framework", "django"))]
        pagination = _pagination_state(attrs, "pagination_class") if not django_list else \
            _pagination_state(attrs, "paginate_by")
        if "get_paginate_by" in methods or "paginate_queryset" in methods:
            pagination = "set"
        fact = {"name": node.name.value, "bases": bases, "pagination": pagination,
                "list": "drf" if drf_list else "django" if django_list else None,
                "own_list": "list" in methods}
        if drf_list or django_list or project_bases or pagination != "absent":
            self.ctx.add_fact("list-view-class", fact)
        concrete = "queryset" in attrs or "model" in attrs or "get_queryset" in methods
        if not concrete or fact["own_list"] or not (drf_list or django_list or project_bases):
            return
        if is_lookup_model(_model_of(attrs)):
            return  # countries, currencies, roles: small by nature
        scoped = _scoped_queryset(node, self.ctx.module)
        self.report(node, confidence="high" if pagination == "none" else
                    "low" if scoped else None,
                    view=node.name.value, module=self.ctx.module_name, **fact)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        data = candidate.data
        classes = project.memo.get("BA502:classes")
        if classes is None:  # built once per scan: a large project has a thousand views
            classes = project.memo["BA502:classes"] = {}
            for f in project.get("list-view-class"):
                classes.setdefault(f.value["name"], []).append((f.module, f.value))
        kind, pagination = _inherited(data, classes, 0, set())
        if kind is None or pagination == "set":
            return None
        name = data["view"]
        if kind == "django":
            if pagination == "none" or pagination == "absent":
                return _with(candidate, f"Django ListView '{name}' has no paginate_by: its "
                             "page renders every object of the queryset.", "medium")
            return None
        if pagination == "none":
            return _with(candidate, f"DRF list view '{name}' sets pagination_class = None: "
                         "its list action returns every row of the queryset.", "high")
        default, page_size = _drf_defaults(project)
        if default is None:
            # Without the project's settings module in the scan the default is unknown.
            seen_settings = any(f.value.get("name") in ("INSTALLED_APPS", "REST_FRAMEWORK")
                                for f in project.get("setting"))
            return _with(candidate, f"DRF list view '{name}' has no pagination_class and "
                         "REST_FRAMEWORK sets no DEFAULT_PAGINATION_CLASS: its list action "
                         "returns every row of the queryset.",
                         "high" if seen_settings else "medium")
        if page_size or default.split(".")[-1] not in _BUILTIN_PAGINATORS:
            return None
        return _with(candidate, f"DRF list view '{name}' relies on DEFAULT_PAGINATION_CLASS "
                     f"{default.split('.')[-1]} but REST_FRAMEWORK has no PAGE_SIZE, so DRF "
                     "returns every row.", "medium")


# ``get_queryset`` narrowed to the caller's rows or to one parent object of the URL.
_SCOPE = re.compile(r"request\.user\b|self\.kwargs\b|self\.request\.user\b")


def _scoped_queryset(node: cst.ClassDef, module: cst.Module) -> bool:
    """One user's or one parent's rows (favourites, an issue's labels): bounded in
    practice, so reported only at the audit level."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "get_queryset":
            return bool(_SCOPE.search(module.code_for_node(stmt)))
    return False


def _with(candidate: Candidate, message: str, confidence: str) -> Candidate:
    return replace(candidate, message=message, confidence=candidate.confidence or confidence)


def _inherited(fact: dict, classes: dict[str, list[tuple[str, dict]]], depth: int,
               seen: set[str]) -> tuple[str | None, str]:
    """(list kind, pagination state) of a class, looking through project base classes."""
    kind, pagination = fact["list"], fact["pagination"]
    if depth > 6:
        return kind, pagination
    for base in fact["bases"]:
        short = base.split(".")[-1]
        if short in seen or short not in classes:
            continue
        parent = _pick(base, classes[short])
        if parent is None:
            continue
        if parent.get("own_list"):
            return None, pagination  # the inherited list() is custom: BA501 reads it
        pkind, ppag = _inherited(parent, classes, depth + 1, seen | {short})
        kind = kind or pkind
        if pagination == "absent":
            pagination = ppag
    return kind, pagination


def _pick(base: str, options: list[tuple[str, dict]]) -> dict | None:
    """The class fact a base name refers to: same module path when it can tell."""
    bare = base.lstrip(".")
    for module, value in options:
        if f"{module}.{value['name']}".endswith(bare) or bare == value["name"]:
            return value
    return options[0][1] if len(options) == 1 else None


def _drf_defaults(project: ProjectFacts) -> tuple[str | None, bool]:
    """(DEFAULT_PAGINATION_CLASS, whether a page size is set), from whole
    ``REST_FRAMEWORK = {...}`` settings and then single keys set elsewhere."""
    pairs: list[tuple[str, object]] = []
    for fact in project.get("setting"):
        value = fact.value
        if value.get("name") == "REST_FRAMEWORK" and isinstance(value.get("value"), dict):
            pairs.extend(value["value"].items())
    pairs.extend((f.value["key"], f.value["value"]) for f in project.get("rest-framework-key"))
    default: str | None = None
    page_size = False
    for key, value in pairs:
        if key == "DEFAULT_PAGINATION_CLASS" and isinstance(value, str) and value:
            default = value
        elif key == "PAGE_SIZE" and value not in (None, 0):
            page_size = True
        elif key == "PAGINATE_BY" and value not in (None, 0):
            default, page_size = default or DRF2_PAGINATION, True
    return default, page_size


def _model_of(attrs: dict[str, cst.BaseExpression]) -> str | None:
    """``Currency`` for ``queryset = Currency.objects.order_by("code")`` or ``model = Currency``."""
    node: cst.BaseExpression | None = attrs.get("model") or attrs.get("queryset")
    while isinstance(node, (cst.Call, cst.Attribute)):
        if isinstance(node, cst.Call):
            node = node.func
        elif node.attr.value == "objects":
            node = node.value
            break
        else:
            node = node.value
    name = dotted_name(node) if node is not None else None
    return name.split(".")[-1] if name else None


def _pagination_state(attrs: dict[str, cst.BaseExpression], name: str) -> str:
    value = attrs.get(name)
    if value is None:
        return "absent"
    if isinstance(value, cst.Name) and value.value == "None":
        return "none"
    return "set"


def _members(node: cst.ClassDef) -> tuple[dict[str, cst.BaseExpression], set[str]]:
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    methods = {stmt.name.value for stmt in body if isinstance(stmt, cst.FunctionDef)}
    return block_assignments(body), methods
