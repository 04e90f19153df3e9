"""The data the pipeline passes around: findings, notifications and the report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

#: A candidate's ``data`` key: the first line of the statement spanning several lines
#: that holds the finding, where a suppression comment may also go (set by the engine).
STATEMENT_LINE = "statement_line"


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, text: str) -> Confidence:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Region:
    """1-based, inclusive lines; 1-based columns (end column exclusive)."""

    start_line: int
    start_column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.start_line:
            object.__setattr__(self, "end_line", self.start_line)


@dataclass(frozen=True)
class Suppression:
    reason: str
    line: int


@dataclass(frozen=True)
class Fix:
    """A known fix: ``replacement`` replaces whole lines ``start_line``..``end_line``
    (1-based, inclusive). Review bots turn it into a suggested change."""

    start_line: int
    end_line: int
    replacement: str
    description: str = ""


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    category: str
    severity: Severity
    confidence: Confidence
    path: str  # POSIX, relative to the scan root
    region: Region
    message: str
    snippet: str = ""
    fingerprint: str = ""
    suppression: Suppression | None = None
    baseline_state: str | None = None  # "new" | "unchanged" when a baseline is used
    fix: Fix | None = None
    # The folder (relative POSIX, "." for the scan root) of the application the file
    # belongs to; None for code shared by several applications, or no application found.
    application: str | None = None

    def sort_key(self) -> tuple:
        return (self.path, self.region.start_line, self.region.start_column, self.rule_id,
                self.message)


class NotificationLevel(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Notification:
    """Something the tool could not do (a file that does not parse, semgrep failing...)."""

    message: str
    level: NotificationLevel = NotificationLevel.WARNING
    path: str | None = None
    line: int | None = None
    kind: str = "file-error"

    def sort_key(self) -> tuple:
        return (self.path or "", self.line or 0, self.kind, self.message)


@dataclass(frozen=True)
class ScanStats:
    files_scanned: int
    files_skipped: int
    rules_enabled: int
    duration_seconds: float
    lines_scanned: int = 0


@dataclass(frozen=True)
class Report:
    root: str
    findings: tuple[Finding, ...]
    notifications: tuple[Notification, ...]
    rules: tuple  # tuple[catalogue.Rule, ...] enabled for this scan
    stats: ScanStats
    tool_version: str
    started_at: str = ""  # ISO 8601 UTC
    extra: dict = field(default_factory=dict)

    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(
            f for f in self.findings if f.suppression is None and f.baseline_state != "unchanged"
        )
