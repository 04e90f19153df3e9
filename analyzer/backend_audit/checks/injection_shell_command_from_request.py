"""BA804: a shell command line is built from client input (OS command injection)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.names import get_arg
from backend_audit.checks.injection_sources import TaintedSinkCheck

# Always run their argument through a shell.
SHELL_CALLS = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell", "commands.getoutput",
})
# Run through a shell only with ``shell=True``.
SHELL_OPTIONAL = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen",
})


class ShellCommandFromRequest(TaintedSinkCheck):
    rule_id = "BA804"

    def sink_args(self, call: cst.Call) -> list[cst.BaseExpression]:
        qual = self.ctx.imports.qualname(call.func)
        if qual not in SHELL_CALLS and qual not in SHELL_OPTIONAL:
            return []
        if qual in SHELL_OPTIONAL:
            shell = get_arg(call, "shell")
            if shell is None or (isinstance(shell.value, cst.Name) and
                                 shell.value.value in ("False", "None")):
                return []
        arg = get_arg(call, "args", 0) or get_arg(call, "cmd", 0) or get_arg(call, "command", 0)
        return [arg.value] if arg is not None else []
