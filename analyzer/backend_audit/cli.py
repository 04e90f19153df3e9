"""Command line: ``backend-audit [OPTIONS] PATH...``, ``backend-audit rules``,
``backend-audit explain RULE``."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from backend_audit import __version__
from backend_audit.cache import default_cache_dir
from backend_audit.catalogue import (
    FRAMEWORKS,
    CatalogueError,
    load_catalogue,
    load_categories,
    rule_matches,
)
from backend_audit.config import Config, ConfigError, load_config
from backend_audit.discover import DiscoveryError, path_problem, scan_root
from backend_audit.findings import Report, Severity
from backend_audit.output import OutputError, check_destination, write_report, write_stdout
from backend_audit.pipeline import ScanOptions, scan
from backend_audit.progress import progress_bar
from backend_audit.reporters import FORMATS, render
from backend_audit.reporters.text import OUTPUT_FORMATS, path_base

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
#: As a shell reports a command killed by SIGINT (128 + 2), so scripts tell Ctrl-C from
#: findings (1).
EXIT_INTERRUPTED = 130


class _DefaultGroup(click.Group):
    """``backend-audit PATH...`` means ``backend-audit scan PATH...``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h",
                                                                     "--version"):
            args = ["scan", *args]
        elif not args:
            args = ["scan", "--help"]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        # Click turns Ctrl-C into "Aborted!" and exit 1, the findings exit code.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nbackend-audit: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


def _fail(message: str) -> None:
    click.echo(f"backend-audit: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="backend-audit")
def main() -> None:
    """Review Python backend code (Flask, FastAPI, Django/DRF, Starlette, aiohttp)."""


def _parse_formats(formats: tuple[str, ...], output: Path | None) -> list[tuple[str, Path | None]]:
    targets: list[tuple[str, Path | None]] = []
    for spec in formats or ("text",):
        fmt, _, dest = spec.partition(":")
        fmt = fmt.strip().lower()
        if fmt not in available_formats():
            raise click.BadParameter(
                f"unknown format {fmt!r}; choose from {', '.join(available_formats())}",
                param_hint="--format")
        targets.append((fmt, Path(dest) if dest else None))
    if output is not None:
        unnamed = [i for i, (_, d) in enumerate(targets) if d is None]
        if len(unnamed) != 1:
            raise click.BadParameter("--output needs exactly one --format without a ':PATH'",
                                     param_hint="--output")
        targets[unnamed[0]] = (targets[unnamed[0]][0], output)
    to_stdout = [fmt for fmt, dest in targets if dest is None]
    if len(to_stdout) > 1:
        raise click.BadParameter(
            f"{' and '.join(to_stdout)} would both go to stdout; at most one format may: "
            "give the others a file (e.g. -f sarif:report.sarif)", param_hint="--format")
    return targets


def available_formats() -> tuple[str, ...]:
    from importlib.util import find_spec

    extra = tuple(f for f in ("html", "github_review", "rdjson", "github_annotations", "gitlab")
                  if find_spec(f"backend_audit.reporters.{f}") is not None)
    return FORMATS + tuple(f.replace("_", "-") for f in extra)


def _exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(f.severity >= threshold for f in report.active_findings) \
        else EXIT_CLEAN


@main.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, metavar="FORMAT[:PATH]",
              help="Output format, optionally with a file: text, json, sarif (and html, "
                   "github-review, rdjson, github-annotations, gitlab where available). "
                   "Repeat for several reports from one scan.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the (single) report to this file instead of stdout.")
@click.option("--select", multiple=True, metavar="RULE",
              help="Only these rule ids (BA301), names, checklist categories (sql-injection) "
                   "or id families (BA3: BA301..BA399; BA10: BA1001..BA1099) "
                   "(repeatable, or comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULE",
              help="Skip these rule ids, names, categories or id families.")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical", "never"]),
              default=None, help="Exit 1 if a finding at or above this severity is reported "
                                 "[default: low].")
@click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), default=None,
              help="Report only findings at or above this confidence [default: medium; "
                   "low is the audit level: more findings, more of them wrong].")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes [default: one per CPU; at most twice that].")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="TOML file with [tool.backend-audit] settings.")
@click.option("--sarif-category", default=None,
              help="SARIF runAutomationDetails.id (distinguishes several uploads).")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Report only findings that are not in this baseline file "
                                 "(written by 'backend-audit baseline').")
