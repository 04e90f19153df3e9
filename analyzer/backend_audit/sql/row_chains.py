"""Settles the row summaries (appmodel/collectors/row_summaries.py) across the scan:
which GET routes return the rows a function returns, through services and repositories
in other modules, and whether the function an imported name calls returns unbounded
rows of its own.

``RowChains.of(project)`` indexes the summaries once per scan. A summary can only match
a name whose last part is the function's name (see ``fact_matches``), so they are
grouped by it: matching each of a large project's candidates against every summary was
quadratic (pretix: 2.9 million matches, 2.8 s). Chains are followed breadth first, at
most ``MAX_CALLS`` functions deep.
"""

from __future__ import annotations

from backend_audit.appmodel.collectors.row_summaries import (
    ROUTE_ROWS_OF_FACT,
    ROWS_OF_FACT,
    UNBOUNDED_ROWS_FACT,
)
from backend_audit.appmodel.project import Fact, ProjectFacts
from backend_audit.flow.budget import MAX_CALLS
from backend_audit.flow.calls import names_match
from backend_audit.sql.bounds import helper_matches

# Summaries that name the function they depend on in ``via`` (the others in ``name``).
_VIA_KEYED = frozenset({ROWS_OF_FACT, ROUTE_ROWS_OF_FACT})
_MAX_TARGETS = 50  # functions one chain search visits


class RowChains:
    """The row summaries of one scan, indexed (see the module docstring)."""

    KEY = "row-chains"

    def __init__(self, project: ProjectFacts) -> None:
        self.project = project
        self._by_name: dict[str, dict[str, list[Fact]]] = {}  # fact key -> name -> facts
        self._pager: dict[tuple[str, ...], bool] = {}

    @classmethod
    def of(cls, project: ProjectFacts) -> RowChains:
        index = project.memo.get(cls.KEY)
        if index is None:
            index = project.memo[cls.KEY] = cls(project)
        return index

    def named(self, key: str, qual: str) -> list[Fact]:
        """Summaries under ``key`` describing a function whose name ends ``qual``."""
        groups = self._by_name.get(key)
        if groups is None:
            groups = self._by_name[key] = {}
            field_name = "via" if key in _VIA_KEYED else "name"
            for fact in self.project.get(key):
                groups.setdefault(fact.value[field_name].split(".")[-1], []).append(fact)
        return groups.get(qual.split(".")[-1], [])

    def returns_unbounded(self, via: str) -> bool:
        """Does the function ``via`` (as imported) names return unbounded rows of its own?"""
        return any(fact_matches(via, f.module, f.value)
                   for f in self.named(UNBOUNDED_ROWS_FACT, via))

    def through_pager(self, through: list[str]) -> bool:
        """Did the rows pass through one of the project's (or the user's) pagination
        helpers?"""
        key = tuple(through)
        found = self._pager.get(key)
        if found is None:
            helpers = self.project.get("pagination-helper")
            config = self.project.config.pagination_helpers
            found = self._pager[key] = any(
                helper_matches(qual, config) or
                any(fact_matches(qual, f.module, f.value) or _inherited(qual, f.module, f.value)
                    for f in helpers)
                for qual in through)
        return found

    def routes_returning(self, module: str, function: dict) -> list[tuple[int, Fact]]:
        """(chain length, route summary) of every listing route whose rows come from
        ``function`` (``{"name", "class"}`` of ``module``), directly or through functions
        that return what it returns."""
        targets: list[tuple[int, str, dict]] = [(0, module, function)]
        seen = {(module, function.get("class"), function["name"])}
        pos = 0
        while pos < len(targets) and len(targets) < _MAX_TARGETS:
            depth, mod, value = targets[pos]
            pos += 1
            if depth >= MAX_CALLS:
                continue
            for fact in self.named(ROWS_OF_FACT, value["name"]):
                key = (fact.module, fact.value["class"], fact.value["name"])
                if key not in seen and not self.through_pager(fact.value["through"]) and \
                        fact_matches(fact.value["via"], mod, value):
                    seen.add(key)
                    targets.append((depth + 1, fact.module, fact.value))
        # The first target (shortest chain) each route summary matches, in their order.
        first: dict[int, int] = {}
        for t, (_depth, mod, value) in enumerate(targets):
            for fact in self.named(ROUTE_ROWS_OF_FACT, value["name"]):
                if id(fact) not in first and not self.through_pager(fact.value["through"]) \
                        and fact_matches(fact.value["via"], mod, value):
                    first[id(fact)] = t
        return [(targets[first[id(f)]][0], f) for f in self.project.get(ROUTE_ROWS_OF_FACT)
                if id(f) in first]


def _inherited(qual: str, module: str, value: dict) -> bool:
    """``User.page_of(...)``: a paging method a model inherits from a mixin defined beside
    it (``class User(CollectionMixin, db.Model)``): the same method name on a class of the
    module that defines the paging one."""
    owner, _, method = qual.lstrip(".").rpartition(".")
    return bool(value.get("class")) and method == value["name"] and "." in owner and \
        names_match(module, owner.rpartition(".")[0])


def fact_matches(qual: str, module: str, value: dict) -> bool:
    """Does ``qual`` (as imported, maybe relative) name the function a fact describes?"""
    parts = [p for p in (module, value.get("class"), value["name"]) if p]
    full = ".".join(parts)
    bare = qual.lstrip(".")
    if "." not in bare:
        return False
    return names_match(full, bare) or (
        # ``from .services import Svc`` seen from a sibling package resolves shorter
        bare.split(".")[-2:] == full.split(".")[-2:])
