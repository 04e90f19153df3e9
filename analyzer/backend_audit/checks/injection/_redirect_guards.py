"""Checks a function makes before redirecting to a URL (open-redirect sanitisers).

Defines no rule; BA808 (redirect-target-from-request) asks it which expressions the
enclosing function has checked. Flow-insensitive, like the rest of the taint: a value
checked anywhere in the function counts as checked throughout it, which is what early
returns (``if not is_safe_url(url): abort(400)``) and fallbacks
(``if not url_has_allowed_host_and_scheme(url, ...): url = "/"``) look like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import last_name, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.engines.walk import contains, descendants, walk
from backend_audit.flow.locals import allow_listed_names
from backend_audit.flow.reflected import code_key, fixes_origin

# Names of calls that vet a URL: url_has_allowed_host_and_scheme, is_safe_url,
# safe_for_redirect, is_valid_redirect, validate_next_url, is_local_url...
_GUARD_CALL = re.compile(
    r"safe|allowed|trusted|valid|whitelist|allowlist|allow_list|is_local|is_relative|"
    r"same_origin|same_site|same_host|check_(url|redirect|next|host)", re.IGNORECASE)
_PARSERS = frozenset({"urlparse", "urlsplit", "urlunparse", "urlunsplit", "URL", "furl",
                      "parse_url"})
_HOST_PARTS = frozenset({"netloc", "hostname", "host", "origin"})
_REDIRECT_NAMES = frozenset({"redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect",
                             "RedirectResponse", "HTTPFound", "HTTPSeeOther"})
_SLASHES = frozenset({"/", "\\"})
_PROTOCOL_RELATIVE = frozenset({"//", "/\\", "\\\\", "\\/"})


@dataclass(frozen=True)
class RedirectGuards:
    checked: frozenset[str]  # code keys of expressions a real check vets
    weakly_checked: frozenset[str]  # only ``startswith("/")``, which ``//host`` passes
    # Only found to have no host (``not urlsplit(url).netloc``) with backslashes left in:
    # browsers read ``/\evil.example`` as ``//evil.example``.
    backslash_open: frozenset[str] = frozenset()


NO_GUARDS = RedirectGuards(frozenset(), frozenset())


def guards_in(ctx: ModuleContext, fn: cst.FunctionDef) -> RedirectGuards:
    """What ``fn`` checks of the URLs it handles."""
    finder = _GuardFinder(ctx, fn)
    walk(fn, finder)
    checked = finder.checked | (finder.weak & finder.relative_tested)
    checked |= allow_listed_names(fn, lambda e: request_input(e, ctx.imports) is None)
    open_: set[str] = set()
    if finder.host_tested and not finder.host_misused:
        if finder.backslashes_handled:
            checked |= finder.parsed
        else:
            open_ = finder.parsed - checked
    return RedirectGuards(frozenset(checked), frozenset(finder.weak - checked),
                          frozenset(open_))


class _GuardFinder(cst.CSTVisitor):
    def __init__(self, ctx: ModuleContext, root: cst.FunctionDef) -> None:
        self.ctx = ctx
        self.root = root
        self.checked: set[str] = set()
        self.weak: set[str] = set()
        self.relative_tested: set[str] = set()  # ``startswith("//")``: with "/", a check
        self.parsed: set[str] = set()  # arguments of urlparse(...) and the like
        self.host_tested = False
        # ``if urlparse(url).netloc: return redirect(url)``: the test picks external URLs
        self.host_misused = False
        # ``url.replace("\\", "/")`` or a test for a backslash in the URL
        self.backslashes_handled = False
        self._tests = 0  # inside an if/assert/conditional test or a comparison

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_Call(self, node: cst.Call) -> None:
        name = last_name(node.func) or ""
        if _GUARD_CALL.search(name):
            for arg in node.args:
                self.checked.add(code_key(self.ctx, arg.value))
        elif name in _PARSERS and node.args:
            self.parsed.add(code_key(self.ctx, node.args[0].value))
        elif name == "replace" and node.args and "\\" in (string_value(node.args[0].value) or ""):
            self.backslashes_handled = True
        elif name == "startswith" and isinstance(node.func, cst.Attribute) and node.args:
            subject = code_key(self.ctx, node.func.value)
            prefixes = _literals(node.args[0].value)
            if prefixes is None or any(fixes_origin(p) for p in prefixes):
                self.checked.add(subject)  # ``url.startswith(request.host_url)``
            elif any(p[:2] in _PROTOCOL_RELATIVE for p in prefixes):
                self.relative_tested.add(subject)  # ``url.startswith(("//", "/\\"))``
                self.backslashes_handled |= any("\\" in p for p in prefixes)
            elif any(p in _SLASHES for p in prefixes):
                self.weak.add(subject)
            # ``url.startswith("https://")`` pins the scheme only: not a check

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._tests += 1
        # ``"//" in url`` / ``url[:2] == "//"``
        literal = string_value(node.left)
        for comp in node.comparisons:
            right = string_value(comp.comparator)
            if literal is not None and ("//" in literal or "\\" in literal) and \
                    isinstance(comp.operator, (cst.In, cst.NotIn)):
                self.checked.add(code_key(self.ctx, comp.comparator))
                self.backslashes_handled |= "\\" in literal
            if right is not None and ("//" in right or "\\" in right):
                self.checked.add(code_key(self.ctx, _unsliced(node.left)))

    def leave_Comparison(self, original_node: cst.Comparison) -> None:
        self._tests -= 1

    def visit_If(self, node: cst.If) -> None:
        self._test(node.test)
        has_host = _host_polarity(node.test)
        if has_host is None:
            return
        branch = node.body if has_host else node.orelse
        if branch is not None and _redirects_to_value(branch):
            self.host_misused = True

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._test(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._test(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._test(node.test)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._tests and node.attr.value in _HOST_PARTS:
            self.host_tested = True

    def _test(self, test: cst.BaseExpression) -> None:
        """``if not parsed.netloc:`` has no comparison: look for host parts in the test."""
        finder = self

        class _Hosts(cst.CSTVisitor):
            def visit_Attribute(self, node: cst.Attribute) -> None:
                if node.attr.value in _HOST_PARTS:
                    finder.host_tested = True

            def visit_Call(self, node: cst.Call) -> None:
                if last_name(node.func) == "is_absolute":
                    finder.host_tested = True  # ``if not URL(url).is_absolute():``

        walk(test, _Hosts())


def _host_polarity(test: cst.BaseExpression) -> bool | None:
    """True when the test holds for a URL with a host (``p.netloc``, ``p.netloc != ""``),
    False when it holds for one without (``not p.netloc``, ``p.netloc == ""``), None when
    it is no plain host test (``p.netloc in ALLOWED``)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _host_polarity(test.expression)
        return None if inner is None else not inner
    if isinstance(test, cst.Attribute):
        return True if test.attr.value in _HOST_PARTS else None
    if isinstance(test, cst.Call) and last_name(test.func) == "is_absolute":
        return True
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
            isinstance(test.left, cst.Attribute) and test.left.attr.value in _HOST_PARTS:
        comp = test.comparisons[0]
        empty = string_value(comp.comparator) == "" or (
            isinstance(comp.comparator, cst.Name) and comp.comparator.value == "None")
        if not empty:
            return None
        if isinstance(comp.operator, (cst.NotEqual, cst.IsNot)):
            return True
        if isinstance(comp.operator, (cst.Equal, cst.Is)):
            return False
    return None


