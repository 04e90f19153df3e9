"""BA804: a shell command line is built from client input (OS command injection)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.flow.budget import Budget
from backend_audit.flow.sinks import (
    COMMAND_FLAGS,
    EXEC_CALLS,
    SHELL_CALLS,
    SHELL_OPTIONAL,
    SHELLS,
    SHORT_FLAGS,
    WINDOWS_SHELLS,
)
from backend_audit.flow.specs import COMMAND
from backend_audit.flow.tainted_sink import TaintedSinkCheck


class ShellCommandFromRequest(TaintedSinkCheck):
    rule_id = "BA804"
    skips_migrations = True  # a migration serves no request
    spec = COMMAND

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        if qual in SHELL_CALLS:
            arg = get_arg(call, "cmd", 0) or get_arg(call, "command", 0)
            return [arg.value] if arg is not None else []
        if qual in SHELL_OPTIONAL:
            arg = get_arg(call, "args", 0)
            if arg is None:
                return []
            if _shell_on(call):
                # With a list and shell=True only the first item is the command line.
                argv = self._argv(arg.value)
                return [argv[0]] if argv else [arg.value]
            argv = self._argv(arg.value)
            return self._shell_payload(argv or []) or self._program_payload(arg.value, argv)
        if qual in EXEC_CALLS:
            return self._exec_payload(call, *EXEC_CALLS[qual])
        return []

    def _exec_payload(self, call: cst.Call, program: int, start: int,
                      as_list: bool) -> list[cst.BaseExpression]:
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if as_list:
            argv = self._argv(positional[start]) if len(positional) > start else None
            argv = argv or []
        else:
            argv = positional[start:]
        payload = self._shell_payload(argv)
        if not payload and program < start and len(positional) > program and \
                _is_shell(positional[program]) and argv:
            # ``os.execl("/bin/sh", "sh", "-c", cmd)``: argv[0] may be any name.
            payload = self._shell_payload([positional[program], *argv[1:]])
        return payload

    def _argv(self, expr: cst.BaseExpression,
              budget: Budget | None = None) -> list[cst.BaseExpression] | None:
        """The items of an argv list literal (``["sh", "-c", cmd]``, a name holding one,
        or lists joined with ``+``); None when it is no list we can read."""
        budget = budget or Budget()
        if budget.exhausted:
            return None
        budget = budget.deeper()
        if isinstance(expr, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            return [e.value for e in expr.elements]
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left, right = self._argv(expr.left, budget), self._argv(expr.right, budget)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, cst.Name):
            values = self.ctx.flow().values_of(expr.value)
            if len(values) == 1 and not self.ctx.flow().items_of(expr.value):
                return self._argv(values[0], budget)
        return None

    def _program_payload(self, args: cst.BaseExpression,
                         argv: list[cst.BaseExpression] | None) -> list[cst.BaseExpression]:
        """Without a shell the client still picks what runs when it names the program:
        ``Popen([tool, "--version"])``, or ``run(line)`` where the whole string is the
        program (and a client-supplied argv is all of it). Arguments after a fixed
        program are its own business (``["convert", src, dst]``)."""
        if argv is not None:
            return argv[:1]
        if isinstance(args, cst.Name) and (
                self.ctx.flow().items_of(args.value) or
                any(isinstance(v, _LIST_BUILDERS) for v in self.ctx.flow().values_of(args.value))):
            return []  # a list grown item by item: its program is not the whole value
        return [] if isinstance(args, _LIST_BUILDERS) else [args]

    def _shell_payload(self, argv: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
        """``["sh", "-c", line, "sh", arg]``: the command line (``arg`` is only ``$1``)."""
        program = _program(argv[0]) if argv else None
        rest = argv[1:]
        if program == "env" and rest:
            program, rest = _program(rest[0]), rest[1:]
        if program not in SHELLS:
            return []
        posix = program not in WINDOWS_SHELLS
        for index, item in enumerate(rest[:-1]):
            flag = string_value(item)
            if flag is None or not flag.startswith(("-", "+") if posix else ("-", "/")):
                return []  # the first operand ends the shell's own options
            if flag in COMMAND_FLAGS or (posix and SHORT_FLAGS.fullmatch(flag)):
                return [rest[index + 1]]
        return []


_LIST_BUILDERS = (cst.List, cst.Tuple, cst.ListComp, cst.BinaryOperation)


def _program(expr: cst.BaseExpression) -> str | None:
    """``bash`` for ``"/usr/bin/bash"``; ``cmd.exe`` for ``"C:\\Windows\\cmd.exe"``."""
    value = string_value(expr)
    if value is None:
        return None
    return value.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _is_shell(expr: cst.BaseExpression) -> bool:
    return _program(expr) in SHELLS


def _shell_on(call: cst.Call) -> bool:
    shell = get_arg(call, "shell")
    return shell is not None and not (isinstance(shell.value, cst.Name) and
                                      shell.value.value in ("False", "None"))
