"""Recognisers of work a program may let fail by design: releasing a resource (closing a
socket, stopping a subscriber, terminating a child process) and writing a log line.
Defines no rule."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from backend_audit.appmodel.names import dotted_name
from backend_audit.engines.walk import descendants

# Methods that give a resource back. Deleting a file is not among them (a file left
# behind is a visible effect, a socket left half-closed at tear-down is not), nor
# ``cancel`` (an order or a subscription is cancelled through a service call).
RELEASE_METHODS = frozenset({"close", "aclose", "stop", "release", "terminate", "kill",
                             "dispose", "shutdown", "disconnect", "join", "join_thread",
                             "quit", "rollback"})


def _called(small: cst.CSTNode) -> cst.Call | None:
    """The call an expression statement makes (``await`` looked through)."""
    if not isinstance(small, cst.Expr):
        return None
    value = small.value.expression if isinstance(small.value, cst.Await) else small.value
    return value if isinstance(value, cst.Call) else None


def _each_small(block: cst.BaseSuite, accept: Callable[[cst.CSTNode], bool]) -> bool:
    """Every statement of ``block`` passes ``accept`` (simple statements) or is an ``if``
    whose branches all do; ``pass`` and docstrings are neutral."""
    seen = False
    for stmt in block.body:
        if isinstance(stmt, cst.If):
            branches = [stmt.body]
            orelse = stmt.orelse
            while isinstance(orelse, cst.If):
                branches.append(orelse.body)
                orelse = orelse.orelse
            if orelse is not None:
                branches.append(orelse.body)
            if not all(_each_small(b, accept) for b in branches):
                return False
            seen = True
            continue
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else \
            [stmt] if isinstance(stmt, cst.BaseSmallStatement) else None
        if smalls is None:
            return False
        for small in smalls:
            if isinstance(small, cst.Pass) or isinstance(small, cst.Expr) and isinstance(
                    small.value, (cst.SimpleString, cst.ConcatenatedString)):
                continue
            if not accept(small):
                return False
            seen = True
    return seen


def _releases(small: cst.CSTNode) -> bool:
    call = _called(small)
    return call is not None and isinstance(call.func, cst.Attribute) and \
        call.func.attr.value in RELEASE_METHODS


def releases_only(block: cst.BaseSuite) -> bool:
    """``sock.close()``, ``proc.terminate()``, ``if conn is not None: conn.close()``:
    the block only gives resources back."""
    return _each_small(block, _releases)


# Methods of ``logging.Logger`` that write a line (``photo.audit_log.create`` does not).
LOG_LINE_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception",
                              "critical", "fatal", "log"})


# Diagnostics written without a logger: ``sys.stderr.write(...)``, ``warnings.warn(...)``.
_DIAGNOSTIC_CALLS = frozenset({"sys.stderr.write", "sys.stderr.flush", "warnings.warn"})


def is_log_call(call: cst.Call) -> bool:
    """``logger.debug(...)``, ``self.log.info(...)``, ``logging.warning(...)``: a line
    written through an object whose name says it is a logger; or a diagnostic written to
    standard error or as a warning (``sys.stderr.write(...)``, ``warnings.warn(...)``)."""
    func = call.func
    if dotted_name(func) in _DIAGNOSTIC_CALLS:
        return True
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_LINE_METHODS:
        return False
    receiver = func.value
    name = receiver.attr.value if isinstance(receiver, cst.Attribute) else \
        receiver.value if isinstance(receiver, cst.Name) else ""
    return "log" in name.lower()


def is_log_statement(small: cst.CSTNode) -> bool:
    call = _called(small)
    return call is not None and is_log_call(call)


def logs_only(block: cst.BaseSuite) -> bool:
    """The block only writes log lines (building their text may fail)."""
    return _each_small(block, is_log_statement)


def calls_something(small: cst.CSTNode) -> bool:
    """An expression statement that calls anything but a release method."""
    return _called(small) is not None and not _releases(small)


def assigned_names(block: cst.CSTNode) -> set[str]:
    """Plain names bound by assignments in ``block`` (``x = ...``, ``x += ...``)."""
    names = {t.target.value for t in descendants(block, cst.AssignTarget)
             if isinstance(t.target, cst.Name)}
    names.update(a.target.value for a in descendants(block, cst.AugAssign, cst.AnnAssign)
                 if isinstance(a.target, cst.Name))
    return names


# Methods that bump a statistic (Redis counters, statsd, Prometheus metrics): the count
# is lost on failure, nothing else is.
COUNTER_METHODS = frozenset({"incr", "incrby", "incrbyfloat", "decr", "decrby", "hincrby",
                             "hincrbyfloat", "zincrby", "inc", "dec", "increment",
                             "decrement", "observe", "timing", "gauge"})


def _counts(small: cst.CSTNode) -> bool:
    """A counter bumped for its side effect (its result unused), a pipeline flushed
    (``pipe.execute()`` takes no SQL), or a local name bound (the client, the key)."""
    if isinstance(small, cst.Assign):
        return all(isinstance(t.target, cst.Name) for t in small.targets)
    call = _called(small)
    if call is None or not isinstance(call.func, cst.Attribute):
        return False
    method = call.func.attr.value
    return method in COUNTER_METHODS or method == "execute" and not call.args


def counts_only(block: cst.BaseSuite) -> bool:
    """``pipe.incr("api:requests")`` ... ``pipe.execute()``: the block only records
    usage statistics, at least one counter among them."""
    return _each_small(block, _counts) and any(
        isinstance(call.func, cst.Attribute) and call.func.attr.value in COUNTER_METHODS
        for call in descendants(block, cst.Call))


# Deleting a row or a file: ``kind.delete()``, ``os.remove(path)``, ``path.unlink()``.
_DELETE_METHODS = frozenset({"delete", "remove", "unlink", "rmtree"})


def _deletes(small: cst.CSTNode) -> bool:
    call = _called(small)
    return call is not None and isinstance(call.func, cst.Attribute) and \
        call.func.attr.value in _DELETE_METHODS


def deletes_only(block: cst.BaseSuite) -> bool:
    """The block only deletes rows or files (``if`` branches included)."""
    return _each_small(block, _deletes)


# Conversions of a value in hand that fail on malformed text (a scraped count, a date).
_CONVERSIONS = frozenset({"int", "float", "complex", "Decimal", "strptime", "fromisoformat",
                          "fromtimestamp", "utcfromtimestamp", "isoparse", "parse_date",
                          "parse_datetime", "literal_eval", "loads", "b64decode"})
# Lookups in a parsed document or a match that fail when the part is absent.
_LOOKUPS = frozenset({"xpath", "find", "findtext", "select_one", "cssselect", "group"})


def _extracts(expr: cst.BaseExpression) -> bool:
    """``items[0]``, ``data["title"]``, ``tree.xpath(path)[0].text``, ``int(count)``,
    ``datetime.strptime(text, fmt)``, ``match.group(1).strip()``: one part of data in
    hand, read or converted."""
    if isinstance(expr, cst.Subscript):
        return len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) and \
            isinstance(expr.slice[0].slice.value, (cst.Integer, cst.SimpleString,
                                                    cst.UnaryOperation))
    if isinstance(expr, cst.Attribute):
        return _extracts(expr.value)
    if isinstance(expr, cst.Call):
        func = expr.func
        name = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else ""
        return name in _CONVERSIONS or name in _LOOKUPS or \
            isinstance(func, cst.Attribute) and _extracts(func.value)
    return False


def _assignments(block: cst.BaseSuite) -> list[cst.Assign | cst.AnnAssign] | None:
    """The block's assignments when it holds nothing else (``pass`` aside)."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    out: list[cst.Assign | cst.AnnAssign] = []
    for stmt in statements:
        if not isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                out.append(small)
            elif not isinstance(small, cst.Pass):
                return None
    return out


def _targets(assign: cst.Assign | cst.AnnAssign, code: Callable[[cst.CSTNode], str]
             ) -> list[str]:
    if isinstance(assign, cst.AnnAssign):
        return [code(assign.target)]
    return [code(t.target) for t in assign.targets]


def defaults_one_field(body: cst.BaseSuite, handler: cst.BaseSuite,
                       code: Callable[[cst.CSTNode], str]) -> bool:
    """``files = int(files)`` / ``title = tree.xpath(path)[0].text`` in the try (a few
    assignments, one of them reading or converting one part of data in hand), and in the
    handler a default for what the try assigns (``files = None``): one optional field of
    a record falls back, and the record is built on. The function's own answer
    (``return ""``) is not a field."""
    tried = _assignments(body)
    defaults = _assignments(handler)
    if not tried or not defaults or len(tried) > 3:
        return False
    assigned = {t for a in tried for t in _targets(a, code)}
    return any(_extracts(a.value) for a in tried if a.value is not None) and \
        all(set(_targets(a, code)) <= assigned for a in defaults)
