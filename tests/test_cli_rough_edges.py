"""The command-line rough edges of issue 14, point 6: each as a user meets it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from backend_audit import cli
from backend_audit.catalogue import CatalogueError, load_catalogue, select_rules
from backend_audit.cli import main
from backend_audit.review_post import ReviewPostError, report_from_json
from backend_audit.suppress import directive_notifications
from click.testing import CliRunner

from tests.test_cli import SQL_FLAW
from tests.test_diff import make_repo
from tests.test_reporters import sample_report

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def _app(folder: Path, body: str = SQL_FLAW, name: str = "app.py") -> Path:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    return folder


# --select BA1 -------------------------------------------------------------------------


def _ids(select: list[str], ignore: list[str] | None = None) -> set[str]:
    return {r.id for r in select_rules(load_catalogue(), select, ignore or [])}


def test_an_id_family_is_one_category_number() -> None:
    every = {r.id for r in load_catalogue()}
    assert _ids(["BA1"]) == {i for i in every if len(i) == 5 and i.startswith("BA1")}
    assert _ids(["BA10"]) == {i for i in every if i.startswith("BA10") and len(i) == 6}
    assert _ids(["BA12"]) == {"BA1201", "BA1202", "BA1203"}
    assert not _ids(["BA1"]) & _ids(["BA10"])
    # Each family is exactly one checklist category.
    for family in ("BA1", "BA3", "BA10", "BA11", "BA12"):
        assert len({r.category for r in load_catalogue() if r.id in _ids([family])}) == 1


def test_a_partial_id_that_is_no_family_is_refused() -> None:
    for selector in ("BA30", "BA100", "BA0", "BA"):
        with pytest.raises(CatalogueError, match="category number"):
            select_rules(load_catalogue(), [selector], [])


def test_select_family_on_the_command_line(tmp_path: Path) -> None:
    # BA301 lives in family 3; BA3 keeps it and BA1 (validation only) drops it.
    assert run(str(_app(tmp_path)), "--select", "BA3", "-j", "1").exit_code == 1
    family_1 = run(str(tmp_path), "--select", "BA1", "-f", "json", "-j", "1")
    assert {f["rule_id"] for f in json.loads(family_1.output)["findings"]} <= _ids(["BA1"])
    assert "BA10: BA1001..BA1099" in run("scan", "--help").output


# -f json -f sarif ---------------------------------------------------------------------


def test_two_formats_on_stdout_are_refused(tmp_path: Path) -> None:
    result = run(str(_app(tmp_path)), "-f", "json", "-f", "sarif", "-j", "1")
    assert result.exit_code == 2
    assert "json and sarif would both go to stdout" in result.output
    assert '"schema_version"' not in result.output
    # One on stdout and the other in a file is fine.
    ok = run(str(tmp_path), "-f", "json", "-f", f"sarif:{tmp_path / 'r.sarif'}", "-j", "1")
    assert ok.exit_code == 1 and json.loads(ok.output)["schema_version"] == 1


# review without a token ---------------------------------------------------------------


def test_review_without_a_token_names_the_variable_it_reads(tmp_path: Path) -> None:
    env = {k: None for k in ("GITHUB_TOKEN", "GITHUB_EVENT_PATH", "GITHUB_REF")}
    result = run("review", str(_app(tmp_path)), "--repo", "acme/shop", "--pr", "3",
                 env={**env, "GITHUB_REPOSITORY": "acme/shop"})
    assert result.exit_code == 2
    assert "GITHUB_TOKEN environment variable" in result.output
    assert "--token" not in result.output
    assert "--token" not in run("review", "--help").output


# --help -------------------------------------------------------------------------------


def test_each_command_has_its_own_first_help_line() -> None:
    listing = run("--help").output
    lines = {line.split()[0]: line for line in listing.splitlines()
             if line.startswith("  ") and line.split()}
    assert set(lines) >= {"scan", "review", "baseline", "rules", "explain"}
    summaries = [" ".join(lines[c].split()[1:]) for c in ("scan", "review", "baseline")]
    assert len(set(summaries)) == 3, summaries
    assert "pull request" in lines["review"] and not lines["review"].split()[1] == "Scan"
    # Each fits on its line: click cuts a long first sentence (or one with "PATH...").
    assert not [c for c, line in lines.items() if line.endswith("...")], lines


# explain ------------------------------------------------------------------------------


def test_explain_wraps_prose_to_the_terminal_and_keeps_code(tmp_path: Path) -> None:
    rule = next(r for r in load_catalogue() if r.id == "BA301")
    assert len(rule.docs.why) > 1000  # the paragraph that used to come out as one line
    out = run("explain", "BA301", env={"COLUMNS": "61"}).output
    prose = out.split("Example:")[0]
    assert max(len(line) for line in prose.splitlines()) <= 60
    assert " ".join(prose.split()).count(" ".join(rule.docs.why.split())) == 1
    # Code is shown exactly as written, however long its lines.
    assert rule.docs.example in out and rule.docs.fix in out
    wide = run("explain", "BA301", env={"COLUMNS": "500"}).output
    assert max(len(line) for line in wide.split("Example:")[0].splitlines()) <= 100


# rules --framework / --category -------------------------------------------------------


def test_rules_refuses_an_unknown_framework_or_category_listing_the_valid_ones() -> None:
    framework = run("rules", "--framework", "nonsense")
    assert framework.exit_code == 2
    assert "unknown framework 'nonsense'" in framework.output
    assert "flask" in framework.output and "django" in framework.output
    category = run("rules", "--category", "nonsense")
    assert category.exit_code == 2 and "sql-injection" in category.output
    flask = run("rules", "--framework", "Flask", "--json")
    assert flask.exit_code == 0
    assert all({"flask", "any"} & set(r["frameworks"]) for r in json.loads(flask.output))


# ignore[BA9999] -----------------------------------------------------------------------


def test_an_ignore_naming_no_rule_is_a_notification() -> None:
    text = textwrap.dedent('''\
        import os
        x = os.environ  # backend-audit: ignore[BA9999, BA301] -- typo and a real one
        # backend-audit: ignore[sql-string-buitl]
        y = 1  # backend-audit: ignore[print-in-server-code, ba301]
        # backend-audit: ignore
        ''')
    found = [(n.path, n.line, n.message) for n in directive_notifications("app.py", text)]
    assert [(p, line) for p, line, _ in found] == [("app.py", 2), ("app.py", 3), ("app.py", 5)]
    assert "unknown rule BA9999" in found[0][2]
    assert "unknown rule sql-string-buitl" in found[1][2]
    assert "without rule ids is refused" in found[2][2]
    # The team's own rules count as known when the caller names them.
    assert directive_notifications("a.py", "x = 1  # backend-audit: ignore[ACME1]",
                                   known={"ACME1"}) == []


def test_a_scan_reports_an_ignore_naming_no_rule(tmp_path: Path) -> None:
    _app(tmp_path, SQL_FLAW.replace('{name}\'")', '{name}\'")  # backend-audit: ignore[BA9999]'))
    result = run(str(tmp_path), "-f", "json", "-j", "1", "--no-cache")
    notes = json.loads(result.output)["notifications"]
    assert any("unknown rule BA9999" in n["message"] and n["line"] == 13 for n in notes)


# counted nouns ------------------------------------------------------------------------


def test_one_of_a_thing_is_singular(tmp_path: Path) -> None:
    _app(tmp_path, SQL_FLAW + "\nx = 1  # backend-audit: ignore\n")
    out = run(str(tmp_path), "--select", "BA301", "-j", "1", "--no-cache").output
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("1 finding ") and " in 1 file" in summary
    assert "1 notification" in summary
    for plural in ("1 findings", "1 files", "1 notifications"):
        assert plural not in out
    base = run("baseline", str(tmp_path / "b.json"), str(tmp_path), "--select", "BA301",
               "-j", "1")
    assert "baseline of 1 finding written" in base.output


# baseline --include-tests -------------------------------------------------------------


def test_baseline_include_tests_matches_scan(tmp_path: Path) -> None:
    app = _app(tmp_path / "svc")
    _app(app, SQL_FLAW, "tests/test_users.py")
    without, with_tests = tmp_path / "plain.json", tmp_path / "tests.json"
    only = ["--select", "BA301", "-j", "1"]
    assert run("baseline", str(without), str(app), *only).exit_code == 0
    assert run("baseline", str(with_tests), str(app), "--include-tests", *only).exit_code == 0
    recorded = [len(json.loads(p.read_text())["findings"]) for p in (without, with_tests)]
    assert recorded == [1, 2]
    scan_all = [str(app), "--include-tests", *only, "-f", "json"]
    # A baseline without test code makes the test finding look new; with it, nothing is.
    assert run(*scan_all, "--baseline", str(without)).exit_code == 1
    assert run(*scan_all, "--baseline", str(with_tests)).exit_code == 0


# baseline file mode -------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_baseline_file_mode_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    _app(tmp_path / "svc")
    out = tmp_path / "baseline.json"
    old = os.umask(umask)
    try:
        result = run("baseline", str(out), str(tmp_path / "svc"), "-j", "1")
    finally:
        os.umask(old)
    assert result.exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode


# Ctrl-C -------------------------------------------------------------------------------


def test_interrupt_exits_130_with_one_line(tmp_path: Path, monkeypatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "scan", interrupted)
    result = CliRunner().invoke(main, [str(_app(tmp_path)), "-j", "1"])
    assert result.exit_code == 130
    assert result.output.strip() == "backend-audit: interrupted"
    assert "Aborted" not in result.output


def test_sigint_during_a_scan_exits_130_without_a_traceback(tmp_path: Path) -> None:
    # A real SIGINT in a real process, delivered while the scan runs (no timing involved).
    script = textwrap.dedent('''\
        import os, signal, sys, time
        from backend_audit import cli

        def scan(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(60)  # interrupted at once by the signal

        cli.scan = scan
        sys.argv = ["backend-audit", sys.argv[1], "-j", "1"]
        cli.main()
        ''')
    # As from a terminal: a test run started in the background (SIGINT ignored, as shells
    # do for background jobs) must not pass that on to the scan it starts.
    result = subprocess.run([sys.executable, "-c", script, str(_app(tmp_path))],
                            capture_output=True, text=True, timeout=120,
                            preexec_fn=_default_sigint)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == "backend-audit: interrupted"
    assert result.stdout == ""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_while_python_imports_the_command_line_exits_130_quietly() -> None:
    # The console script imports backend_audit.launcher, which imports the rest.
    script = textwrap.dedent('''\
        import sys

        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "backend_audit.cli":
                    raise KeyboardInterrupt

        sys.meta_path.insert(0, Interrupt())
        from backend_audit.launcher import main
        main()
        ''')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 130
    assert result.stderr.strip() == "backend-audit: interrupted"


def test_the_console_script_is_the_launcher() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"backend-audit": "backend_audit.launcher:main"}


# dot-folders --------------------------------------------------------------------------


def test_hidden_folders_are_skipped_unless_named(tmp_path: Path) -> None:
    _app(tmp_path, "x = 1\n")
    _app(tmp_path, SQL_FLAW, ".github/scripts/report.py")
    _app(tmp_path, SQL_FLAW, "app/.cache/old.py")
    _app(tmp_path, SQL_FLAW, "app/.hidden_module.py")  # a hidden file is still code
    only = ["--select", "BA301", "-j", "1", "--no-cache", "-f", "json"]
    paths = {f["path"] for f in json.loads(run(str(tmp_path), *only).output)["findings"]}
    assert paths == {"app/.hidden_module.py"}
    named = json.loads(run(str(tmp_path / ".github"), *only).output)["findings"]
    assert [f["path"] for f in named] == ["scripts/report.py"]
    below = json.loads(run(str(tmp_path / ".github" / "scripts"), *only).output)["findings"]
    assert len(below) == 1


# review --findings --------------------------------------------------------------------


def test_review_posts_the_findings_of_an_earlier_scan(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    repo = make_repo(tmp_path / "repo")
    findings = tmp_path / "findings.json"
    scanned = run("scan", str(repo), "--select", "BA301", "-j", "1", "-f",
                  f"json:{findings}", "-f", f"sarif:{tmp_path / 'r.sarif'}")
    assert scanned.exit_code == 1
    common = ["--diff", "HEAD~1", "--dry-run"]
    from_scan = run("review", str(repo), "--select", "BA301", "-j", "1", *common)
    from_file = run("review", str(repo), "--findings", str(findings), *common)
    assert from_file.exit_code == from_scan.exit_code == 0
    body = json.loads(from_file.output)
    assert body == json.loads(from_scan.output)
    assert [c["path"] for c in body["comments"]] == ["service/reports.py"]


def test_a_json_report_reads_back_into_the_same_findings() -> None:
    from backend_audit.reporters import render

    report = sample_report(baseline=True)
    back = report_from_json(render("json", report), report.root)
    assert any(f.fix is not None for f in report.findings)
    # Everything a review needs survives, the fix (a suggestion) included; the JSON
    # report does not keep a suppression comment's line.
    assert [replace(f, suppression=f.suppression and replace(f.suppression, line=0))
            for f in report.findings] == list(back.findings)
    assert back.notifications == report.notifications
    assert {r.id for r in back.rules} == {r.id for r in report.rules}


def test_review_refuses_a_findings_file_that_is_not_a_report(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "backend-audit-baseline"}', encoding="utf-8")
    result = run("review", str(tmp_path), "--findings", str(bad), "--diff", "HEAD",
                 "--dry-run")
    assert result.exit_code == 2
    assert result.output.strip().endswith("-f json:FILE')")
    scan_options = run("review", str(tmp_path), "--findings", str(bad), "--diff", "HEAD",
                       "--dry-run", "--select", "BA301")
    assert scan_options.exit_code == 2 and "belong on that scan" in scan_options.output
    with pytest.raises(ReviewPostError, match="malformed"):
        report_from_json('{"schema_version": 1, "tool": {"name": "backend-audit"}, '
                         '"findings": [{"rule_id": "BA301"}]}', str(tmp_path))


def test_rules_lists_each_rule_with_its_category_and_cwe() -> None:
    out = run("rules", "--category", "injection").output.splitlines()
    assert out[0].split()[:4] == ["ID", "NAME", "CATEGORY", "CWE"]
    ssrf = next(line.split() for line in out if line.startswith("BA809"))
    assert ssrf[2:4] == ["injection", "CWE-918"]
