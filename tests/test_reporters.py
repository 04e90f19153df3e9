"""Golden-file tests of every reporter on one small, fixed report.

The report is built by hand (rules included) so these files change only when a
reporter does, not when the catalogue or a check changes. Regenerate after an intended
change with ``BACKEND_AUDIT_UPDATE_GOLDEN=1 python -m pytest tests/test_reporters.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from backend_audit.catalogue import Docs, Rule
from backend_audit.findings import (
    Confidence,
    Finding,
    Fix,
    Notification,
    NotificationLevel,
    Region,
    Report,
    ScanStats,
    Severity,
    Suppression,
)
from backend_audit.reporters import render
from backend_audit.reporters.line_hash import line_hashes
from backend_audit.reporters.sarif import upload_warnings

from tests.shared_dir import shared_file

GOLDEN = Path(__file__).parent / "golden"
SOURCE = GOLDEN / "src"
HOSTILE = "</script><img src=x onerror=alert(1)> ping @admins, 100%: done\nnext"


def _rule(rid: str, name: str, category: str, severity: Severity, cwe: str) -> Rule:
    return Rule(
        id=rid, name=name, category=category, severity=severity, confidence=Confidence.HIGH,
        cwe=(cwe,), owasp=("A03:2021 Injection",), frameworks=("flask",),
        message=f"The {name.replace('-', ' ')} pattern was found.",
        docs=Docs(why=f"Why {name} matters: attackers can use it.",
                  example="cur.execute(f\"SELECT * FROM t WHERE a = '{a}'\")",
                  fix="cur.execute(\"SELECT * FROM t WHERE a = ?\", (a,))",
                  references=("https://owasp.org/Top10/",)),
        engine="libcst", source=f"{category}/{name}.yaml",
    )


RULES = (
    _rule("BA101", "request-input-unvalidated", "validation", Severity.LOW, "CWE-20"),
    _rule("BA301", "sql-string-built", "sql-injection", Severity.HIGH, "CWE-89"),
    _rule("BA405", "debug-mode-enabled", "error-handling", Severity.MEDIUM, "CWE-489"),
    _rule("BA701", "secret-key-hardcoded", "secrets", Severity.CRITICAL, "CWE-798"),
)


def _finding(rule: Rule, path: str, region: Region, snippet: str, fingerprint: str,
             **extra) -> Finding:
    return Finding(rule.id, rule.name, rule.category, rule.severity, rule.confidence, path,
                   region, extra.pop("message", rule.message), snippet, fingerprint, **extra)


def sample_report(root: Path = SOURCE, baseline: bool = True) -> Report:
    sql_fix = ('    rows = conn.execute(\n'
               '        "SELECT id, total FROM orders WHERE customer = ?", (customer,)\n'
               '    ).fetchall()')
    findings = (
        _finding(RULES[3], "shop/settings.py", Region(4, 28, 4, 33),
                 'app.config["SECRET_KEY"] = "dev"  # backend-audit: ignore[BA701] -- local '
                 'demo only', "7a1c0c0f3b8e4d0e9a51d2f0c1e2a3b4",
                 suppression=Suppression("local demo only", 4)),
        _finding(RULES[2], "shop/settings.py", Region(7, 5, 7, 24), "    app.run(debug=True)",
                 "0b6d35f4f1e64a2c8f3a9e7d5c1b2a30",
                 baseline_state="unchanged" if baseline else None),
        _finding(RULES[0], "shop/views.py", Region(11, 16, 11, 40),
                 '    customer = request.args["customer"]', "c3f1d9a8b7e6d5c4b3a2918070605040",
                 message=HOSTILE, baseline_state="new" if baseline else None),
        _finding(RULES[1], "shop/views.py", Region(13, 12, 15, 6),
                 "    rows = conn.execute(\n        f\"SELECT id, total FROM orders WHERE "
                 "customer = '{customer}'\"\n    ).fetchall()", "5e4d3c2b1a09f8e7d6c5b4a392817060",
                 baseline_state="new" if baseline else None, fix=Fix(13, 15, sql_fix)),
    )
    return Report(
        root=str(root), findings=findings,
        notifications=(Notification("does not parse: invalid syntax (line 3)",
                                    NotificationLevel.ERROR, "shop/broken.py", 3,
                                    "syntax-error"),),
        rules=RULES,
        stats=ScanStats(files_scanned=3, files_skipped=0, rules_enabled=4,
                        duration_seconds=0.42, lines_scanned=33),
        tool_version="0.1.0", started_at="2025-01-02T03:04:05Z",
    )


_GOLDEN_FILES = {"text": "report.txt", "json": "report.json", "sarif": "report.sarif",
                 "html": "report.html", "github-review": "review.json", "rdjson": "rdjson.json",
                 "github-annotations": "annotations.txt", "gitlab": "gitlab.json"}


def _normalise(text: str) -> str:
    return text.replace(SOURCE.resolve().as_uri(), "file:///GOLDEN").replace(
        str(SOURCE.resolve()), "/GOLDEN")


@pytest.mark.parametrize("fmt", sorted(_GOLDEN_FILES))
def test_reporter_matches_golden_file(fmt: str) -> None:
    options = {"category": "backend/"} if fmt == "sarif" else {}
    actual = _normalise(render(fmt, sample_report(SOURCE.resolve()), **options))
    golden = GOLDEN / _GOLDEN_FILES[fmt]
    if os.environ.get("BACKEND_AUDIT_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; run with BACKEND_AUDIT_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8")


def test_sarif_validates_against_the_official_schema() -> None:
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    doc = json.loads(render("sarif", sample_report(SOURCE.resolve()), category="backend"))
    jsonschema.Draft4Validator(schema).validate(doc)


def test_sarif_carries_what_github_code_scanning_reads() -> None:
    doc = json.loads(render("sarif", sample_report(SOURCE.resolve()), category="backend"))
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "backend-audit" and driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == ["BA101", "BA301", "BA405", "BA701"]
    sql = driver["rules"][1]
    assert sql["properties"]["tags"] == ["security", "external/cwe/cwe-89", "sql-injection"]
    assert sql["properties"]["security-severity"] == "8.0"
    assert sql["properties"]["precision"] == "high"
    assert sql["defaultConfiguration"]["level"] == "error"
    assert "## Why is this bad?" in sql["help"]["markdown"] and sql["help"]["text"]
    assert sql["helpUri"].startswith("https://")
    assert run["automationDetails"] == {"id": "backend/"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == SOURCE.resolve().as_uri() + "/"
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["BA301"]["ruleIndex"] == 1
    loc = results["BA301"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 13 and "SELECT" in loc["region"]["snippet"]["text"]
    views = (SOURCE / "shop" / "views.py").read_text(encoding="utf-8")
    assert results["BA301"]["partialFingerprints"] == {
        "backendAudit/v1": "5e4d3c2b1a09f8e7d6c5b4a392817060",
        "primaryLocationLineHash": line_hashes(views)[12]}
    assert results["BA701"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "local demo only"}]
    assert results["BA405"]["baselineState"] == "unchanged"
    assert results["BA301"]["baselineState"] == "new"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "error" and "shop/broken.py" in notes[0]["message"]["text"]


def test_sarif_uris_are_rebased_onto_the_repository_root() -> None:
    report = sample_report(SOURCE.resolve())
    doc = json.loads(render("sarif", report, source_root=str(GOLDEN.resolve())))
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "src/shop/settings.py"
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        GOLDEN.resolve().as_uri() + "/"


# Expected values published with GitHub's upload action (codeql-action fingerprints tests).
@pytest.mark.parametrize(("text", "expected"), [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d",
     ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    ("Lorem ipsum dolor sit amet.\n" * 10,
     ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
      "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
])
def test_primary_location_line_hash_matches_githubs_upload_action(text: str,
                                                                  expected: list[str]) -> None:
    assert line_hashes(text) == expected


def test_line_hash_counts_utf16_code_units_like_javascript() -> None:
    # An astral character is two UTF-16 units; hashing code points would differ.
    assert line_hashes("x = '😀'\n") != line_hashes("x = '\ue000'\n")
    assert len(line_hashes("x = '😀'\ny = 1\n")) == 3


def test_upload_warnings_before_githubs_limits() -> None:
    small = render("sarif", sample_report(SOURCE.resolve()))
    assert upload_warnings(small) == []
    doc = json.loads(small)
    result = doc["runs"][0]["results"][0]
    doc["runs"][0]["results"] = [result] * 5_001
    warnings = upload_warnings(json.dumps(doc))
    assert len(warnings) == 1 and "5,000" in warnings[0]
    doc["runs"][0]["results"] = [result] * 25_001
    assert any("rejects" in w for w in upload_warnings(json.dumps(doc)))


def test_html_escapes_everything_from_scanned_code() -> None:
    html = render("html", sample_report(SOURCE.resolve()))
    assert "<img src=x" not in html
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script>") == 1 and html.count("</script>") == 1
    assert "http://" not in html.replace('href="http', "") and "<link rel=\"stylesheet\"" \
        not in html


def test_html_script_asset_cannot_break_out_of_its_element() -> None:
    from backend_audit.resources import reports_dir

    script = (reports_dir() / "html" / "report.js").read_text(encoding="utf-8")
    assert "</" not in script and "<!--" not in script


def test_html_shows_code_in_context_with_the_finding_highlighted() -> None:
    html = render("html", sample_report(SOURCE.resolve()))
    assert '<span class="ln hit"><span class="no">14</span>' in html
    assert '<span class="ln"><span class="no">10</span>def list_orders():' in html
    assert "Why sql-string-built matters" in html


def test_html_falls_back_to_the_recorded_snippet_when_files_are_gone() -> None:
    from backend_audit.reporters.html import render as render_html
    from backend_audit.reporters.sources import NoSources

    html = render_html(sample_report(SOURCE.resolve()), sources=NoSources())
    assert '<span class="ln hit"><span class="no">14</span>' in html
    assert '<span class="no">10</span>' not in html  # no context without the file


# text: full and concise ----------------------------------------------------------------

_HEADLINE = re.compile(r"^(?P<path>[\w/.]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>BA\d{3,4}) "
                       r"\[(?P<category>[a-z-]+)\] (?P<message>\S.*)$")


def test_concise_text_is_one_clickable_line_per_finding() -> None:
    report = sample_report(SOURCE.resolve())
    lines = render("text", report, output_format="concise").splitlines()
    heads = [m for m in map(_HEADLINE.match, lines) if m]
    assert [(m["path"], m["line"], m["col"], m["rule"], m["category"]) for m in heads] == [
        ("shop/views.py", "11", "16", "BA101", "validation"),
        ("shop/views.py", "13", "12", "BA301", "sql-injection")]
    assert heads[1]["message"] == "The sql string built pattern was found."
    assert "\\x0anext" in heads[0]["message"]  # a line break in a message stays one line
    assert lines[-2] == "shop/broken.py:3: error: does not parse: invalid syntax (line 3)"
    assert lines[-1].startswith("2 findings (1 high, 1 low) in 3 files;")
    assert len(lines) == 4


def test_full_text_starts_each_finding_with_its_location() -> None:
    report = sample_report(SOURCE.resolve())
    for output_format in ("full", "concise"):
        text = render("text", report, output_format=output_format, show_suppressed=True)
        starts = [line.split(" ", 1)[0] for line in text.splitlines() if _HEADLINE.match(line)]
        assert starts == ["shop/settings.py:4:28:", "shop/settings.py:7:5:",
                          "shop/views.py:11:16:", "shop/views.py:13:12:"]


def test_full_text_shows_the_whole_statement_cwe_and_docs() -> None:
    text = render("text", sample_report(SOURCE.resolve()))
    block = text.split("shop/views.py:13:12:")[1].split("\n\n")[0].splitlines()
    assert block[1] == "  high severity, high confidence, CWE-89, sql-string-built, new since " \
        "the baseline"
    assert block[2:5] == ["  13 | rows = conn.execute(",
                          "  14 |     f\"SELECT id, total FROM orders WHERE customer = "
                          "'{customer}'\"",
                          "  15 | ).fetchall()"]
    assert block[5] == ("  docs: backend-audit explain BA301 or https://github.com/backend-audit/"
                        "backend-audit/blob/main/rules/sql-injection/sql-string-built.yaml")


def test_full_text_caps_a_long_statement() -> None:
    rule = RULES[1]
    snippet = "\n".join(f"    line_{n} = {n}" for n in range(20, 26))  # the scan keeps six
    long = _finding(rule, "app.py", Region(20, 5, 31, 2), snippet, "f" * 32)
    report = replace(sample_report(SOURCE.resolve()), findings=(long,), notifications=())
    lines = render("text", report).splitlines()
    code = [line for line in lines if " | " in line]
    assert code[0] == "  20 | line_20 = 20" and code[5] == "  25 | line_25 = 25"
    assert code[6] == "     | …" and len(code) == 7


@pytest.mark.parametrize("width", [40, 60, 100])
def test_full_text_wraps_prose_to_the_width_between_words(width: int) -> None:
    report = sample_report(SOURCE.resolve())
    long_message = ("Untrusted input from request.args['customer'] reaches a SQL statement "
                    "built with an f-string in list_orders(), so an attacker can change the "
                    "query; pass the value as a bound parameter instead of formatting it in.")
    findings = tuple(replace(f, message=long_message) if f.rule_id == "BA301" else f
                     for f in report.findings)
    text = render("text", replace(report, findings=findings), width=width)
    block = text.split("shop/views.py:13:12: ")[1].split("\n  high severity")[0]
    first, *rest = ("shop/views.py:13:12: " + block).splitlines()
    assert rest and all(line.startswith("    ") and not line.startswith("     ")
                        for line in rest)
    assert " ".join(line.strip() for line in [first, *rest]) == \
        f"shop/views.py:13:12: BA301 [sql-injection] {long_message}"
    for line in text.splitlines():
        if " | " in line:
            continue  # code is never wrapped
        # A line runs over only when it is one word (a URL) longer than the width.
        assert len(line) < width or len(line.split()) == 1, line
    # Unwrapped (files, pipes): each finding's headline stays one line.
    assert f"BA301 [sql-injection] {long_message}\n" in render(
        "text", replace(report, findings=findings))


def test_statistics_count_findings_per_rule_most_frequent_first() -> None:
    report = sample_report(SOURCE.resolve())
    extra = replace(report.findings[2], region=Region(12, 5, 12, 9), fingerprint="e" * 32)
    report = replace(report, findings=tuple(sorted((*report.findings, extra),
                                                   key=Finding.sort_key)))
    concise = render("text", report, output_format="concise", statistics=True).splitlines()
    assert concise[:3] == [
        "shop/broken.py:3: error: does not parse: invalid syntax (line 3)",
        "2  BA101  request-input-unvalidated  validation",
        "1  BA301  sql-string-built           sql-injection"]
    assert not any(_HEADLINE.match(line) for line in concise)  # instead of the findings
    full = render("text", report, statistics=True)
    assert full.index("shop/views.py:13:12:") < full.index(
        "2  BA101  request-input-unvalidated  validation")
    shown = render("text", report, statistics=True, show_suppressed=True, output_format="concise")
    assert "1  BA701  secret-key-hardcoded       secrets" in shown


def test_text_paths_are_made_relative_to_the_working_directory(tmp_path: Path) -> None:
    from backend_audit.reporters.text import path_base

    (tmp_path / "src" / "app").mkdir(parents=True)
    assert path_base(tmp_path, tmp_path) == ""
    assert path_base(tmp_path / "src" / "app", tmp_path) == "src/app/"
    assert path_base(tmp_path, tmp_path / "src") == tmp_path.resolve().as_posix() + "/"
    text = render("text", sample_report(SOURCE.resolve()), output_format="concise",
                  base="tests/golden/src/")
    assert text.startswith("tests/golden/src/shop/views.py:11:16: BA101")
    assert "\ntests/golden/src/shop/broken.py:3: error:" in text


def test_text_output_is_deterministic_and_colour_only_on_request() -> None:
    report = sample_report(SOURCE.resolve())
    for output_format in ("full", "concise"):
        plain = render("text", report, output_format=output_format, statistics=True)
        assert plain == render("text", report, output_format=output_format, statistics=True)
        assert "\x1b[" not in plain
        coloured = render("text", report, output_format=output_format, colour=True)
        assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render(
            "text", report, output_format=output_format)


# html: groups that scale -------------------------------------------------------------------

def _html_report(findings: tuple[Finding, ...], **stats) -> Report:
    report = sample_report(SOURCE.resolve())
    return replace(report, findings=tuple(sorted(findings, key=Finding.sort_key)),
                   stats=replace(report.stats, **stats))


def _group_ids(html: str) -> list[str]:
    return re.findall(r'<details class="group" id="([gh]-BA\d+)"', html)


def test_html_groups_by_rule_most_severe_first_with_hidden_ones_apart() -> None:
    html = render("html", sample_report(SOURCE.resolve()))
    assert _group_ids(html) == ["g-BA301", "g-BA101", "h-BA701", "h-BA405"]
    assert html.index('id="hidden-title"') < html.index('id="h-BA701"')
    assert "Suppressed and baseline findings (2)" in html
    assert re.search(r'id="g-BA301"[^>]*data-count="1"', html)
    assert "<details class=\"group\" open" not in html  # collapsed by default


def test_html_findings_on_the_same_line_share_one_code_block() -> None:
    rule = RULES[0]
    findings = tuple(_finding(rule, "shop/views.py", Region(11, col, 11, col + 5),
                              '    customer = request.args["customer"]', f"{col:032x}",
                              message=f"input {col} is not validated")
                     for col in (16, 30))
    html = render("html", _html_report(findings))
    assert html.count('<div class="site">') == 1 and html.count('<li class="finding">') == 2
    assert html.count('<pre class="code">') == 1 + 2 * len(RULES[:1])  # + docs example/fix
    assert "input 16 is not validated" in html and "input 30 is not validated" in html


def test_html_shows_a_findings_message_only_where_it_says_more_than_the_rule() -> None:
    rule = RULES[1]
    same = _finding(rule, "shop/views.py", Region(13, 12, 15, 6), "", "a" * 32)
    other = _finding(rule, "shop/views.py", Region(22, 11), "", "b" * 32,
                     message="get_order() builds SQL from order_id")
    html = render("html", _html_report((same, other)))
    assert html.count(rule.message) == 1  # once, at the top of the group
    assert "get_order() builds SQL from order_id" in html


def test_html_draws_code_after_the_first_places_from_a_packed_blob() -> None:
    import base64
    import gzip

    from backend_audit.reporters.html import CONTEXT_LINES, EAGER_SITES

    rule = RULES[1]
    lines = (SOURCE / "shop" / "views.py").read_text(encoding="utf-8").splitlines()
    places = range(2, 2 + EAGER_SITES + 3)
    findings = tuple(_finding(rule, "shop/views.py", Region(n, 1), lines[n - 1], f"{n:032x}")
                     for n in places)
    html = render("html", _html_report(findings))
    assert html.count('<pre class="code">') == EAGER_SITES + 2  # + docs example and fix
    lazy = re.findall(r'<div class="site" data-l="(\d+)-(\d+)">', html)
    assert [int(a) for a, _ in lazy] == list(places)[EAGER_SITES:]
    blob = re.search(r'<div id="code-context" data-lines="3" hidden>([^<]*)</div>', html)
    assert blob and re.fullmatch(r"[A-Za-z0-9+/=]*", blob.group(1))  # no markup possible
    (runs,) = json.loads(gzip.decompress(base64.b64decode(blob.group(1))))
    first_lazy = places[EAGER_SITES]
    numbers = [start + i for start, texts in runs for i in range(len(texts))]
    assert numbers == list(range(first_lazy - CONTEXT_LINES, places[-1] + CONTEXT_LINES + 1))
    assert all(texts == lines[start - 1:start - 1 + len(texts)] for start, texts in runs)
    assert re.search(r'<section class="file" data-f="0">', html)
    assert html == render("html", _html_report(findings))  # deterministic, gzip included


def test_html_header_counts_no_skipped_folders() -> None:
    html = render("html", _html_report(sample_report(SOURCE.resolve()).findings,
                                       files_skipped=3))
    header = html.split("</header>")[0]
    assert "3 scanned" in header and "skipped" not in header


def test_html_file_names_break_only_in_their_folder() -> None:
    rule = RULES[1]
    path = "services/very_long_package_name/api/v1/order_reconciliation_handlers.py"
    html = render("html", _html_report((_finding(rule, path, Region(3, 1), "x = 1",
                                                 "c" * 32),)))
    assert ('<span class="dir">services/very_long_package_name/api/v1/</span>'
            '<span class="base">order_reconciliation_handlers.py</span>') in html
    from backend_audit.resources import reports_dir

    css = (reports_dir() / "html" / "report.css").read_text(encoding="utf-8")
    assert ".path .dir { color: var(--muted); overflow-wrap: anywhere; }" in css
    assert ".path .base { font-weight: 600; white-space: nowrap; }" in css


def test_html_stays_small_per_finding() -> None:
    rng = random.Random(14)
    lines = (SOURCE / "shop" / "views.py").read_text(encoding="utf-8").splitlines()
    findings = []
    for i in range(2_000):
        rule = RULES[i % len(RULES)]
        n = rng.randint(1, len(lines))
        message = rule.message if i % 2 else f"{rule.message} " + "x" * rng.randint(50, 150)
        findings.append(_finding(rule, f"pkg{i % 40}/module_{i % 7}.py", Region(n, 5),
                                 lines[n - 1], f"{i:032x}", message=message))
    html = render("html", _html_report(tuple(findings)))
    assert html.count('<li class="finding">') == 2_000
    assert len(html.encode("utf-8")) < 2_000 * 300


def test_html_shows_a_findings_severity_where_it_differs_from_its_group() -> None:
    rule = RULES[3]  # critical
    certain = _finding(rule, "shop/settings.py", Region(4, 28), "", "a" * 32)
    lowered = replace(_finding(rule, "shop/views.py", Region(12, 5), "", "b" * 32),
                      severity=Severity.HIGH)
    html = render("html", _html_report((certain, lowered)))
    assert re.search(r'id="g-BA701" data-severity="critical"', html)
    items = re.findall(r'<li class="finding">.*?</li>', html)
    assert ['<span class="badge sev-high">high</span>' in item for item in items] == [
        False, True]
