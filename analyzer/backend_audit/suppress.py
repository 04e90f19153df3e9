"""Inline suppressions: ``# backend-audit: ignore[BA301, sql-string-built] -- reason``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend_audit.engines.source import source_lines

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
                   rule_name: str) -> Directive | None:
    """A matching directive on the finding's first line, or alone on the line above."""
    wanted = {rule_id.upper(), rule_name.lower()}
    for n in (start_line, start_line - 1):
        text = lines.get(n)
        if text is None:
            continue
        if n != start_line and not text.lstrip().startswith("#"):
            continue
        d = parse_directive(text, n)
        if d is not None and not d.blanket:
            written = {i.upper() for i in d.ids} | {i.lower() for i in d.ids}
            if written & wanted:
                return d
    return None


def blanket_directives(text: str) -> list[int]:
    """Lines carrying an ignore without ids (refused: name the rule you silence)."""
    if "backend-audit" not in text:
        return []
    out = []
    # Numbered as Python numbers lines (a form feed or U+2028 does not end one).
    for n, line in enumerate(source_lines(text), 1):
        d = parse_directive(line, n) if "backend-audit" in line else None
        if d is not None and d.blanket:
            out.append(n)
    return out
