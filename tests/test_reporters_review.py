"""Review-bot formats: what each platform needs beyond the golden files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from backend_audit.findings import Fix
from backend_audit.reporters import render
from backend_audit.reporters.common import repo_path
from backend_audit.reporters.escape import fence
from backend_audit.reporters.github_annotations import annotation
from backend_audit.reporters.github_review import review

from tests.test_reporters import SOURCE, sample_report


def _with_diff(files: dict[str, list[list[int]]]):
    report = sample_report(SOURCE.resolve())
    return replace(report, extra={"diff": {"base": "HEAD~1", "files": files}})


def test_review_comments_only_active_findings_with_multiline_ranges() -> None:
    body = review(sample_report(SOURCE.resolve()), commit_id="abc123")
    assert body["commit_id"] == "abc123" and body["event"] == "COMMENT"
    spans = [(c["path"], c.get("start_line"), c["line"]) for c in body["comments"]]
    # Suppressed (BA701) and baseline-known (BA405) findings are not commented on.
    assert spans == [("shop/views.py", None, 11), ("shop/views.py", 13, 15)]
    assert all(c["side"] == "RIGHT" for c in body["comments"])


def test_review_suggestion_only_when_the_fix_fits_the_changed_lines() -> None:
    inside = review(_with_diff({"shop/views.py": [[11, 16]]}))["comments"][1]
    assert "```suggestion\n" in inside["body"] and inside["start_line"] == 13
    # Only line 14 changed: the comment is clamped to it and a 3-line suggestion
    # would replace the wrong lines, so it is left out.
    clamped = review(_with_diff({"shop/views.py": [[14, 14]]}))["comments"][1]
    assert clamped["line"] == 14 and "start_line" not in clamped
    assert "```suggestion" not in clamped["body"] and "How to fix it" in clamped["body"]


def test_review_body_neutralises_html_and_mentions_from_scanned_code() -> None:
    comment = review(sample_report(SOURCE.resolve()))["comments"][0]["body"]
    assert "<img" not in comment and "&lt;img src=x" in comment
    assert "@admins" not in comment


def test_review_overflow_goes_into_the_body_most_severe_inline() -> None:
    body = review(sample_report(SOURCE.resolve()), max_comments=1)
    assert [c["line"] for c in body["comments"]] == [15]  # the high one, not the low one
    assert "BA101" in body["body"] and "Showing the 1 most severe" in body["body"]


def test_suggestion_fence_outgrows_backticks_in_the_fix() -> None:
    assert fence("x = '```'", "suggestion").startswith("````suggestion\n")


def test_paths_are_relative_to_the_repository_root_for_review_platforms() -> None:
    report = sample_report(SOURCE.resolve())
    repo = str(SOURCE.resolve().parent)
    assert repo_path(report, "shop/views.py", repo) == "src/shop/views.py"
    assert repo_path(report, "shop/views.py", None) == "shop/views.py"
    gitlab = json.loads(render("gitlab", report, source_root=repo))
    assert {i["location"]["path"] for i in gitlab} == {"src/shop/views.py"}


def test_annotations_escape_workflow_command_syntax() -> None:
    f = sample_report(SOURCE.resolve()).findings[2]
    line = annotation(sample_report(SOURCE.resolve()), f)
    assert "\n" not in line and "%0Anext" in line and "100%25" in line
    assert line.startswith("::notice file=shop/views.py,line=11,")
    evil = replace(f, path="a,b::c.py")
    assert "file=a%2Cb%3A%3Ac.py," in annotation(sample_report(SOURCE.resolve()), evil)


def test_rdjson_columns_are_utf8_bytes_and_fixes_replace_whole_lines() -> None:
    report = sample_report(SOURCE.resolve())
    f = replace(report.findings[2], snippet="    café = request.args['customer']",
                region=replace(report.findings[2].region, start_column=12, end_column=16))
    doc = json.loads(render("rdjson", replace(report, findings=(f, report.findings[3]))))
    assert doc["diagnostics"][0]["location"]["range"]["start"]["column"] == 13
    suggestion = doc["diagnostics"][1]["suggestions"][0]
    assert suggestion["range"] == {"start": {"line": 13, "column": 1},
                                   "end": {"line": 16, "column": 1}}
    assert suggestion["text"].endswith(").fetchall()\n")


def test_gitlab_issues_have_unique_fingerprints_and_gitlab_severities() -> None:
    report = sample_report(SOURCE.resolve())
    issues = json.loads(render("gitlab", report))
    assert [i["severity"] for i in issues] == ["minor", "critical"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert issues[1]["location"] == {"path": "shop/views.py", "lines": {"begin": 13, "end": 15}}


def test_fix_is_optional_everywhere() -> None:
    report = sample_report(SOURCE.resolve())
    plain = replace(report, findings=tuple(replace(f, fix=None) for f in report.findings))
    assert "```suggestion" not in render("github-review", plain)
    assert "suggestions" not in render("rdjson", plain)
    assert isinstance(report.findings[3].fix, Fix)


def test_files_outside_the_repository_keep_their_paths(tmp_path: Path) -> None:
    report = sample_report(SOURCE.resolve())
    assert repo_path(report, "shop/views.py", str(tmp_path)) == "shop/views.py"
