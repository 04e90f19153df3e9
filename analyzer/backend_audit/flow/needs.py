"""Settle a taint ``Need`` (flow/taint.py) with the function summaries of the whole scan.

Defines no rule. The per-file pass cannot see other modules: a sink whose value is a
parameter of a helper, or the result of a project function defined elsewhere, is
reported as a candidate with its needs, and the summaries collector
(appmodel/collectors/summaries.py) records for every function what it returns and,
for every call to a project function, which arguments carry client input. Once the
scan is merged:

- ``PARAM(f, k)`` holds when some call of ``f`` passes client input as parameter ``k``
  (the caller's own needs are settled in turn: route -> service -> helper);
- ``RETURNS(f)`` holds when ``f`` returns client input whatever its arguments;
- ``THROUGH(f, k, inner)`` holds when ``f`` returns what it is given as parameter ``k``
  and the argument holds (no ``inner``: it is client input).

A call site or result that the question's own sanitisers clean (``clean_for``: the
specs under which the value was found clean) does not count; one they clean in part
counts with what is left (``narrowed``). Names from imports
(``app.services.ping.run``) and from definitions (``services.ping.run``, relative to the
scanned folder) are matched by their common dotted suffix, or through a package that
re-exports the function.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from backend_audit.appmodel.collectors.summaries import CALL_FACT, RETURNS_FACT
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.budget import MAX_CALLS
from backend_audit.flow.specs import Spec
from backend_audit.flow.taint import PARAM, RETURNS, THROUGH, Need, Reach
from backend_audit.visitor import Candidate

_MEMO_KEY = "taint-summary-index"
_MAX_HOPS = 2 * MAX_CALLS  # summaries crossed for one need, both directions together


def needs_data(found: Iterable[Reach], spec: Spec) -> dict[str, Any]:
    """What a candidate carries to be settled in ``resolve``."""
    needs = sorted({n for r in found for n in r.needs}, key=Need.order)
    return {"needs": [n.to_json() for n in needs], "spec": spec.name}


def settle(candidate: Candidate, project: ProjectFacts) -> Candidate | None:
    """Keep a candidate without needs; keep one with needs when a need holds, else at
    the confidence it carries as ``otherwise`` (if any)."""
    raw = candidate.data.get("needs")
    if not raw:
        return candidate
    index = project.memo.get(_MEMO_KEY)
    if index is None:
        index = project.memo[_MEMO_KEY] = SummaryIndex(project)
    spec = candidate.data.get("spec", "")
    data = {k: v for k, v in candidate.data.items() if k not in ("needs", "spec", "otherwise")}
    if any(index.holds(Need.from_json(n), spec) for n in raw):
        return replace(candidate, data=data)
    otherwise = candidate.data.get("otherwise")
    if otherwise:  # what the check reports without the other functions' help
        return replace(candidate, confidence=otherwise, data=data)
    return None


@dataclass(frozen=True)
class _Env:
    """Inside the summary of ``function``: which of its parameters carries input."""

    function: str
    index: int | None
    name: str | None
    inner: tuple[Need, ...]
    parent: _Env | None
    none: bool = False  # no parameter does (``RETURNS``)


def _parts(name: str) -> list[str]:
    return name.split(".")


def names_match(called: str, defined: str) -> bool:
    """Does a call of ``called`` (from imports) reach the function ``defined``?"""
    if called == defined or called.endswith("." + defined) or defined.endswith("." + called):
        return True
    c_mod, _, c_last = called.rpartition(".")
    d_mod, _, d_last = defined.rpartition(".")
    if c_last != d_last or not c_mod or not d_mod:
        return False
    # a package re-exporting the function: ``app.services.run`` for ``services.ping.run``
    c_parts, d_parts = _parts(c_mod), _parts(d_mod)
    if d_parts[:len(c_parts)] == c_parts:
        return True
    return any(d_parts[:k] == c_parts[-k:] and len(d_parts) > k
               for k in range(1, len(c_parts) + 1))


class SummaryIndex:
    """The summaries of one scan, by function name."""

    def __init__(self, project: ProjectFacts) -> None:
        self.returns: dict[str, list[dict[str, Any]]] = {}
        for value in project.values(RETURNS_FACT):
            self.returns.setdefault(value["name"], []).append(value)
        self.calls: dict[str, list[dict[str, Any]]] = {}
        for value in project.values(CALL_FACT):
            self.calls.setdefault(value["callee"].rsplit(".", 1)[-1], []).append(value)
        self._memo: dict[tuple[Need, str], bool] = {}

    def holds(self, need: Need, spec: str) -> bool:
        return self._holds(need, spec, None, 0)

    def _holds(self, need: Need, spec: str, env: _Env | None, hops: int) -> bool:
        if hops > _MAX_HOPS:
            return False
        key = (need, spec)
        if env is None and key in self._memo:
            return self._memo[key]
        if env is None:
            self._memo[key] = False  # a cycle of callers settles nothing
        if need.kind == PARAM:
            result = self._param(need, spec, env, hops)
        elif need.kind in (RETURNS, THROUGH):
            result = self._result(need, spec, env, hops)
        else:
            result = False
        if env is None:
            self._memo[key] = result
        return result

    def _param(self, need: Need, spec: str, env: _Env | None, hops: int) -> bool:
        frame = env
        while frame is not None:
            if names_match(frame.function, need.function):
                if frame.none or not _same_param(need, frame.index, frame.name):
                    return False
                return not frame.inner or any(
                    self._holds(n, spec, frame.parent, hops + 1) for n in frame.inner)
            frame = frame.parent
        for site in self._sites(need.function):
            if not _same_param(need, site.get("index"), site.get("keyword")):
                continue
            source, needs = _answer(site, spec)
            if source or any(self._holds(Need.from_json(n), spec, None, hops + 1)
                             for n in needs):
                return True
        return False

    def _result(self, need: Need, spec: str, env: _Env | None, hops: int) -> bool:
        inside = _Env(need.function, need.index, need.name, need.inner, env,
                      none=need.kind == RETURNS)
        for entry in self._summaries(need.function):
            source, needs = _answer(entry, spec)
            if source or any(self._holds(Need.from_json(n), spec, inside, hops + 1)
                             for n in needs):
                return True
        return False

    def _summaries(self, called: str) -> list[dict[str, Any]]:
        found = self.returns.get(called)
        if found is not None:
            return found
        return [e for name, entries in self.returns.items() if names_match(called, name)
                for e in entries]

    def _sites(self, defined: str) -> Iterator[dict[str, Any]]:
        last = defined.rsplit(".", 1)[-1]
        init = defined.endswith(".__init__")
        candidates = self.calls.get(last, [])
        if init:  # ``Wrapper(request)`` reaches ``Wrapper.__init__``
            cls = defined[: -len(".__init__")]
            candidates = [*candidates, *self.calls.get(cls.rsplit(".", 1)[-1], [])]
        for site in candidates:
            callee = site["callee"]
            if names_match(callee, defined) or (init and names_match(callee, cls)):
                yield site


def _answer(summary: dict[str, Any], spec: str) -> tuple[bool, list[dict[str, Any]]]:
    """Whether a summary (a call site's argument or a result) carries a source under
    ``spec``, and the needs it carries otherwise."""
    if spec in summary.get("clean_for", ()):
        return False, []
    own = summary.get("narrowed", {}).get(spec)
    if own is not None:
        return own["source"], own["needs"]
    return bool(summary.get("source")), summary.get("needs", [])


def _same_param(need: Need, index: int | None, name: str | None) -> bool:
    return (name is not None and name == need.name) or \
        (index is not None and index == need.index)
