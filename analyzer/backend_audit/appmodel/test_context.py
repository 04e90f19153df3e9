"""Is a node in test-only configuration? Lowered hashing costs and fast hashers are what a
test suite is meant to use, so the password-storage checks leave them alone."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.engines.walk import contains
from backend_audit.visitor import Check

_TEST_CODE = re.compile(r"(?i)\b(tests?|testing|pytest|unittest)\b")
_TEST_NAME = re.compile(r"^Test|Test(ing|s)?(?=[A-Z_]|$)|(?i:(^|_)test(ing|s)?(_|$))|"
                        r"^(Fake|Mock|Dummy|Stub)(?=[A-Z_]|$)")
_TEST_PATH = re.compile(r"(^|/)(tests?|testing)(/|$)|(^|/)(test_[^/]*|[^/]*_tests?|conftest|"
                        r"tests?|testing|settings_test|test_settings)\.py$")


def is_test_double(name: str) -> bool:
    """``FakeHasher``, ``TestingConfig``, ``test_login``: names of test-only code."""
    return bool(_TEST_NAME.search(name))


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


class TestContext:
    """Tracks ``if TESTING:`` branches; call ``enter_if``/``leave_if`` from the check."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.branches: list[cst.BaseSuite] = []

    def enter_if(self, node: cst.If) -> None:
        if _TEST_CODE.search(self.ctx.module.code_for_node(node.test)):
            self.branches.append(node.body)

    def leave_if(self, node: cst.If) -> None:
        if self.branches and self.branches[-1] is node.body:
            self.branches.pop()

    def active(self, node: cst.CSTNode) -> bool:
        if is_test_path(self.ctx.path):
            return True
        if any(_TEST_NAME.search(c.name.value) for c in self.ctx.class_stack):
            return True
        if any(_TEST_NAME.search(f.name.value) for f in self.ctx.function_stack):
            return True
        return any(contains(b, node) for b in self.branches)


class TestAwareCheck(Check):
    """A check that knows when it is inside an ``if TESTING:`` branch (``self.tests``)."""

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self.tests = TestContext(ctx)

    def visit_If(self, node: cst.If) -> None:
        self.tests.enter_if(node)

    def leave_If(self, original_node: cst.If) -> None:
        self.tests.leave_if(original_node)
