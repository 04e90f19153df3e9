"""Team rules: a team's own semgrep rules, named by ``team-rules`` in the configuration.

A team rule is a semgrep rule with a checklist category. It becomes a catalogue ``Rule``
(``team=True``) and runs in the same semgrep process as the built-in semgrep rules, so its
findings are suppressed, baselined, selected and reported like theirs. Rules are read from
local files only; every problem is a ``CatalogueError`` of one line naming the file and the
rule. Ids are the team's own: a letter, then letters, digits, ``-`` or ``_`` (no dots:
semgrep prefixes ids with dotted paths), never ``BA`` and a digit (the built-in ids, now
and later), a built-in rule's name or a category."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from backend_audit.catalogue import (
    CatalogueError,
    Docs,
    Rule,
    _parse_yaml,
    load_catalogue,
    load_categories,
)
from backend_audit.findings import Confidence, Severity

TEAM_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$")
_RESERVED_ID = re.compile(r"^BA[0-9]", re.IGNORECASE)
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CWE = re.compile(r"^\s*CWE-([0-9]+)\b", re.IGNORECASE)
MAX_ID = 64
#: A rules file larger than this is refused rather than read (semgrep-rules' largest
#: files are under 100 kB).
MAX_FILE_BYTES = 2_000_000
RULE_SUFFIXES = (".yaml", ".yml")
#: Our severities, and semgrep's own (INFO, WARNING, ERROR and the newer LOW..CRITICAL).
_SEVERITIES = {"info": "low", "low": "low", "warning": "medium", "medium": "medium",
               "error": "high", "high": "high", "critical": "critical"}
#: Keys of which a search-mode rule needs one (taint rules: ``mode: taint``).
_MATCHING = ("pattern", "patterns", "pattern-either", "pattern-regex", "match")
#: Keys read by backend-audit itself; the rest of a rule is sent to semgrep as written.
_OURS = ("id", "message", "severity", "languages", "metadata", "category", "confidence",
         "cwe", "owasp")
#: Registry names (``p/ci``, ``r/python.flask...``, ``s/...``) and ``auto`` make semgrep
#: download rules; backend-audit never does.
_REGISTRY = re.compile(r"^(?:[prs]/|auto$)")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_REFERENCE = re.compile(r"^https?://[^\s<>()\[\]{}\"'`\\]+$")


def rule_paths(entries: Iterable[str], base: Path, where: str) -> tuple[Path, ...]:
    """The files named by ``team-rules`` entries (files, or folders searched for .yaml and
    .yml files, hidden ones left out), relative to ``base``; ``where`` names the setting."""
    files: list[Path] = []
    for entry in entries:
        if _URL.match(entry):
            raise CatalogueError(f"{where}: {entry!r} is a URL; team rules are read from "
                                 "local files only (save the rules in the repository and "
                                 "name that file)")
        if _REGISTRY.match(entry):
            raise CatalogueError(f"{where}: {entry!r} names semgrep's registry; team rules "
                                 "are read from local files only (save the rules in the "
                                 f"repository and name that file; './{entry}' is a local "
                                 "path of that name)")
        path = base / entry
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES
                           and p.is_file() and not _hidden(p.relative_to(path)))
            if not found:
                raise CatalogueError(f"{where}: folder {entry!r} holds no .yaml or .yml file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CatalogueError(f"{where}: {entry!r} does not exist (paths are relative "
                                 f"to the folder of the configuration file, {base})")
    return tuple(dict.fromkeys(files))


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def load_team_rules(entries: Iterable[str], base: Path, where: str) -> tuple[Rule, ...]:
    """Read and check the team rules named by ``entries`` (see ``rule_paths``)."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}  # lower-case id or name -> where it was defined
    builtin = {k for r in load_catalogue() for k in (r.id.lower(), r.name.lower())}
    categories = set(load_categories())
    for path in rule_paths(entries, base, where):
        shown = _shown(path)
        for index, data in enumerate(_rule_entries(path, shown), 1):
            rule = _team_rule(data, index, shown)
            label = f"{shown}: rule {rule.id!r}"
            for key in dict.fromkeys((rule.id.lower(), rule.name)):
                if key in builtin:
                    raise CatalogueError(f"{label}: {key!r} is a built-in rule's id or name; "
                                         "choose another")
                if key in categories:
                    raise CatalogueError(f"{label}: {key!r} is a category; choose another id")
                if key in seen:
                    raise CatalogueError(f"{label}: {key!r} is already used by {seen[key]}")
                seen[key] = label
            rules.append(rule)
    return tuple(rules)


def _shown(path: Path) -> str:
    """How messages and reports name a rules file: from the working folder (the
    repository's root, where CI and pre-commit run) if it is below it, else in full."""
    full = path.resolve()
    try:
        return full.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return full.as_posix()