@click.option("--diff", "diff_base", default=None, metavar="BASE",
              help="Report only findings on lines changed since git ref BASE "
                   "(e.g. origin/main, HEAD~1).")
@click.option("--show-suppressed", is_flag=True, help="List suppressed findings in text output.")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), default=None,
              help="Text output: full (each finding with its code, CWE and docs, wrapped to "
                   "the terminal) or concise (one 'path:line:col: ID [category] message' "
                   "line each) [default: full; config: output-format].")
@click.option("--statistics", is_flag=True,
              help="Text output: count the findings per rule, most frequent first (after "
                   "the findings, or instead of them with --output-format concise).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              envvar="BACKEND_AUDIT_CACHE_DIR", show_envvar=True,
              help="Where to keep results of unchanged files between scans; only files "
                   "this user wrote on this machine are used [default: a folder per "
                   "scanned tree in the user cache directory, e.g. "
                   "~/.cache/backend-audit].")
@click.option("--no-cache", is_flag=True, help="Scan every file afresh; read and write no cache.")
@click.option("--include-tests", is_flag=True, default=None,
              help="Also analyse test code: folders named tests or test, and test_*.py, "
                   "*_test.py, tests.py and conftest.py files below the given paths "
                   "(skipped by default; a path given explicitly is always analysed).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
def scan_command(paths: tuple[Path, ...], formats: tuple[str, ...], output: Path | None,
                 select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None,
                 jobs: int | None, config_file: Path | None, sarif_category: str | None,
                 show_suppressed: bool, quiet: bool, baseline_file: Path | None = None,
                 diff_base: str | None = None, cache_dir: Path | None = None,
                 no_cache: bool = False, include_tests: bool | None = None,
                 min_confidence: str | None = None, output_format: str | None = None,
                 statistics: bool = False) -> None:
    """Report the findings in files and folders (the default command).

    Scans PATH... and writes the reports asked for with --format."""
    targets = _parse_formats(formats, output)
    # The flag only ever turns test code on; without it the config file decides.
    config = _config_for(paths, config_file).with_overrides(
        include_tests=True if include_tests else None, min_confidence=min_confidence)
    text_format = _text_format(output_format, config)
    try:
        _check_destinations(targets)
        bar = progress_bar(quiet)
        options = ScanOptions(select=_split(select), ignore=_split(ignore), jobs=jobs or 0,
                              cache_dir=None if no_cache else
                              cache_dir or default_cache_dir(scan_root(list(paths))),
                              progress=bar)
        try:
            report = scan(list(paths), config, options)
        finally:
            if bar is not None:
                bar.close()
    except (ConfigError, CatalogueError, DiscoveryError) as exc:
        _fail(str(exc))
        return
    report = _narrow(report, baseline_file, diff_base)
    source_root = _source_root(report, [fmt for fmt, _ in targets])
    for fmt, dest in targets:
        kwargs: dict = {}
        if fmt == "text":
            kwargs = {"colour": dest is None and _colour(), "show_suppressed": show_suppressed,
                      "output_format": text_format,
                      "statistics": statistics, "width": _report_width() if dest is None else None,
                      "base": path_base(report.root, Path.cwd())}
        elif fmt == "sarif":
            kwargs = {"category": sarif_category, "source_root": source_root}
        elif fmt in _REPO_RELATIVE_FORMATS:
            kwargs = {"source_root": source_root}
        text = render(fmt, report, **kwargs)
        if fmt == "sarif":
            from backend_audit.reporters.sarif import upload_warnings

            for warning in upload_warnings(text):
                click.echo(f"backend-audit: warning: {warning}", err=True)
        try:
            if dest is None:
                write_stdout(text)
            else:
                write_report(dest, text)
        except OutputError as exc:
            _fail(str(exc))
    sys.exit(_exit_code(report, fail_on or config.fail_on))


def _check_destinations(targets: list[tuple[str, Path | None]]) -> None:
    """Refuse a report path that cannot be written before spending time on the scan."""
    for _, dest in targets:
        if dest is None:
            continue
        try:
            check_destination(dest)
        except OutputError as exc:
            _fail(str(exc))


#: Formats whose paths code review platforms resolve from the repository root.
_REPO_RELATIVE_FORMATS = ("github-review", "rdjson", "github-annotations", "gitlab")


def _narrow(report: Report, baseline_file: Path | None, diff_base: str | None) -> Report:
    """Apply --baseline and --diff to a finished scan."""
    from backend_audit import baseline, gitdiff

    try:
        if baseline_file is not None:
            report = baseline.apply(report, baseline.load(baseline_file))
        if diff_base:
            report = gitdiff.apply(report, gitdiff.changed_lines(Path(report.root), diff_base))
    except (baseline.BaselineError, gitdiff.GitDiffError) as exc:
        _fail(str(exc))
    return report


def _source_root(report: Report, formats: list[str]) -> str | None:
    """The git work tree around the scan root, for formats that need repository paths."""
    if not any(f == "sarif" or f in _REPO_RELATIVE_FORMATS for f in formats):
        return None
    from backend_audit.gitdiff import repository_root

    top = repository_root(Path(report.root))
    return str(top) if top is not None else None


def _count(n: int, noun: str) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and \
        os.environ.get("TERM") != "dumb"


def _report_width() -> int | None:
    """Columns to wrap text output to: the terminal's; None (no wrapping) in a pipe."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _text_format(option: str | None, config: Config) -> str:
    chosen = option or config.output_format
    if chosen not in OUTPUT_FORMATS:
        _fail(f"{config.source or 'configuration'}: 'output-format' must be "
              f"{' or '.join(OUTPUT_FORMATS)}, not {chosen!r}")
    return chosen


_TEAM_CONFIG_HELP = ("TOML file with [tool.backend-audit] settings, whose team-rules are "
                     "listed too [default: the nearest pyproject.toml that has them].")


def _all_rules(config_file: Path | None) -> tuple:
    """The catalogue and the team's rules of the configuration (exit 2 on a problem)."""
    if config_file is not None and not config_file.is_file():
        _fail(f"config file not found: {config_file}")
    try:
        return (*load_catalogue(), *load_config(config_file, Path(".")).team_rules)
    except (ConfigError, CatalogueError) as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


@main.command("rules")
@click.option("--category", default=None, help="Only rules of this checklist category.")
@click.option("--framework", default=None,
              help=f"Only rules for this framework ({', '.join(FRAMEWORKS)}).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help=_TEAM_CONFIG_HELP)
def rules_command(category: str | None, framework: str | None, as_json: bool,
                  config_file: Path | None = None) -> None:
    """List the rules with their category, CWE, severity and engine.

    Team rules (team-rules in the configuration) are listed too, as engine
    'semgrep (team)'."""
    rules = _all_rules(config_file)
    if category:
        if category not in load_categories():
            _fail(f"unknown category {category!r}; choose from {', '.join(load_categories())}")
        rules = tuple(r for r in rules if r.category == category)
    if framework:
        framework = framework.lower()
        if framework not in FRAMEWORKS:
            _fail(f"unknown framework {framework!r}; choose from {', '.join(FRAMEWORKS)}")
        rules = tuple(r for r in rules if framework in r.frameworks or "any" in r.frameworks)
    if as_json:
        import json

        click.echo(json.dumps([{"id": r.id, "name": r.name, "category": r.category,
                                "severity": str(r.severity), "confidence": str(r.confidence),
                                "engine": r.engine, "frameworks": list(r.frameworks),
                                "cwe": list(r.cwe), "team": r.team,
                                **({"source": r.source} if r.team else {})}
                               for r in rules], indent=2))
        return
    header = ("ID", "NAME", "CATEGORY", "CWE", "SEVERITY", "ENGINE", "FRAMEWORKS")
    rows = [(r.id, r.name, r.category, ",".join(r.cwe) or "-", str(r.severity),
             f"{r.engine} (team)" if r.team else r.engine, ",".join(r.frameworks))
            for r in rules]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@main.command("explain")
@click.argument("rule")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help=_TEAM_CONFIG_HELP)
def explain_command(rule: str, config_file: Path | None = None) -> None:
    """Show a rule's documentation: why, example, fix, references."""
    rules = _all_rules(config_file)
    matches = [r for r in rules if r.id.upper() == rule.upper() or r.name == rule.lower()]
    if not matches:
        close = [r.id for r in rules if rule_matches(r, rule)]
        hint = f" (did you mean one of: {', '.join(close[:8])}?)" if close else ""
        _fail(f"unknown rule {rule!r}{hint}; see 'backend-audit rules'")
    r = matches[0]
    if r.team:
        from backend_audit.reporters.escape import terminal_text

        # The team's text, read from the repository: no terminal control sequences.
        click.echo(terminal_text(
            f"{r.id} {r.name}  [{r.category}, {r.severity}, {r.confidence} confidence, "
            f"team rule from {r.source}]\nCWE: {', '.join(r.cwe) or '-'}\n\n"
            f"{_explain_text(r, _text_width())}", "\t\n"))
        return
    click.echo(f"{r.id} {r.name}  [{r.category}, {r.severity}, {r.engine}]")
    click.echo(f"CWE: {', '.join(r.cwe)}   Frameworks: {', '.join(r.frameworks)}\n")
    click.echo(_explain_text(r, _text_width()))


def _text_width() -> int:
    """The terminal's width (80 off a terminal), at most 100: longer lines read badly."""
    import shutil

    return max(40, min(100, shutil.get_terminal_size((80, 24)).columns - 1))


def _wrapped(text: str, width: int) -> str:
    """Prose paragraphs wrapped to ``width``; blank lines between paragraphs kept."""
    import textwrap

    return "\n\n".join(textwrap.fill(" ".join(p.split()), width, break_long_words=False,
                                     break_on_hyphens=False)
                       for p in text.split("\n\n") if p.strip())


def _explain_text(rule, width: int) -> str:
    """A rule's documentation for a terminal: prose wrapped, code and links as written."""
    d = rule.docs
    parts = [_wrapped(rule.message, width)]
    if d.why:
        parts.append(f"Why is this bad?\n{_wrapped(d.why, width)}")
    # A team rule has the sections its authors wrote.
    parts.extend(f"{title}\n{body}" for title, body in (("Example:", d.example),
                                                        ("Use instead:", d.fix)) if body)
    if d.references:
        parts.append("References:\n" + "\n".join(f"  - {r}" for r in d.references))
    return "\n\n".join(parts) + "\n"


def _read_findings(file: Path, paths: tuple[Path, ...]) -> Report:
    """The report in ``file`` (``-f json`` output of a scan of ``paths``); exit 2 with one
    line if it cannot be read."""
    from backend_audit.review_post import ReviewPostError, report_from_json

    for p in paths:
        problem = path_problem(p)
        if problem is not None:
            _fail(problem)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read findings file {file}: {exc}")
        raise AssertionError("unreachable") from exc
    try:
        report = report_from_json(text, str(scan_root(list(paths))), str(file))
    except ReviewPostError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc
    # The JSON report names rules by id only: the team's own are documented in their files.
    found = {f.rule_id for f in report.findings}
    team = tuple(r for r in _config_for(paths, None).team_rules if r.id in found)
    return replace(report, rules=(*report.rules, *team)) if team else report


def _config_for(paths: tuple[Path, ...], config_file: Path | None) -> Config:
    """Check the paths and the config file exist, then load the configuration (exit 2
    with one line on any problem)."""
    for p in paths:
        problem = path_problem(p)
        if problem is not None:
            _fail(problem)
    if config_file is not None and not config_file.is_file():
        _fail(f"config file not found: {config_file}")
    try:
        return load_config(config_file, scan_root(list(paths)))
    except ConfigError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


def _scan_for(paths: tuple[Path, ...], config_file: Path | None, select: tuple[str, ...],
              ignore: tuple[str, ...], jobs: int | None, include_tests: bool | None = None,
              min_confidence: str | None = None) -> tuple[Report, str]:
    """Scan for the ``baseline`` and ``review`` commands; returns the report and fail-on.
    ``include_tests`` and ``min_confidence`` override the configuration as scan's do."""
    config = _config_for(paths, config_file).with_overrides(
        include_tests=True if include_tests else None, min_confidence=min_confidence)
    try:
        options = ScanOptions(select=_split(select), ignore=_split(ignore), jobs=jobs or 0)
        return scan(list(paths), config, options), config.fail_on
    except (ConfigError, CatalogueError, DiscoveryError) as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


_SELECT_HELP = "Only these rule ids, names, categories or id families (BA3: BA301..BA399)."


@main.command("baseline")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, metavar="RULE", help=_SELECT_HELP)
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes [default: one per CPU; at most twice that].")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="TOML file with [tool.backend-audit] settings.")
@click.option("--include-tests", is_flag=True, default=None,
              help="Also record findings in test code (as scan --include-tests; use the "
                   "same choice for the baseline and the scans that read it).")
