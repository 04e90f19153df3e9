"""Configuration: ``[tool.backend-audit]`` in the nearest pyproject.toml, or ``--config``."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec

if TYPE_CHECKING:
    from backend_audit.catalogue import Rule

CONFIDENCE_LEVELS = ("low", "medium", "high")


class ConfigError(Exception):
    """The configuration is malformed."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    fail_on: str = "low"
    #: Findings below this confidence are not reported (``low`` is the audit level).
    min_confidence: str = "medium"
    jobs: int = 0
    max_file_bytes: int = 2_000_000
    #: CPU seconds (not wall time: the same on a loaded machine) one file's analysis
    #: may take before it is stopped and reported; 0 means no limit.
    file_timeout: float = 30.0
    include_tests: bool = False  # analyse test folders and files too
    output_format: str = "full"  # of text output: full or concise (checked by the CLI)
    # What users teach the checks about their own code (dotted or bare names).
    validators: tuple[str, ...] = ()
    pagination_helpers: tuple[str, ...] = ()
    auth_decorators: tuple[str, ...] = ()
    sql_sinks: tuple[str, ...] = ()
    password_hashers: tuple[str, ...] = ()
    error_handlers: tuple[str, ...] = ()
    #: Handlers routed by OpenAPI specification files of the scanned tree (Connexion):
    #: (``module.function``, method, path); found by the scan, not configured.
    declared_routes: tuple[tuple[str, str, str], ...] = ()
    #: The team's own semgrep rules, read from the files and folders ``team-rules`` names
    #: (relative to the configuration file). Their whole text is in each Rule, so the
    #: cache key, which digests this configuration, changes when one is edited.
    team_rules: tuple[Rule, ...] = ()
    source: str | None = None  # where the config was read from
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def with_overrides(self, **kwargs: Any) -> Config:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in kwargs.items() if v is not None})
        return Config(**values)


_LIST_KEYS = {"select", "ignore", "exclude", "extend_exclude", "validators", "pagination_helpers",
              "auth_decorators", "sql_sinks", "password_hashers", "error_handlers"}
_SCALARS = {"fail_on": str, "min_confidence": str, "jobs": int, "max_file_bytes": int,
            "file_timeout": (int, float), "output_format": str}
_BOOLS = {"include_tests"}
#: Inclusive bounds of numeric settings, with how the error names them.
_RANGES: dict[str, tuple[float, float, str]] = {
    "jobs": (0, math.inf, "0 (one per CPU) or more"),
    "max_file_bytes": (1, 1_000_000_000, "between 1 and 1,000,000,000"),
    "file_timeout": (0, 86_400, "between 0 (no limit) and 86400 seconds"),
}
_PATTERN_KEYS = {"exclude", "extend_exclude"}


def _bad_pattern(patterns: list[str]) -> str | None:
    """The first pattern that is no valid gitignore-style pattern, with why."""
    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except (ValueError, TypeError, re.error) as exc:
            return f"{pattern!r} ({exc})"
    return None


def _from_table(table: dict[str, Any], source: str) -> Config:
    values: dict[str, Any] = {"source": source}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key == "team_rules":
            values[key] = _team_rules(value, raw_key, source)
        elif key in _LIST_KEYS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: '{raw_key}' must be a list of strings")
            bad = _bad_pattern(value) if key in _PATTERN_KEYS else None
            if bad is not None:
                raise ConfigError(f"{source}: '{raw_key}' holds an invalid pattern: {bad}")
            values[key] = tuple(value)
        elif key in _SCALARS:
            if not isinstance(value, _SCALARS[key]) or isinstance(value, bool):
                raise ConfigError(f"{source}: '{raw_key}' has the wrong type")
            low, high, allowed = _RANGES.get(key, (-math.inf, math.inf, ""))
            if isinstance(value, int | float) and not low <= value <= high:
                raise ConfigError(f"{source}: '{raw_key}' must be {allowed}, not {value}")
            values[key] = value
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: '{raw_key}' must be true or false")
            values[key] = value
        else:
            raise ConfigError(f"{source}: unknown key '{raw_key}' in [tool.backend-audit]")
    if values.get("fail_on", "low") not in ("low", "medium", "high", "critical", "never"):
        raise ConfigError(f"{source}: 'fail-on' must be low, medium, high, critical or never")
    if values.get("min_confidence", "medium") not in CONFIDENCE_LEVELS:
        raise ConfigError(f"{source}: 'min-confidence' must be low, medium or high")
    return Config(**values)


def _team_rules(value: Any, raw_key: str, source: str) -> tuple[Rule, ...]:
    from backend_audit.catalogue import CatalogueError
    from backend_audit.team_rules import load_team_rules

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: '{raw_key}' must be a list of strings")
    try:
        return load_team_rules(value, Path(source).parent, f"{source}: '{raw_key}'")
    except CatalogueError as exc:
        raise ConfigError(str(exc)) from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``[tool.backend-audit]`` of a parsed TOML file (None if absent)."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool]), not {_toml_type(tool)}")
    table = tool.get("backend-audit")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: 'tool.backend-audit' must be a table "
                          f"([tool.backend-audit]), not {_toml_type(table)}")
    return table


def _toml_type(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array"}.get(type(value), "a value of another type")


def load_config(explicit: Path | None, scan_root: Path) -> Config:
    """Read ``--config`` (a TOML file, with or without [tool.backend-audit]) or the nearest
    pyproject.toml above ``scan_root`` that has a ``[tool.backend-audit]`` table."""
    if explicit is not None:
        data = _read_toml(explicit)
        table = _tool_table(data, explicit) if "tool" in data else data
        return _from_table(table or {}, str(explicit))
    start = scan_root if scan_root.is_dir() else scan_root.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            table = _tool_table(_read_toml(candidate), candidate)
            if table is not None:
                return _from_table(table, str(candidate))
            if (directory / ".git").exists():
                break
    return Config()
