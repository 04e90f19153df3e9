"""How far the library follows one value: one budget for every walker.

A walker starts a ``Budget`` for each question it answers (does this expression carry
client input? what SQL text can this be?) and hands it down: ``deeper()`` for each
nested expression, name or base class it follows, ``call()`` for each function boundary
it crosses (a same-module helper, a project function another module defines), or
``spend()`` for each item a closure adds (names, base classes). Every
step draws on one allowance of work shared by the whole question, so a wide tree of
names stops as surely as a deep one. The limits live here and nowhere else.
"""

from __future__ import annotations

#: Nested expressions, names and base classes one value is followed through.
MAX_DEPTH = 24
#: Function boundaries (helpers of the module, project functions of other modules)
#: one value is followed through.
MAX_CALLS = 4
#: Steps one question may take in all, helpers included.
MAX_WORK = 3000


class Budget:
    """Where a walker stands in one question: how deep, how many calls in, and the
    work the question has spent so far (shared by every budget derived from it).
    Immutable but for that shared tally; a plain slotted class, as walkers make one
    per step."""

    __slots__ = ("_tally", "calls", "depth")

    def __init__(self, depth: int = 0, calls: int = 0, _tally: list[int] | None = None) -> None:
        self.depth = depth
        self.calls = calls
        self._tally = [0] if _tally is None else _tally

    def __repr__(self) -> str:
        return f"Budget(depth={self.depth}, calls={self.calls}, spent={self._tally[0]})"

    @property
    def spent(self) -> int:
        return self._tally[0]

    @property
    def exhausted(self) -> bool:
        """No further step may be taken: too deep, or the question's work is spent."""
        return self.depth > MAX_DEPTH or self._tally[0] > MAX_WORK

    @property
    def may_call(self) -> bool:
        """Another function boundary may be crossed."""
        return self.calls < MAX_CALLS and not self.exhausted

    def spend(self) -> None:
        """Charge one step of work without going deeper (a closure over names or base
        classes that guards its own cycles)."""
        self._tally[0] += 1

    def deeper(self) -> Budget:
        """The budget one step further in (a nested expression, a name's value)."""
        self._tally[0] += 1
        return Budget(self.depth + 1, self.calls, self._tally)

    def call(self) -> Budget:
        """The budget inside a function the walker follows a value into."""
        self._tally[0] += 1
        return Budget(self.depth + 1, self.calls + 1, self._tally)

    def fresh_depth(self) -> Budget:
        """Inside a called function, names start over (its locals are a new scope) but
        the calls crossed and the work spent carry on."""
        return Budget(0, self.calls, self._tally)
