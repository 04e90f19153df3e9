"""Request-handler classes that a Flask-style URL table routes to: which of their
methods answer requests, and whether the base classes they inherit check the caller.

``appmodel.class_tables`` finds the classes a URL table routes to (``bp.add_url_rule(
"/talks/<int:talk_id>", "talk", RHTalk, methods=("GET", "POST"))``) before modules are
analysed; each class's own module turns the declaration into routes on the methods the
class answers in (``answering_methods``). The base class usually runs the access check
(``_check_access()``) before it calls ``_process()``, often from another module: the
``handler-class`` facts record each class's bases and whether its own body checks the
caller, and ``inherited_check`` follows a class's bases through them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.calls import imported_callee, names_match

_HTTP = ("GET", "POST", "PUT", "PATCH", "DELETE")


def answering_methods(cls: cst.ClassDef, methods: frozenset[str]
                      ) -> list[tuple[cst.FunctionDef, frozenset[str]]]:
    """The methods of a routed class that answer requests, each with the HTTP methods it
    answers: ``_process_POST`` answers POST; ``_process`` (or ``process``) every routed
    method no ``_process_<METHOD>`` takes. A class that defines none of them inherits
    its answer from a base class: it has no handler of its own here."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    defined = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
    out: list[tuple[cst.FunctionDef, frozenset[str]]] = []
    taken: set[str] = set()
    for verb in _HTTP:
        fn = defined.get(f"_process_{verb}")
        if fn is not None and verb in methods:
            out.append((fn, frozenset({verb})))
            taken.add(verb)
    rest = methods - taken
    general = defined.get("_process") or defined.get("process")
    if general is not None and rest:
        out.append((general, frozenset(rest)))
    return out


# ---------------------------------------------------------------- inherited access checks
#: Fact ``handler-class``: ``{"name": "pkg.web.rh.RHSignedIn", "bases": ["pkg.web.rh.RH"],
#: "checks": true}`` for each class of a module that defines request-handler methods or
#: access hooks; ``checks``: the class's own access hook does something (not ``pass``).
FACT_HANDLER_CLASS = "handler-class"
#: What a module must mention for its classes to be recorded.
HANDLER_CLASS_WORDS = ("_process", "check_access", "_check_auth", "check_permission")


def handler_class_facts(module: cst.Module, here: str, imports: ImportMap, path: str,
                        checks_access: Callable[[cst.ClassDef], bool]) -> list[dict]:
    """The ``handler-class`` facts of one module. ``checks_access(cls)``: whether the
    class's own body checks the caller (``appmodel.auth`` decides)."""
    out = []
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef):
            continue
        bases = []
        for base in stmt.bases:
            if isinstance(base.value, cst.Name) and base.value.value == "object":
                continue
            qual = imported_callee(base.value, imports, path)
            if qual is None and isinstance(base.value, cst.Name):
                qual = f"{here}.{base.value.value}" if here else base.value.value
            if qual:
                bases.append(qual)
        name = f"{here}.{stmt.name.value}" if here else stmt.name.value
        out.append({"name": name, "bases": bases, "checks": bool(checks_access(stmt))})
    return out


def inherited_check(bases: Iterable[str], project: ProjectFacts) -> bool | None:
    """Does one of ``bases`` (recorded by ``handler-class`` facts, through their own
    bases) check the caller? None when a base is not recorded (a framework's or a
    library's class, or a module the scan does not hold): nothing is known."""
    index = project.by_last_name(FACT_HANDLER_CLASS)
    todo, seen, unknown = list(bases), set(), False
    while todo:
        name = todo.pop()
        if name in seen or len(seen) > 200:
            continue
        seen.add(name)
        facts = [f for f in index.get(name.rsplit(".", 1)[-1], ())
                 if names_match(f["name"], name)]
        if not facts:
            unknown = True
            continue
        for fact in facts:
            if fact["checks"]:
                return True
            todo.extend(fact["bases"])
    return None if unknown else False

