"""BA804: a shell command line is built from client input (OS command injection)."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, string_value
from backend_audit.flow.specs import COMMAND
from backend_audit.flow.tainted_sink import TaintedSinkCheck

# Always run their argument through a shell.
SHELL_CALLS = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell", "commands.getoutput", "commands.getstatusoutput",
    "platform.popen",
})
# Run through a shell only with ``shell=True``; otherwise their argv runs as it is.
SHELL_OPTIONAL = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen",
})
# Program-and-argv calls: (index of the program, index where argv starts, argv is a list).
EXEC_CALLS = {
    "os.execv": (0, 1, True), "os.execve": (0, 1, True), "os.execvp": (0, 1, True),
    "os.execvpe": (0, 1, True), "os.execl": (0, 1, False), "os.execle": (0, 1, False),
    "os.execlp": (0, 1, False), "os.execlpe": (0, 1, False),
    "os.spawnv": (1, 2, True), "os.spawnve": (1, 2, True), "os.spawnvp": (1, 2, True),
    "os.spawnvpe": (1, 2, True), "os.spawnl": (1, 2, False), "os.spawnle": (1, 2, False),
    "os.spawnlp": (1, 2, False), "os.spawnlpe": (1, 2, False),
    "os.posix_spawn": (0, 1, True), "os.posix_spawnp": (0, 1, True),
    "asyncio.create_subprocess_exec": (0, 0, False), "pty.spawn": (0, 0, True),
}
# Programs that run the argument after their command flag as a command line.
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "csh", "tcsh", "fish", "busybox",
                    "cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh", "pwsh.exe"})
WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe", "pwsh",
                            "pwsh.exe"})
COMMAND_FLAGS = frozenset({"-c", "/c", "/C", "/k", "/K", "-Command", "-command"})
# ``sh -ec``, ``bash -lc``: short options bundled with ``c``.
SHORT_FLAGS = re.compile(r"-[a-zA-Z]{0,3}c[a-zA-Z]{0,3}")


class ShellCommandFromRequest(TaintedSinkCheck):
    rule_id = "BA804"
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
            return self._shell_payload(self._argv(arg.value) or [])
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

    def _argv(self, expr: cst.BaseExpression, depth: int = 0) -> list[cst.BaseExpression] | None:
        """The items of an argv list literal (``["sh", "-c", cmd]``, a name holding one,
        or lists joined with ``+``); None when it is no list we can read."""
        if depth > 4:
            return None
        if isinstance(expr, (cst.List, cst.Tuple)):
            if any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return None
            return [e.value for e in expr.elements]
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left, right = self._argv(expr.left, depth + 1), self._argv(expr.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, cst.Name):
            values = self.ctx.flow().values_of(expr.value)
            if len(values) == 1 and not self.ctx.flow().items_of(expr.value):
                return self._argv(values[0], depth + 1)
        return None

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
