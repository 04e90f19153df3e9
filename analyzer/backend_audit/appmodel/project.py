"""App-wide facts, merged from every file of a scan after the per-file pass."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from backend_audit.config import Config


@dataclass(frozen=True)
class Fact:
    path: str
    module: str
    value: Any


@dataclass
class ProjectFacts:
    config: Config
    frameworks: set[str] = field(default_factory=set)
    modules: dict[str, str] = field(default_factory=dict)  # module name -> path
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    #: Indexes a check's ``resolve`` builds from the facts once per scan (keyed by rule).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def add(self, key: str, path: str, module: str, value: Any) -> None:
        self.facts.setdefault(key, []).append(Fact(path, module, value))

    def get(self, key: str) -> list[Fact]:
        return self.facts.get(key, [])

    def values(self, key: str) -> Iterator[Any]:
        for fact in self.get(key):
            yield fact.value

    def by_last_name(self, key: str, field: str = "name") -> dict[str, list[Any]]:
        """The values of fact ``key`` indexed by the last part of their dotted ``field``
        (``pkg.web.rh.RHSignedIn`` under ``RHSignedIn``): how a check finds the facts of a
        name written in another module, whose import root may differ. Built once."""
        memo_key = f"by-last-name:{key}:{field}"
        index = self.memo.get(memo_key)
        if index is None:
            index = {}
            for value in self.values(key):
                index.setdefault(value[field].rsplit(".", 1)[-1], []).append(value)
            self.memo[memo_key] = index
        return index

    def has(self, key: str) -> bool:
        return bool(self.facts.get(key))