def _rule_entries(path: Path, shown: str) -> list[Any]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CatalogueError(f"{shown}: {size} bytes is too large for a rules file "
                                 f"(at most {MAX_FILE_BYTES})")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{shown}: cannot read it ({exc})") from exc
    try:
        data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{shown}: not valid YAML: {_yaml_problem(exc)}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise CatalogueError(f"{shown}: not a semgrep rules file (a top-level 'rules:' list)")
    return data["rules"]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what is wrong and where (PyYAML's own text spans several lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"{exc.problem or exc.context} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(exc).split())


def _team_rule(data: Any, index: int, shown: str) -> Rule:
    if not isinstance(data, dict):
        raise CatalogueError(f"{shown}: rule #{index} is not a mapping")
    rid = data.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise CatalogueError(f"{shown}: rule #{index} has no 'id'")
    label = f"{shown}: rule {rid!r}"
    if not TEAM_ID.match(rid) or len(rid) > MAX_ID:
        raise CatalogueError(f"{label}: an id is a letter, then letters, digits, '-' or '_' "
                             f"(at most {MAX_ID} characters)")
    if _RESERVED_ID.match(rid):
        raise CatalogueError(f"{label}: ids starting with BA and a digit are built-in rule "
                             "ids; give team rules another prefix")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CatalogueError(f"{label}: 'metadata' must be a mapping")

    def setting(key: str) -> Any:
        return metadata[key] if key in metadata else data.get(key)

    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        raise CatalogueError(f"{label}: no 'message' (one sentence about the problem)")
    categories = load_categories()
    category = setting("category")
    if category is None:
        raise CatalogueError(f"{label}: no category (metadata: {{category: ...}}; one of "
                             f"{', '.join(categories)})")
    if category not in categories:
        raise CatalogueError(f"{label}: unknown category {category!r}; choose from "
                             f"{', '.join(categories)}")
    languages = data.get("languages", ["python"])
    if not isinstance(languages, list) or not {"python", "py", "python3"} & \
            {str(v).lower() for v in languages}:
        raise CatalogueError(f"{label}: 'languages' must include python (backend-audit "
                             "sends semgrep Python files only)")
    mode = data.get("mode", "search")
    if mode not in ("search", "taint"):
        raise CatalogueError(f"{label}: mode {mode!r} is not supported (search or taint)")
    if mode == "search" and not any(k in data for k in _MATCHING):
        raise CatalogueError(f"{label}: no pattern (one of {', '.join(_MATCHING)}; or "
                             "mode: taint)")
    name = metadata.get("name", rid.lower())
    if "name" in metadata and (not isinstance(name, str) or not _NAME.match(name)):
        raise CatalogueError(f"{label}: metadata 'name' must be kebab-case (no-raw-sql)")
    if _RESERVED_ID.match(name):
        raise CatalogueError(f"{label}: names starting with BA and a digit read as built-in "
                             "rule ids; choose another")
    return Rule(
        id=rid, name=name, category=category,
        severity=Severity.parse(_level(setting("severity"), _SEVERITIES, "medium", "severity",
                                       label)),
        confidence=Confidence.parse(_level(setting("confidence"),
                                           {str(c): str(c) for c in Confidence}, "medium",
                                           "confidence", label)),
        cwe=_cwe(setting("cwe"), label), owasp=_strings(setting("owasp"), "owasp", label),
        frameworks=("any",), message=" ".join(message.split()),
        docs=Docs(_text(metadata.get("why"), "why", label),
                  _text(metadata.get("example"), "example", label, block=True),
                  _text(metadata.get("use-instead"), "use-instead", label, block=True),
                  _references(metadata.get("references"), label)),
        engine="semgrep", source=shown,
        semgrep={k: v for k, v in data.items() if k not in _OURS}, team=True)


def _level(value: Any, allowed: dict[str, str], default: str, key: str, label: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value.lower() not in allowed:
        raise CatalogueError(f"{label}: unknown {key} {value!r}; choose from "
                             f"{', '.join(dict.fromkeys(allowed))}")
    return allowed[value.lower()]


def _strings(value: Any, key: str, label: str) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CatalogueError(f"{label}: '{key}' must be a string or a list of strings")
    return tuple(values)


def _cwe(value: Any, label: str) -> tuple[str, ...]:
    """``CWE-89``, ``CWE-89: Improper Neutralization...`` (semgrep-rules' form) or lists
    of them, as ``("CWE-89",)``."""
    out = []
    for item in _strings(value, "cwe", label):
        match = _CWE.match(item)
        if match is None:
            raise CatalogueError(f"{label}: {item!r} is not a CWE id (CWE-89)")
        out.append(f"CWE-{int(match.group(1))}")
    return tuple(dict.fromkeys(out))


def _references(value: Any, label: str) -> tuple[str, ...]:
    refs = _strings(value, "references", label)
    for ref in refs:
        # Reports link them: no javascript: or data: link, and nothing that ends a Markdown
        # link or autolink early (review comments, SARIF help) to start another.
        if not _REFERENCE.match(ref):
            raise CatalogueError(f"{label}: reference {ref!r} is not an http(s) URL (without "
                                 "spaces, quotes, brackets or parentheses)")
    return refs


def _text(value: Any, key: str, label: str, block: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CatalogueError(f"{label}: metadata '{key}' must be text")
    return value.rstrip() if block else " ".join(value.split())