@click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), default=None,
              help="Record only findings at or above this confidence, as scan's option "
                   "[default: medium, or the configuration's].")
def baseline_command(file: Path, paths: tuple[Path, ...], select: tuple[str, ...],
                     ignore: tuple[str, ...], jobs: int | None,
                     config_file: Path | None, include_tests: bool | None = None,
                     min_confidence: str | None = None) -> None:
    """Record today's findings in a baseline file.

    Writes the current findings of PATH... (default: .) to FILE.

    Later scans with --baseline FILE report only findings that are new since."""
    from backend_audit import baseline

    report, _ = _scan_for(paths or (Path("."),), config_file, select, ignore, jobs,
                          include_tests, min_confidence)
    try:
        write_report(file, baseline.dumps(report))
    except OutputError as exc:
        _fail(str(exc))
    recorded = sum(1 for f in report.findings if f.suppression is None)
    click.echo(f"backend-audit: baseline of {_count(recorded, 'finding')} written to {file}",
               err=True)


@main.command("review")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--diff", "diff_base", default=None, metavar="BASE",
              help="Comment only on lines changed since git ref BASE "
                   "[default: the pull request's base commit].")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Leave out findings recorded in this baseline.")
@click.option("--select", multiple=True, metavar="RULE", help=_SELECT_HELP)
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes [default: one per CPU; at most twice that].")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="TOML file with [tool.backend-audit] settings.")
@click.option("--repo", default=None, metavar="OWNER/NAME",
              help="Repository [default: $GITHUB_REPOSITORY].")
