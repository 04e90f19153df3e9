"""The rule catalogue: one YAML file per rule under ``rules/<category>/<name>.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from backend_audit.findings import Confidence, Severity
from backend_audit.resources import rules_dir

FRAMEWORKS = ("flask", "fastapi", "django", "drf", "starlette", "aiohttp", "sqlalchemy", "quart",
              "bottle", "falcon", "pyramid", "sanic", "ninja", "litestar", "tornado",
              "graphene", "strawberry", "ariadne", "any")

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "category", "severity", "confidence", "cwe", "owasp",
                 "frameworks", "message", "docs", "engine"],
    "properties": {
        "id": {"type": "string", "pattern": r"^BA[0-9]{3,4}$"},
        "name": {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"},
        "category": {"type": "string"},
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "confidence": {"enum": ["low", "medium", "high"]},
        "cwe": {"type": "array", "minItems": 1,
                "items": {"type": "string", "pattern": r"^CWE-[0-9]+$"}},
        "owasp": {"type": "array", "items": {"type": "string"}},
        "frameworks": {"type": "array", "minItems": 1, "items": {"enum": list(FRAMEWORKS)}},
        "message": {"type": "string", "minLength": 10},
        "engine": {"enum": ["libcst", "semgrep"]},
        "words": {"type": "array", "items": {"type": "string", "minLength": 2}},
        # A regular expression (multi-line) a file must also match to be parsed for the rule.
        "pattern": {"type": "string", "minLength": 2},
        # Rules that say more about the same defect: a finding of this rule is left out
        # where one of theirs is on the same line.
        "defers_to": {"type": "array", "items": {"type": "string", "pattern": r"^BA[0-9]{3,4}$"}},
        "docs": {
            "type": "object",
            "additionalProperties": False,
            "required": ["why", "example", "fix", "references"],
            "properties": {
                "why": {"type": "string", "minLength": 20},
                "example": {"type": "string", "minLength": 10},
                "fix": {"type": "string", "minLength": 10},
                "references": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "pattern": "^https://"}},
            },
        },
        "semgrep": {"type": "object"},
    },
    "allOf": [
        {"if": {"properties": {"engine": {"const": "semgrep"}}},
         "then": {"required": ["semgrep"]}},
    ],
}


class CatalogueError(Exception):
    """The catalogue (or a user's rule) is malformed."""


# libyaml, where PyYAML was built with it, reads the catalogue ten times faster; every
# scan starts by reading it.
_FAST_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FAST_YAML_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises with the pure-Python loader's wording


@cache
def _rule_validator() -> Any:
    # jsonschema.validate() checks the schema itself before every instance, which was
    # most of the catalogue's load time; tests/test_catalogue_schema.py checks it once.
    return validator_for(RULE_SCHEMA)(RULE_SCHEMA)


@dataclass(frozen=True)
class Docs:
    why: str
    example: str
    fix: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    category: str
    severity: Severity
    confidence: Confidence
    cwe: tuple[str, ...]
    owasp: tuple[str, ...]
    frameworks: tuple[str, ...]
    message: str
    docs: Docs
    engine: str
    #: The rule's file: relative to the rules dir; a team rule's relative to the working
    #: folder (in full when outside it), as messages name it.
    source: str
    words: tuple[str, ...] = ()
    pattern: str | None = None
    defers_to: tuple[str, ...] = ()
    semgrep: dict = field(default_factory=dict, compare=False, hash=False)
    #: A team's own semgrep rule (``team-rules`` in the configuration), not the catalogue's.
    team: bool = False

    @property
    def cwe_numbers(self) -> list[int]:
        return [int(c.split("-")[1]) for c in self.cwe]


@dataclass(frozen=True)
class Category:
    id: str
    tier: str
    title: str
    cwe: str


@cache
def load_categories() -> dict[str, Category]:
    data = yaml.safe_load((rules_dir() / "categories.yaml").read_text(encoding="utf-8"))
    return {
        c["id"]: Category(c["id"], c["tier"], c["title"], str(c.get("cwe", "")))
        for c in data["categories"]
    }


def _load_rule(path: Path, root: Path, categories: dict[str, Category]) -> Rule:
    try:
        data = _parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from exc
    error = best_match(_rule_validator().iter_errors(data))  # as jsonschema.validate()
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise CatalogueError(f"{path}: {where}: {error.message}") from error
    if data["category"] not in categories:
        raise CatalogueError(f"{path}: unknown category {data['category']!r}")
    if path.parent.name != data["category"]:
        raise CatalogueError(f"{path}: lives under {path.parent.name}/ but its category is "
                             f"{data['category']!r}")
    if path.stem != data["name"]:
        raise CatalogueError(f"{path}: file name must equal the rule name {data['name']!r}")
    pattern = data.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise CatalogueError(f"{path}: pattern: not a regular expression: {exc}") from exc
    docs = data["docs"]
    return Rule(
        id=data["id"],
        name=data["name"],
        category=data["category"],
        severity=Severity.parse(data["severity"]),
        confidence=Confidence.parse(data["confidence"]),
        cwe=tuple(data["cwe"]),
        owasp=tuple(data["owasp"]),
        frameworks=tuple(data["frameworks"]),
        message=data["message"].strip(),
        docs=Docs(docs["why"].strip(), docs["example"].rstrip(), docs["fix"].rstrip(),
                  tuple(docs["references"])),
        engine=data["engine"],
        source=path.relative_to(root).as_posix(),
        words=tuple(data.get("words", ())),
        pattern=pattern,
        defers_to=tuple(data.get("defers_to", ())),
        semgrep=data.get("semgrep", {}),
    )


@cache
def load_catalogue(root: Path | None = None) -> tuple[Rule, ...]:
    """Load and validate every rule, sorted by id. Raises CatalogueError."""
    root = root or rules_dir()
    categories = load_categories()
    rules: list[Rule] = []
    seen_ids: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    for path in sorted(root.glob("*/*.yaml")):
        rule = _load_rule(path, root, categories)
        for key, seen in ((rule.id, seen_ids), (rule.name, seen_names)):
            if key in seen:
                raise CatalogueError(f"{path}: {key!r} already used by {seen[key]}")
            seen[key] = rule.source
        rules.append(rule)
    return tuple(sorted(rules, key=lambda r: (len(r.id), r.id)))


#: Rule ids are ``BA`` + the category's number + a two-digit index: BA301 is the first
#: rule of category 3, BA1001 the first of category 10.
_ID = re.compile(r"^BA(?P<family>[1-9][0-9]*)(?P<index>[0-9]{2})$")
_FAMILY = re.compile(r"^BA(?P<family>[1-9][0-9]?)$")


def rule_family(rule_id: str) -> str | None:
    """The category number of an id (``"10"`` for BA1001), None for a malformed id."""
    match = _ID.match(rule_id)
    return match.group("family") if match else None


def rule_matches(rule: Rule, selector: str) -> bool:
    """A selector is a rule id, rule name, category id, or an id family such as ``BA3``.

    A family is ``BA`` and a category number: ``BA1`` selects BA101..BA199 and not
    BA1001 (category 10), which ``BA10`` selects. Other partial ids select nothing, so
    ``BA30`` is an error rather than a silent prefix of BA301..BA309."""
    s = selector.strip()
    family = _FAMILY.match(s.upper())
    return (
        s.upper() == rule.id.upper()
        or s.lower() == rule.name
        or s.lower() == rule.category
        or (family is not None and rule_family(rule.id) == family.group("family"))
    )


def select_rules(rules: tuple[Rule, ...], select: list[str], ignore: list[str],
                 known: tuple[Rule, ...] | None = None) -> tuple[Rule, ...]:
    """Narrow ``rules``; selectors are checked against ``known`` (default: the whole
    catalogue; the team's rules too where there are any) so that a selector naming a rule
    the configuration already ignored is not an error."""
    everything = known if known is not None else load_catalogue()
    known = set(load_categories())
    for s in [*select, *ignore]:
        if not any(rule_matches(r, s) for r in everything) and s.lower() not in known:
            raise CatalogueError(f"unknown rule, rule name or category: {s!r} (a partial id "
                                 "is a category number: BA3 selects BA301..BA399)")
    chosen = [r for r in rules if not select or any(rule_matches(r, s) for s in select)]
    return tuple(r for r in chosen if not any(rule_matches(r, s) for s in ignore))
