"""Inline suppressions: ``# backend-audit: ignore[BA301, sql-string-built] -- reason``."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from backend_audit.engines.source import source_lines
from backend_audit.findings import Notification, NotificationLevel

if TYPE_CHECKING:
    from backend_audit.catalogue import Rule

_MARK = re.compile(
    r"#\s*backend-audit\s*:\s*ignore\b(?P<ids>\[[^\]]*\])?(?:\s*--\s*(?P<reason>.*))?"
)


@dataclass(frozen=True)
class Directive:
    line: int
    ids: frozenset[str]  # ids and names, upper/lower-cased as written
    reason: str
    blanket: bool


def parse_directive(text: str, line: int) -> Directive | None:
    match = _MARK.search(text)
    if match is None:
        return None
    ids_text = match.group("ids")
    reason = (match.group("reason") or "").strip()
    if not ids_text or not ids_text.strip("[] "):
        return Directive(line, frozenset(), reason, True)
    ids = frozenset(p.strip() for p in ids_text[1:-1].split(",") if p.strip())
    return Directive(line, ids, reason, False)


def find_directive(lines: dict[int, str], start_line: int, rule_id: str,
                   rule_name: str, statement_line: int | None = None) -> Directive | None:
    """A matching directive on the finding's first line, or alone on the line above; for
    a finding inside a statement spanning several lines, also on the statement's first
    line or alone above it."""
    wanted = {rule_id.upper(), rule_name.lower()}
    ends = (start_line, statement_line) if statement_line else (start_line,)
    for n in (m for end in ends for m in (end, end - 1)):
        text = lines.get(n)
        if text is None:
            continue
        if n not in ends and not text.lstrip().startswith("#"):
            continue
        d = parse_directive(text, n)
        if d is not None and not d.blanket:
            written = {i.upper() for i in d.ids} | {i.lower() for i in d.ids}
            if written & wanted:
                return d
    return None


def blanket_directives(text: str) -> list[int]:
    """Lines carrying an ignore without ids (refused: name the rule you silence)."""
    return [d.line for d in _directives(text) if d.blanket]


def _directives(text: str) -> list[Directive]:
    if "backend-audit" not in text:
        return []
    # Numbered as Python numbers lines (a form feed or U+2028 does not end one).
    return [d for n, line in enumerate(source_lines(text), 1)
            if "backend-audit" in line and (d := parse_directive(line, n)) is not None]


@cache
def known_rule_names(team: tuple[Rule, ...] = ()) -> frozenset[str]:
    """Ids (upper case) and names (lower case) an ignore comment may name: the whole
    catalogue and the ``team`` rules (``Config.team_rules``), not only the rules enabled
    for a scan."""
    from backend_audit.catalogue import load_catalogue

    return frozenset(k for r in (*load_catalogue(), *team) for k in (r.id.upper(),
                                                                     r.name.lower()))


def directive_notifications(path: str, text: str,
                            known: Collection[str] | None = None) -> list[Notification]:
    """What is wrong with the ignore comments of one file: a blanket ignore (refused), or
    an id or name that is no rule (a typo suppresses nothing). ``known`` holds upper-case
    ids and lower-case names (default: the catalogue's; ``known_rule_names(team_rules)``
    adds the team's own rules)."""
    out: list[Notification] = []
    names: Collection[str] | None = known
    for d in _directives(text):
        if d.blanket:
            out.append(Notification(
                "an ignore comment without rule ids is refused: write "
                "'# backend-audit: ignore[RULE] -- reason'", NotificationLevel.WARNING,
                path, d.line, "suppression"))
            continue
        if names is None:
            names = known_rule_names()
        for written in sorted(d.ids):
            if written.upper() not in names and written.lower() not in names:
                out.append(Notification(
                    f"unknown rule {written[:60]} in an ignore comment; it suppresses "
                    "nothing (see 'backend-audit rules')", NotificationLevel.WARNING,
                    path, d.line, "suppression"))
    return out
