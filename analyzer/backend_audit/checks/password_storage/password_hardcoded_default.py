"""BA207: a user account gets a password written in the source: a parameter default, a
literal given to a user-creating call, or a module constant used for one (in any module).
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from backend_audit.appmodel.collectors.startup import FACT_STARTUP_CALL, runs_at_startup
from backend_audit.appmodel.names import dotted_name, get_arg, is_password_name, string_value
from backend_audit.appmodel.password_models import (
    bound_to_model_factory,
    class_kinds,
    model_hint_from_import,
)
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.appmodel.test_context import TestContext
from backend_audit.flow.calls import bind_arguments
from backend_audit.sql.columns import written_columns
from backend_audit.visitor import Candidate, Check

# Calls that set the password of an account, and where the password goes positionally.
_PASSWORD_SETTERS = {"create_user": 2, "create_superuser": 2, "acreate_user": 2,
                     "acreate_superuser": 2, "set_password": 0, "make_password": 0,
                     "generate_password_hash": 0, "hashpw": 0, "get_password_hash": 0,
                     "hash_password": 0}
_PASSLIB_HASH = frozenset({"hash", "encrypt"})
_WRITE_SQL = re.compile(r"(?is)^\s*(insert|update|replace)\b.*\b(pass(word|wd)?|pwd)\w*\b")
_DECOY = re.compile(r"(?i)dummy|decoy|timing|fake_hash|sentinel|not[-_ ]a[-_ ]real")
_UNUSABLE = frozenset({"", "!", "*", "x"})
# A finished password hash in crypt's notation: bcrypt (``$2b$12$`` and 53 characters),
# argon2 (``$argon2id$v=19$...``), sha256/sha512-crypt, md5-crypt. The account's password
# is fixed in every deployment though the code does not show it.
_HASH_LITERAL = re.compile(r"^\$(2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|argon2(id|i|d)\$\S+|"
                           r"[156]\$(rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86})$")
HASH_MESSAGE = ("A user account gets a fixed password hash written in the source code: every "
                "deployment shares that account's password, known to whoever chose it and "
                "open to an offline guess by anyone who reads the code.")
_ACCOUNT_FUNCTION = re.compile(r"(?i)admin|user|account|seed|superuser|register|signup|staff|"
                               r"member|owner|bootstrap|operator|customer|employee")
# ``create_picker`` / ``invite_driver``: whoever is created here logs in with the password.
_CREATOR = re.compile(r"(?i)_?(create|add|register|invite|provision|onboard)_")
_ACCOUNT_CALL = re.compile(r"\b(create_user|create_superuser|set_password|make_password|"
                           r"generate_password_hash|hashpw|hash_password|get_password_hash)\(")


class PasswordHardcodedDefault(Check):
    rule_id = "BA207"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.tests = TestContext(ctx)
        self.kinds: dict[str, str] = {}
        self.constants: dict[str, cst.Assign] = {}
        self.used: set[str] = set()
        self.statement: cst.SimpleStatementLine | None = None

    def visit_Module(self, node: cst.Module) -> None:
        self.kinds = class_kinds(self.ctx)
        for stmt in _constant_statements(node):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    targets = [t.target for t in small.targets] if isinstance(
                        small, cst.Assign) else [small.target]
                    for t in targets:
                        if isinstance(t, cst.Name) and is_password_name(t.value) and \
                                _real_literal(small.value):
                            self.constants[t.value] = small

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.tests.active(original_node):
            return
        for name, assign in self.constants.items():
            self.report(assign, confidence="high", constant=name, used_here=name in self.used)

    # -- parameter defaults ----------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.tests.active(node):
            return
        params = node.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            if p.default is not None and is_password_name(p.name.value) and \
                    _real_literal(p.default):
                if _ACCOUNT_FUNCTION.search(node.name.value):
                    self.report(p, confidence="high")
                elif _ACCOUNT_CALL.search(self.ctx.module.code_for_node(node.body)):
                    self.report(p, confidence="medium")

    # -- a password local defaulting to a constant ------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        """``password = password or settings.DEFAULT_OPERATOR_PASSWORD`` in an account
        function: the constant becomes the account's password (hashed or not)."""
        fn = self.ctx.current_function
        if fn is None or self.tests.active(node) or not any(
                isinstance(t.target, cst.Name) and is_password_name(t.target.value)
                for t in node.targets):
            return
        if not (_ACCOUNT_FUNCTION.search(fn.name.value) or _CREATOR.match(fn.name.value) or
                _ACCOUNT_CALL.search(self.ctx.module.code_for_node(fn.body))):
            return
        value = node.value
        while isinstance(value, cst.BooleanOperation):
            value = value.right
        if isinstance(value, cst.Name):
            if value.value in self.constants:
                self.used.add(value.value)
            elif value.value.isupper():
                self.ctx.add_fact("password.default-used", {"name": value.value})
            return
        setting = _setting_name(value)
        if setting is not None and setting.isupper():  # not ``data["password"]``
            self.ctx.add_fact("password.default-used", {"name": setting})

    # -- literals given to account-creating calls --------------------------------------

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.statement = node

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument" and \
                not self.tests.active(node):
            self._option(node)  # argparse
        if isinstance(node.func, cst.Attribute) and \
                node.func.attr.value in ("execute", "executemany") and len(node.args) >= 2 and \
                not self.tests.active(node):
            self._raw_insert(node)
        value = self._password_argument(node)
        if value is None or self.tests.active(node):
            return
        if self.statement is not None and \
                _DECOY.search(self.ctx.module.code_for_node(self.statement)):
            return  # a dummy hash computed to even out login timing, not an account
        self._literal(node, value)

    def _password_argument(self, node: cst.Call) -> cst.BaseExpression | None:
        name = self.ctx.imports.qualname(node.func) or dotted_name(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        for arg in node.args:
            if arg.keyword is not None and is_password_name(arg.keyword.value):
                if last in _PASSWORD_SETTERS or self._is_model(last) or \
                        re.search(r"(?i)(create|add|register|new|make)_?\w*(user|admin|account)",
                                  last):
                    return arg.value
        if last in _PASSWORD_SETTERS:
            arg = get_arg(node, "password", _PASSWORD_SETTERS[last]) or \
                get_arg(node, "raw_password", _PASSWORD_SETTERS[last])
            return arg.value if arg is not None else None
        if last in _PASSLIB_HASH and name.startswith(("passlib", "pwd_context", "password_context",
                                                      "crypt_context")):
            arg = get_arg(node, "secret", 0)
            return arg.value if arg is not None else None
        return self._account_helper_argument(node)

    def _account_helper_argument(self, node: cst.Call) -> cst.BaseExpression | None:
        """``User.register_user("admin", "pass1", ...)``: the project's own account-creating
        function (same module), given the password positionally."""
        callee = self.ctx.local_callee(node)
        if callee is None or not (_ACCOUNT_FUNCTION.search(callee.function.name.value) or
                                  _CREATOR.match(callee.function.name.value)):
            return None
        binding = bind_arguments(callee.function, node, callee.bound)
        for param, value in binding.arguments.items():
            if is_password_name(param):
                return value
        return None

    def _is_model(self, name: str) -> bool:
        return self.kinds.get(name) == "model" or bound_to_model_factory(self.ctx, name) or (
            name[:1].isupper() and model_hint_from_import(self.ctx, name))

    def _literal(self, call: cst.Call, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.BooleanOperation):
            self._literal(call, value.right)  # ``password or DEFAULT_PASSWORD``
            return
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value == "encode":
            value = value.func.value
        if _real_literal(value):
            self.report(call, confidence="high")
            return
        text = string_value(value)
        if text is not None and _HASH_LITERAL.match(text.strip()):
            self.report(call, message=HASH_MESSAGE, confidence="medium")
            return
        if _env_default(value):
            self.report(call, confidence="medium")
            return
        if isinstance(value, cst.Name):
            local = self.ctx.flow().values_of(value.value) if self.ctx.function_stack else []
            if local:
                if any(_real_literal(v) for v in local):
                    self.report(call, confidence="high")
                elif any(_env_default(v) for v in local):
                    self.report(call, confidence="medium")
                return
            if value.value in self.constants:
                self.used.add(value.value)
            else:
                self.ctx.add_fact("password.default-used", {"name": value.value})
            return
        setting = _setting_name(value)
        if setting is not None:
            self.ctx.add_fact("password.default-used", {"name": setting})

    def _raw_insert(self, call: cst.Call) -> None:
        """``INSERT INTO users (..., password) VALUES (?, ?)`` with a literal or constant."""
        sql = string_value(call.args[0].value)
        if sql is None or not _WRITE_SQL.search(sql):
            return
        params = call.args[1].value
        if isinstance(params, (cst.Tuple, cst.List)):
            for el in params.elements:
                if isinstance(el.value, (cst.Name, cst.Attribute, cst.Subscript)):
                    self._literal(call, el.value)
        # A literal bound to the password column itself (``VALUES (%s, %s)`` with
        # ``("admin", "admin123")``), read by the SQL parser: the username beside it is
        # no password.
        for column, value in written_columns(call, self.ctx) or ():
            if is_password_name(column) and _real_literal(value):
                self.report(value, confidence="high")  # the literal, where the tuple is long
                return

    # -- command-line options --------------------------------------------------------------

    def visit_Decorator(self, node: cst.Decorator) -> None:
        """``@click.option("--password", default="Warehouse!1")`` on an account command."""
        call = node.decorator
        if isinstance(call, cst.Call) and not self.tests.active(node):
            self._option(call)

    def _option(self, call: cst.Call) -> None:
        name = dotted_name(call.func) or ""
        if name.rsplit(".", 1)[-1] not in ("option", "argument", "add_argument", "Option"):
            return
        flags = [string_value(a.value) or "" for a in call.args if a.keyword is None]
        if not any(is_password_name(f.lstrip("-").replace("-", "_")) for f in flags):
            return
        default = get_arg(call, "default")
        if default is not None and _real_literal(default.value):
            self.report(call, confidence="high")

    def report(self, node: cst.CSTNode, message: str | None = None,
               confidence: str | None = None, **data: Any) -> None:
        if _is_cli_script(self.ctx.source):
            return  # a command a developer runs: sample data for their database
        if _SEED_SCRIPT.search(self.ctx.path):
            # Sample data for a developer's database, unless the application runs the
            # seeding function itself when it starts (a FastAPI lifespan): then the
            # account exists in every deployment (settled in ``resolve``).
            if not self.ctx.function_stack:
                return
            data["seed"] = f"{self.ctx.module_name}.{self.ctx.function_stack[0].name.value}"
        super().report(node, message, confidence, **data)

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        seed = candidate.data.get("seed")
        if seed is not None and not runs_at_startup(
                seed, [f["callee"] for f in project.values(FACT_STARTUP_CALL)]):
            return None
        name = candidate.data.get("constant")
        if name is None or candidate.data.get("used_here"):
            return candidate
        if any(v.get("name") == name for v in project.values("password.default-used")):
            return candidate
        return None


# Scripts that fill a development database with fake accounts: Django management
# commands, ``scripts/`` and modules named for seeding or sample data.
_SEED_SCRIPT = re.compile(
    r"(^|/)(management/commands|scripts?)/|(^|/|_)(sample|seed|seeds|populate|fake|"
    r"fixtures?|generate|demo)(_\w+)?\.py$")


def _is_cli_script(source: str) -> bool:
    """A module run from a shell (a ``__main__`` block parsing its own arguments)."""
    return "__main__" in source and bool(re.search(r"\b(argparse|click|typer|sys\.argv)\b",
                                                      source))


# A sentence: words and a closing mark (``"Please enter the passphrase of your user
# store."``): a prompt or a message shown about a password, not one.
_PROSE = re.compile(r"^\s*\S+(\s+\S+){3,}[.?:]\s*$")


def _real_literal(expr: cst.BaseExpression | None) -> bool:
    text = string_value(expr) if expr is not None else None
    return text is not None and text.strip() not in _UNUSABLE and \
        not text.startswith("$") and not _PROSE.match(text)


def _env_default(expr: cst.BaseExpression) -> bool:
    """``os.environ.get("ADMIN_PASSWORD", "admin")`` / ``os.getenv(..., "admin")``."""
    if not isinstance(expr, cst.Call) or len(expr.args) < 2:
        return False
    name = dotted_name(expr.func) or ""
    return name.endswith(("getenv", "environ.get")) and _real_literal(expr.args[1].value)


def _constant_statements(module: cst.Module) -> list[cst.SimpleStatementLine]:
    """Module-level statements, and those of module-level config classes."""
    out: list[cst.SimpleStatementLine] = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.append(stmt)
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            out.extend(s for s in stmt.body.body if isinstance(s, cst.SimpleStatementLine))
    return out


def _setting_name(expr: cst.BaseExpression) -> str | None:
    """``settings.X`` / ``app.config["X"]`` / ``current_app.config.get("X")`` -> ``X``."""
    if isinstance(expr, cst.Attribute) and expr.attr.value.isupper():
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and \
            isinstance(expr.slice[0].slice, cst.Index):
        return string_value(expr.slice[0].slice.value)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value == "get" and expr.args and \
            (dotted_name(expr.func.value) or "").endswith("config"):
        return string_value(expr.args[0].value)
    return None