@click.option("--pr", "pr_number", type=click.IntRange(min=1), default=None,
              help="Pull request number [default: from the Actions event].")
@click.option("--api-url", default=None,
              help="GitHub API base URL [default: $GITHUB_API_URL or https://api.github.com].")
@click.option("--max-comments", type=click.IntRange(min=0), default=50, show_default=True,
              help="Inline comments at most; the rest are listed in the review body.")
@click.option("--dry-run", is_flag=True, help="Print the review instead of posting it.")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical", "never"]),
              default="never", show_default=True,
              help="Exit 1 if a commented finding is at or above this severity.")
@click.option("--findings", "findings_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, metavar="FILE",
              help="Post the findings of an earlier scan (its -f json:FILE report) instead "
                   "of scanning again; PATH... must be the paths that scan was given.")
def review_command(paths: tuple[Path, ...], diff_base: str | None, baseline_file: Path | None,
                   select: tuple[str, ...], ignore: tuple[str, ...], jobs: int | None,
                   config_file: Path | None, repo: str | None, pr_number: int | None,
                   api_url: str | None, max_comments: int, dry_run: bool,
                   fail_on: str, findings_file: Path | None = None) -> None:
    """Post findings on a pull request's changed lines as a review.

    Scans PATH... (default: .), or reads the findings of an earlier scan with
    --findings, keeps those on lines changed since the base commit and posts them as one
    review. The token comes from $GITHUB_TOKEN."""
    import json

    from backend_audit.reporters.github_review import review
    from backend_audit.review_post import (
        ReviewPostError,
        post_review,
        pull_request_from_env,
    )

    pr = None
    try:
        pr = pull_request_from_env(os.environ, repository=repo, number=pr_number,
                                   api_url=api_url)
    except ReviewPostError as exc:
        if not dry_run:
            _fail(str(exc))
    base = diff_base or (pr.base_sha if pr else None)
    if not base:
        _fail("review needs --diff BASE (or a pull_request event that names the base commit)")
    if findings_file is not None:
        if select or ignore or jobs is not None or config_file is not None:
            _fail("--findings posts the findings the earlier scan chose; --select, --ignore, "
                  "--jobs and --config belong on that scan")
        report = _read_findings(findings_file, paths or (Path("."),))
    else:
        report, _ = _scan_for(paths or (Path("."),), config_file, select, ignore, jobs)
    report = _narrow(report, baseline_file, base)
    source_root = _source_root(report, ["github-review"])
    body = review(report, pr.head_sha if pr else None, max_comments, source_root)
    if dry_run:
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        assert pr is not None
        try:
            result = post_review(pr, body)
        except ReviewPostError as exc:
            _fail(str(exc))
            return
        if result.review_url is None and not result.posted:
            click.echo(f"backend-audit: nothing new to post ({_count(result.skipped, 'finding')} "
                       "already commented on)", err=True)
        else:
            how = "listed in the review body" if result.folded else "posted inline"
            sent = len(body["comments"]) - result.skipped
            click.echo(f"backend-audit: review posted ({_count(sent, 'comment')} "
                       f"{how}, {result.skipped} already there): {result.review_url}",
                       err=True)
    sys.exit(_exit_code(report, fail_on))