def _redirects_to_value(branch: cst.CSTNode) -> bool:
    """The branch redirects to a value it holds (``redirect(url)``), not to a literal or
    a URL the code builds (``redirect(url_for("home"))``)."""
    for call in descendants(branch, cst.Call):
        if last_name(call.func) in _REDIRECT_NAMES and call.args and \
                isinstance(call.args[0].value, (cst.Name, cst.Attribute, cst.Subscript)):
            return True
    return False


def pinned_names(ctx: ModuleContext, fn: cst.FunctionDef, sink: cst.CSTNode) -> set[str]:
    """Code keys of values an ``if`` around ``sink`` shows equal to a literal the code
    wrote (``if target == "/welcome":``, ``if a == "x" or a == "y":``)."""
    found: set[str] = set()
    for node in descendants(fn, cst.If):
        if contains(node.body, sink):
            found |= _equal_to_literals(ctx, node.test)
    return found


def _equal_to_literals(ctx: ModuleContext, test: cst.BaseExpression) -> set[str]:
    if isinstance(test, cst.BooleanOperation):
        left, right = _equal_to_literals(ctx, test.left), _equal_to_literals(ctx, test.right)
        return left & right if isinstance(test.operator, cst.Or) else left | right
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or \
            not isinstance(test.comparisons[0].operator, cst.Equal):
        return set()
    left, right = test.left, test.comparisons[0].comparator
    for side, other in ((left, right), (right, left)):
        if string_value(other):
            return {code_key(ctx, side)}
    return set()


def _literals(expr: cst.BaseExpression) -> list[str] | None:
    value = string_value(expr)
    if value is not None:
        return [value]
    if isinstance(expr, cst.Tuple):
        values = [string_value(e.value) for e in expr.elements]
        return None if any(v is None for v in values) else values  # type: ignore[misc]
    return None


def _unsliced(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``url`` for ``url[:2]`` / ``url[0:2]``."""
    return expr.value if isinstance(expr, cst.Subscript) else expr
