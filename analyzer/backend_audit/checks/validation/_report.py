"""Turn a ``PayloadFlow`` into candidates, and settle them once app-wide facts are known.

Each unvalidated input of a handler (a payload, or one named field of it) yields at
most one finding: the first sink, in source order, that it reaches. Sinks that need
a fact from another module (is this imported class a model? does this service store
its argument?) carry a *requirement*; a candidate also carries the requirements of
the earlier sinks of the same inputs, so ``resolve`` keeps exactly the first
confirmed one. ``unless`` lists imported
names that, if the facts say they validate, clear the whole handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from backend_audit.appmodel.collectors.validators import CALLABLE_FACT, CLASS_FACT
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.budget import Budget
from backend_audit.flow.calls import names_match, recorded_param
from backend_audit.flow.payload import (
    CONSTRUCTED,
    PayloadFlow,
    base_key,
    classify_bases,
    guess_kind_by_name,
    is_open,
)
from backend_audit.visitor import Candidate, Check

SOURCE_NAMES = {"body": "the request body", "form": "form data", "query": "query parameters",
                "path": "path parameters"}


def describe_sources(keys: set[str]) -> str:
    names = []
    for key in sorted(keys):
        base, _, field = key.partition("#")
        if base.startswith("param:"):
            text = f"the untyped parameter `{base.split(':', 1)[1]}`"
        elif base.startswith("bare:"):
            text = f"the unannotated parameter `{base.split(':', 1)[1]}`"
        else:
            text = SOURCE_NAMES.get(base, base)
        names.append(f"`{field}` from {text}" if field else text)
    return " and ".join(dict.fromkeys(names))


PRESENCE_ONLY = (" It is only tested for being there (`if not x`, `\"x\" in data`), which says"
                 " nothing of its type, length or form.")

# A flag attribute (``profile.is_onboarded = ...``): the model field's type (a boolean)
# accepts or rejects the value, so there is nothing left to validate in most apps.
_FLAG_ATTRIBUTE = re.compile(r"\.(is|has|can|allow|allows|enable|enabled|show|use)_\w+$")


def report_unvalidated(check: Check, pf: PayloadFlow, message: str,
                       audit_only: bool = False) -> None:
    """Report the first unvalidated sink of each input (and later ones facts may need).
    ``audit_only``: the handler is one only trusted users reach (an admin area), so its
    findings are reported at the audit level."""
    if pf.validated_all:
        return
    settled: set[str] = set()  # inputs already reported at a sink that needs no facts
    pending: list[tuple[frozenset[str], int, dict[str, Any]]] = []
    lines_done: set[int] = set()  # statements holding a finding that needs no facts
    written: set[str] = set()  # objects whose attribute writes are already reported
    for sink in pf.sinks:
        open_keys = {k for k in sink.keys if is_open(k, pf.validated) and
                     k not in settled and base_key(k) not in settled}
        if sink.lookup and not sink.raises:
            # A value that only selects rows as a bound parameter needs no more than to
            # be there (``if "q" in request.GET``): a bad one finds nothing.
            open_keys = {k for k in open_keys
                         if k not in pf.present and base_key(k) not in pf.present}
        line = id(sink.node)
        if not open_keys or line in lines_done or sink.target in written:
            continue
        if sink.target is not None:
            written.add(sink.target)
        whole = any(w for k, w in sink.taint if k in open_keys)
        bare = all(base_key(k).startswith("bare:") for k in open_keys)
        trusted = audit_only or bool(_FLAG_ATTRIBUTE.search(sink.what)) or \
            check.ctx.in_debug_only_handler()
        if trusted:
            confidence = "low"
        elif bare:
            # A FastAPI parameter with no annotation at all: the framework checks nothing
            # and the fix is one word, wherever the value goes next.
            confidence = "medium"
        elif sink.lookup and not whole and not sink.raises:
            # A field only selects rows as a bound query parameter: the ORM escapes it
            # and a bad value finds nothing. On the judged real-code corpus such
            # findings were rarely acted on, so they are reported at the audit level;
            # unless the lookup raises, uncaught, on a key that matches nothing.
            confidence = "low"
        elif sink.definite:
            confidence = "high" if whole else "medium"
        else:
            # Only a helper's name says it stores what it is given: on the judged
            # real-code corpus such helpers handled the payload themselves.
            confidence = "low"
        # One finding per input and per statement: an earlier sink of the same input,
        # or of the same statement, that facts confirm is the finding instead.
        prior = [req for keys, at, req in pending if keys & open_keys or at == line]
        text = message.format(source=describe_sources(open_keys), sink=sink.what)
        present = all(k in pf.present or base_key(k) in pf.present for k in open_keys)
        if present:
            text += PRESENCE_ONLY
        check.report(sink.node, message=text,
                     confidence=confidence, requirement=sink.requirement, prior=prior,
                     unless=list(pf.unless), whole=whole, bare=bare, trusted=trusted,
                     present=present)
        if sink.requirement is None:
            settled |= open_keys
            lines_done.add(line)
        else:
            pending.append((frozenset(open_keys), line, sink.requirement))


@dataclass
class _Index:
    classes: dict[str, dict[str, Any]]
    callables: dict[str, dict[str, Any]]
    tops: set[str]

    def _lookup(self, table: dict[str, dict[str, Any]], name: str) -> dict[str, Any] | None:
        if name in table:
            return table[name]
        hits = [v for k, v in table.items() if names_match(k, name)]
        if len(hits) == 1:
            return hits[0]
        if name.split(".")[0] in self.tops:  # a re-export through a package __init__
            last = name.rsplit(".", 1)[-1]
            hits = [v for k, v in table.items() if k.rsplit(".", 1)[-1] == last]
            if len(hits) == 1:
                return hits[0]
        return None

    def class_kind(self, name: str, budget: Budget | None = None) -> str | None:
        budget = budget or Budget()
        entry = self._lookup(self.classes, name)
        if entry is None or budget.exhausted:
            return None
        if entry.get("kind"):
            return entry["kind"]
        for base in entry.get("bases", []):
            kind = self.class_kind(base, budget.deeper()) or classify_bases([base])
            if kind:
                return kind
        return None

    def function(self, name: str) -> dict[str, Any] | None:
        return self._lookup(self.callables, name)

    def validates(self, name: str) -> bool:
        fn = self.function(name)
        if fn is not None:
            return bool(fn.get("validates"))
        return self.class_kind(name) == "validator"

    def dangerous(self, req: dict[str, Any], budget: Budget | None = None) -> bool:
        """The function ``req`` names splices an argument of the call into SQL text or
        runs, opens or deserialises it (its summary's ``dangers``), itself or through the
        functions of other modules it hands the argument on to."""
        budget = budget or Budget()
        fn = self.function(req["name"]) if req["type"] == "stores" else None
        if fn is None or fn.get("validates"):
            return False
        params, dangers = fn.get("params", []), set(fn.get("dangers", []))
        # A ``**filters`` argument fills parameters we cannot name: not counted here.
        if any(recorded_param(params, i) in dangers for i in req.get("positions", [])) or \
                dangers & set(req.get("keywords", [])):
            return True
        return budget.may_call and any(self.dangerous(sub, budget.call())
                                       for sub in _forwarded(req, fn))

    def writes_row(self, req: dict[str, Any], budget: Budget | None = None) -> bool:
        """The function ``req`` names writes an argument of the call as a row or a field of
        one (its summary's ``rows``: a model built from it, a model attribute set to it),
        itself or through what it hands on to other modules (a model class of another
        module built from the argument included)."""
        budget = budget or Budget()
        if req["type"] == "model":
            return self.confirms(req)
        if req.get("setting"):
            # ``set_config("site_name", name)``: a setting named by the call, kept in a
            # key/value table; on the judged corpus such writes were the operators' own
            # (first-run setup, admin settings pages), so they stay at the audit level.
            return False
        fn = self.function(req["name"]) if req["type"] == "stores" else None
        if fn is None or fn.get("validates"):
            return False
        params, rows = fn.get("params", []), set(fn.get("rows", []))
        if any(recorded_param(params, i) in rows for i in req.get("positions", [])) or \
                rows & set(req.get("keywords", [])) or (rows and req.get("star")):
            return True
        return budget.may_call and any(self.writes_row(sub, budget.call())
                                       for sub in _forwarded(req, fn))

    def confirms(self, req: dict[str, Any], budget: Budget | None = None) -> bool:
        """Facts confirm the requirement; ``budget`` counts the service -> repository ->
        ... hops followed across modules."""
        budget = budget or Budget()
        name = req["name"]
        if req["type"] in ("model", "not-validator"):
            kind = self.class_kind(name) or guess_kind_by_name(name)
            return kind == "model" if req["type"] == "model" else kind != "validator"
        fn = self.function(name)
        if fn is None:
            return bool(req.get("verb"))
        if fn.get("validates"):
            return False
        params, stores = fn.get("params", []), set(fn.get("stores", []))
        lookups = set(fn.get("lookups", []))
        if any(recorded_param(params, i) in stores for i in req.get("positions", [])):
            return True
        if any(recorded_param(params, i) in lookups for i in req.get("lookup_positions", [])):
            return True
        if stores & set(req.get("keywords", [])) or (stores and req.get("star")):
            return True
        if lookups & set(req.get("lookup_keywords", [])):
            return True
        if budget.may_call and any(self.confirms(sub, budget.call())
                                   for sub in _forwarded(req, fn)):
            return True
        return bool(req.get("verb")) and not fn.get("checked_all")


def _forwarded(req: dict[str, Any], fn: dict[str, Any]) -> list[dict[str, Any]]:
    """The calls through which ``fn`` hands the requirement's arguments on to another
    module (a service passing a value to its repository), as requirements of their own."""
    params = fn.get("params", [])

    def named(positions: list[int], keywords: list[str]) -> set[str | None]:
        return {recorded_param(params, i) for i in positions} | set(keywords)

    plain = named(req.get("positions", []), req.get("keywords", []))
    bound = named(req.get("lookup_positions", []), req.get("lookup_keywords", []))
    out = []
    for param, callee, position, keyword in fn.get("forwards", []):
        if param not in plain:
            continue
        if position == CONSTRUCTED:
            out.append({"type": "model", "name": callee})
            continue
        lookup = param in bound
        out.append({"type": "stores", "name": callee, "verb": False,
                    "positions": [] if position is None else [position],
                    "keywords": [] if keyword is None else [keyword],
                    "lookup_positions": [] if position is None or not lookup else [position],
                    "lookup_keywords": [] if keyword is None or not lookup else [keyword]})
    return out


def _stores_only(req: dict[str, Any]) -> dict[str, Any]:
    """``req`` asking only whether the helper stores the arguments, not whether it
    selects rows with them."""
    return {**req, "verb": False, "lookup_positions": [], "lookup_keywords": []}


def _index(project: ProjectFacts) -> _Index:
    # Built once per scan; kept on the project object that every resolve call shares.
    cached = project.__dict__.get("_validation_index")
    if cached is None:
        classes = {f.value["name"]: f.value for f in project.get(CLASS_FACT)}
        callables = {f.value["name"]: f.value for f in project.get(CALLABLE_FACT)}
        tops = {m.split(".")[0] for m in project.modules}
        cached = _Index(classes, callables, tops)
        project.__dict__["_validation_index"] = cached
    return cached


def resolve_unvalidated(candidate: Candidate, project: ProjectFacts) -> Candidate | None:
    data = candidate.data
    index = _index(project)
    if any(index.validates(name) for name in data.get("unless", [])):
        return None
    if any(index.confirms(req) for req in data.get("prior", [])):
        return None  # an earlier sink of the same handler is the finding
    req = data.get("requirement")
    if req is None:
        return candidate
    if not index.confirms(req):
        return None
    if req["type"] != "stores":
        return candidate  # a model built from the input: a direct store
    if data.get("present") and not index.confirms(_stores_only(req)):
        return None  # the helper only selects rows with a value that is there: enough
    # The value reaches the database through a helper of the project (``set_config(k,
    # v)``, ``services.search(q)``): on the judged real-code corpus those helpers
    # checked, bound or scoped the value far more often than not, so a field handed to
    # one is reported at the audit level. A parameter declared with no type at all
    # (``bare``) is a defect of the handler itself, wherever the value goes; so is a
    # value the helper splices into SQL text or runs (``dangerous``), or writes as a new
    # row or a field of one (``writes_row``: ``Note(data=text)``, ``note.body = text``,
    # ``Order.objects.create(**payload)`` in a service layer): no helper that does that
    # has checked it first, or its summary would say it validates.
    if data.get("bare"):
        return candidate
    if (index.dangerous(req) or index.writes_row(req)) and not data.get("trusted"):
        return replace(candidate, confidence="high" if data.get("whole") else "medium")
    return replace(candidate, confidence="low")
