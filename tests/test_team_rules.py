"""Team rules (issue 14): a team's own semgrep rules, named by ``team-rules`` in the
configuration, run with the built-in semgrep rules and go wherever their findings go.

Every project is built in ``tmp_path``; the scans that need semgrep share one run where
they can (semgrep starts slowly)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from backend_audit.catalogue import CatalogueError
from backend_audit.cli import main
from backend_audit.config import Config, ConfigError, load_config
from backend_audit.engines import semgrep_engine
from backend_audit.engines.semgrep_engine import _config_text, _rejection, find_semgrep
from backend_audit.pipeline import ScanOptions, enabled_rules
from backend_audit.suppress import directive_notifications, known_rule_names
from backend_audit.team_rules import TEAM_ID, load_team_rules
from click.testing import CliRunner

from tests.shared_dir import shared_file

README = Path(__file__).resolve().parents[1] / "README.md"

needs_semgrep = pytest.mark.skipif(find_semgrep() is None, reason="semgrep is not installed")

RULE = """\
rules:
  - id: acme-raw-sql
    message: $DB.execute_raw($SQL) sends SQL text as it is; use $DB.query() with parameters.
    severity: ERROR
    languages: [python]
    metadata:
      category: sql-injection
      confidence: high
      cwe: "CWE-89: Improper Neutralization of Special Elements used in an SQL Command"
      why: Only db.query() binds parameters in our data layer.
      references: [https://wiki.example.com/backend/sql]
    pattern: $DB.execute_raw($SQL, ...)
"""

APP = """\
QUERY = "SELECT total FROM orders WHERE id = ?"


def order_total(db, order_id):
    return db.execute_raw(QUERY, order_id)


def order_page(db):
    return db.execute_raw("<b onmouseover=alert(1)>")


def nightly(db):
    return db.execute_raw(QUERY)  # backend-audit: ignore[ACME-RAW-SQL] -- fixed text
"""

CONFIG = '[tool.backend-audit]\nteam-rules = ["ci/rules/"]\n'


def _project(root: Path, rule: str = RULE, config: str = CONFIG) -> Path:
    (root / "ci" / "rules").mkdir(parents=True, exist_ok=True)
    (root / "ci" / "rules" / "sql.yaml").write_text(rule, encoding="utf-8")
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "orders.py").write_text(APP, encoding="utf-8")
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a team rule, as the working folder (so files are named from it)."""
    monkeypatch.chdir(tmp_path)
    return _project(tmp_path)


def _team(root: Path) -> Config:
    return load_config(None, root)


# One scan, every report format -----------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if find_semgrep() is None:
        pytest.skip("semgrep is not installed")
    root = _project(tmp_path_factory.mktemp("team"))
    old = os.getcwd()
    os.chdir(root)
    try:
        formats = {"json": "out.json", "sarif": "out.sarif", "html": "out.html",
                   "text": "out.txt", "github-review": "review.json"}
        result = run(".", "-j", "1", "--no-cache", "-q",
                     *(a for fmt, name in formats.items() for a in ("-f", f"{fmt}:{name}")))
        assert result.exit_code == 1, result.output
        yield {"root": str(root), **{fmt: (root / name).read_text(encoding="utf-8")
                                     for fmt, name in formats.items()}}
    finally:
        os.chdir(old)


def test_json_reports_the_team_finding_with_its_category(reports: dict[str, str]) -> None:
    doc = json.loads(reports["json"])
    team = [f for f in doc["findings"] if f["rule_id"] == "acme-raw-sql"]
    assert [(f["path"], f["start_line"], f["category"], f["severity"], f["confidence"],
             f["suppressed"]) for f in team] == [
        ("app/orders.py", 5, "sql-injection", "high", "high", False),
        ("app/orders.py", 9, "sql-injection", "high", "high", False),
        ("app/orders.py", 13, "sql-injection", "high", "high", True)]
    # semgrep fills in the metavariables; the suppression is by id, ignoring case.
    assert team[0]["message"] == ("db.execute_raw(QUERY) sends SQL text as it is; use "
                                  "db.query() with parameters.")
    assert team[2]["suppression_reason"] == "fixed text"
    assert {"id": "acme-raw-sql", "name": "acme-raw-sql", "category": "sql-injection",
            "severity": "high"} in doc["rules"]
    assert not [n for n in doc["notifications"] if "unknown rule" in n["message"]]


def test_sarif_describes_the_team_rule_and_validates(reports: dict[str, str]) -> None:
    doc = json.loads(reports["sarif"])
    run_ = doc["runs"][0]
    (rule,) = [r for r in run_["tool"]["driver"]["rules"] if r["id"] == "acme-raw-sql"]
    assert rule["properties"]["category"] == "sql-injection"
    assert rule["properties"]["team"] is True
    assert rule["properties"]["source"] == "ci/rules/sql.yaml"
    assert "external/cwe/cwe-89" in rule["properties"]["tags"]
    assert rule["helpUri"] == "https://wiki.example.com/backend/sql"
    assert "Only db.query() binds parameters" in rule["help"]["text"]
    results = [r for r in run_["results"] if r["ruleId"] == "acme-raw-sql"]
    assert [r["properties"]["category"] for r in results] == ["sql-injection"] * 3
    assert [bool(r.get("suppressions")) for r in results] == [False, False, True]
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)


def test_text_names_rule_category_cwe_and_reference(reports: dict[str, str]) -> None:
    text = reports["text"]
    assert ("app/orders.py:5:12: acme-raw-sql [sql-injection] db.execute_raw(QUERY) sends "
            "SQL text as it is") in text
    assert "CWE-89" in text and "https://wiki.example.com/backend/sql" in text


def test_html_shows_the_team_rule_and_escapes_what_matched(reports: dict[str, str]) -> None:
    html = reports["html"]
    assert "acme-raw-sql" in html and "team rule from <code>ci/rules/sql.yaml</code>" in html
    assert "Only db.query() binds parameters" in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover" in html


def test_review_comments_carry_the_rules_docs(reports: dict[str, str]) -> None:
    comments = json.loads(reports["github-review"])["comments"]
    bodies = [c["body"] for c in comments if "acme-raw-sql" in c["body"]]
    assert len(bodies) == 2  # the suppressed finding is not commented on
    assert all("**Why this matters:** Only db.query() binds parameters" in b for b in bodies)
    assert all("(https://wiki.example.com/backend/sql)" in b for b in bodies)
    assert not any("<b onmouseover" in b for b in bodies)


def test_review_of_an_earlier_scan_documents_team_rules(
        reports: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``review --findings out.json`` (the action's one scan) reads the rules' docs from
    the configuration: the JSON report names rules by id only."""
    from backend_audit.cli import _read_findings

    monkeypatch.chdir(reports["root"])
    report = _read_findings(Path("out.json"), (Path("."),))
    (rule,) = [r for r in report.rules if r.team]
    assert rule.id == "acme-raw-sql" and rule.docs.why.startswith("Only db.query()")


# Selection, suppression, rules and explain (no semgrep) ----------------------------------


def test_select_and_ignore_take_team_ids_and_categories(project: Path) -> None:
    config = _team(project)

    def chosen(**options: tuple[str, ...]) -> set[str]:
        return {r.id for r in enabled_rules(config, ScanOptions(**options))}

    assert chosen(select=("acme-raw-sql",)) == {"acme-raw-sql"}
    assert chosen(select=("ACME-RAW-SQL",)) == {"acme-raw-sql"}
    assert "acme-raw-sql" in chosen(select=("sql-injection",))
    assert "acme-raw-sql" not in chosen(ignore=("acme-raw-sql",))
    assert "acme-raw-sql" not in chosen(ignore=("sql-injection",))
    assert "acme-raw-sql" in chosen()
    with pytest.raises(CatalogueError, match="unknown rule"):
        chosen(select=("acme-raw-sq",))
    # The configuration's ignore does not make a later --select of the rule an error.
    ignored = config.with_overrides(ignore=("acme-raw-sql",))
    assert enabled_rules(ignored, ScanOptions(select=("acme-raw-sql",))) == ()


def test_ignore_comments_naming_team_rules_are_not_unknown(project: Path) -> None:
    team = _team(project).team_rules
    text = "x = 1  # backend-audit: ignore[acme-raw-sql] -- fixed\n"
    assert directive_notifications("a.py", text, known_rule_names(team)) == []
    (unknown,) = directive_notifications("a.py", text)
    assert "unknown rule acme-raw-sql" in unknown.message


def test_rules_lists_team_rules_and_explain_shows_them(project: Path) -> None:
    listing = run("rules").output
    (line,) = [row for row in listing.splitlines() if row.startswith("acme-raw-sql ")]
    assert line.split()[1:6] == ["acme-raw-sql", "sql-injection", "CWE-89", "high", "semgrep"]
    assert "(team)" in line
    (entry,) = [r for r in json.loads(run("rules", "--json").output) if r["team"]]
    assert entry == {"id": "acme-raw-sql", "name": "acme-raw-sql", "category": "sql-injection",
                     "severity": "high", "confidence": "high", "engine": "semgrep",
                     "frameworks": ["any"], "cwe": ["CWE-89"], "team": True,
                     "source": "ci/rules/sql.yaml"}
    assert run("rules", "--category", "sql-injection").output.count("acme-raw-sql") == 2
    shown = run("explain", "ACME-raw-sql")
    assert shown.exit_code == 0
    assert shown.output.splitlines()[:2] == [
        "acme-raw-sql acme-raw-sql  [sql-injection, high, high confidence, team rule from "
        "ci/rules/sql.yaml]", "CWE: CWE-89"]
    assert "$DB.execute_raw($SQL) sends SQL text" in shown.output
    assert "Why is this bad?\nOnly db.query() binds parameters" in shown.output
    assert "References:\n  - https://wiki.example.com/backend/sql" in shown.output
    assert "Example:" not in shown.output  # the team wrote none


def test_explain_reads_the_configuration_given(project: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run("explain", "acme-raw-sql").exit_code == 2
    assert run("explain", "acme-raw-sql", "--config", str(project / "pyproject.toml")
               ).exit_code == 0


# Malformed rules: one line naming the file and the rule, exit 2 --------------------------

_GOOD_BODY = """\
    message: Raw SQL.
    languages: [python]
    metadata: {category: sql-injection}
    pattern: $DB.execute_raw(...)
"""

MALFORMED = {
    "invalid-yaml": ("rules: [ {id: x\n",
                     "ci/rules/sql.yaml: not valid YAML: expected ',' or '}', but got "
                     "'<stream end>' (line 2, column 1)"),
    "not-a-rules-file": ("- id: x\n",
                         "ci/rules/sql.yaml: not a semgrep rules file (a top-level 'rules:' "
                         "list)"),
    "missing-id": ("rules:\n  - message: m\n    pattern: f()\n",
                   "ci/rules/sql.yaml: rule #1 has no 'id'"),
    "missing-message": ("rules:\n  - id: acme-x\n    metadata: {category: auth}\n"
                        "    pattern: f()\n",
                        "ci/rules/sql.yaml: rule 'acme-x': no 'message' (one sentence about "
                        "the problem)"),
    "missing-category": ("rules:\n  - id: acme-x\n    message: m\n    pattern: f()\n",
                         "ci/rules/sql.yaml: rule 'acme-x': no category (metadata: "
                         "{category: ...}; one of validation, "),
    "unknown-category": ("rules:\n  - id: acme-x\n    message: m\n    category: sqli\n"
                         "    pattern: f()\n",
                         "ci/rules/sql.yaml: rule 'acme-x': unknown category 'sqli'; choose "
                         "from validation, "),
    "unknown-severity": ("rules:\n  - id: acme-x\n    severity: SEVERE\n" + _GOOD_BODY,
                         "ci/rules/sql.yaml: rule 'acme-x': unknown severity 'SEVERE'; choose "
                         "from info, low, warning, medium, error, high, critical"),
    "builtin-id": ("rules:\n  - id: BA301\n" + _GOOD_BODY,
                   "ci/rules/sql.yaml: rule 'BA301': ids starting with BA and a digit are "
                   "built-in rule ids; give team rules another prefix"),
    "future-builtin-id": ("rules:\n  - id: ba9901-mine\n" + _GOOD_BODY,
                          "ci/rules/sql.yaml: rule 'ba9901-mine': ids starting with BA and a "
                          "digit are built-in rule ids; give team rules another prefix"),
    "id-like-name": ("rules:\n  - id: acme-x\n" + _GOOD_BODY.replace(
        "{category: sql-injection}", "{category: sql-injection, name: ba9901}"),
        "ci/rules/sql.yaml: rule 'acme-x': names starting with BA and a digit read as "
        "built-in rule ids; choose another"),
    "builtin-name": ("rules:\n  - id: sql-string-built\n" + _GOOD_BODY,
                     "ci/rules/sql.yaml: rule 'sql-string-built': 'sql-string-built' is a "
                     "built-in rule's id or name; choose another"),
    "category-as-id": ("rules:\n  - id: secrets\n" + _GOOD_BODY,
                       "ci/rules/sql.yaml: rule 'secrets': 'secrets' is a category; choose "
                       "another id"),
    "duplicate-id": ("rules:\n  - id: acme-x\n" + _GOOD_BODY + "  - id: ACME-X\n" + _GOOD_BODY,
                     "ci/rules/sql.yaml: rule 'ACME-X': 'acme-x' is already used by "
                     "ci/rules/sql.yaml: rule 'acme-x'"),
    "dotted-id": ("rules:\n  - id: acme.raw\n" + _GOOD_BODY,
                  "ci/rules/sql.yaml: rule 'acme.raw': an id is a letter, then letters, "
                  "digits, '-' or '_' (at most 64 characters)"),
    "no-pattern": ("rules:\n  - id: acme-x\n    message: m\n    category: auth\n"
                   "    patern: f()\n",
                   "ci/rules/sql.yaml: rule 'acme-x': no pattern (one of pattern, patterns, "
                   "pattern-either, pattern-regex, match; or mode: taint)"),
    "other-language": ("rules:\n  - id: acme-x\n    message: m\n    category: auth\n"
                       "    languages: [javascript]\n    pattern: f()\n",
                       "ci/rules/sql.yaml: rule 'acme-x': 'languages' must include python "
                       "(backend-audit sends semgrep Python files only)"),
    "script-reference": ("rules:\n  - id: acme-x\n    message: m\n    pattern: f()\n"
                         "    metadata: {category: auth, references: ['javascript:alert(1)']}\n",
                         "ci/rules/sql.yaml: rule 'acme-x': reference 'javascript:alert(1)' "
                         "is not an http(s) URL"),
    "markdown-in-reference": ("rules:\n  - id: acme-x\n    message: m\n    pattern: f()\n"
                              "    metadata: {category: auth, references: "
                              "['https://a.example/)![x](https://b.example/p.png']}\n",
                              "ci/rules/sql.yaml: rule 'acme-x': reference "),
    "bad-cwe": ("rules:\n  - id: acme-x\n    message: m\n    pattern: f()\n"
                "    metadata: {category: auth, cwe: [89]}\n",
                "ci/rules/sql.yaml: rule 'acme-x': 'cwe' must be a string or a list of "
                "strings"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_rule_is_one_line_naming_file_and_rule(project: Path, case: str) -> None:
    text, expected = MALFORMED[case]
    (project / "ci" / "rules" / "sql.yaml").write_text(text, encoding="utf-8")
    for args in ((".", "-q"), ("rules",)):
        result = run(*args)
        assert result.exit_code == 2
        (line,) = result.output.splitlines()
        assert line.startswith(f"backend-audit: error: {expected}"), line


CONFIG_ERRORS = {
    "url": ('"https://example.com/rules.yaml"',
            "pyproject.toml: 'team-rules': 'https://example.com/rules.yaml' is a URL; team "
            "rules are read from local files only"),
    "registry": ('"p/python"',
                 "pyproject.toml: 'team-rules': 'p/python' names semgrep's registry; team "
                 "rules are read from local files only"),
    "auto": ('"auto"', "pyproject.toml: 'team-rules': 'auto' names semgrep's registry"),
    "missing": ('"ci/nothing/"',
                "pyproject.toml: 'team-rules': 'ci/nothing/' does not exist (paths are "
                "relative to the folder of the configuration file"),
    "empty-folder": ('"app/"',
                     "pyproject.toml: 'team-rules': folder 'app/' holds no .yaml or .yml "
                     "file"),
    "not-strings": ("3", "pyproject.toml: 'team-rules' must be a list of strings"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
def test_team_rules_come_from_local_files_only(project: Path, case: str) -> None:
    value, expected = CONFIG_ERRORS[case]
    (project / "pyproject.toml").write_text(f"[tool.backend-audit]\nteam-rules = [{value}]\n"
                                            if case != "not-strings" else
                                            f"[tool.backend-audit]\nteam-rules = {value}\n",
                                            encoding="utf-8")
    result = run(".", "-q")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    # Configuration errors name the configuration file as it was found.
    assert line.startswith(f"backend-audit: error: {project.resolve()}/{expected}"), line


def test_paths_are_relative_to_the_configuration_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "service")
    (root / "extra.yml").write_text(RULE.replace("acme-raw-sql", "acme-extra"), "utf-8")
    (root / "ci" / "rules" / ".hidden").mkdir()
    (root / "ci" / "rules" / ".hidden" / "x.yaml").write_text("not: rules", "utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.backend-audit]\nteam-rules = ["ci/rules/", "extra.yml", "./ci/rules"]\n',
        "utf-8")
    monkeypatch.chdir(tmp_path)
    rules = load_config(None, root / "app").team_rules
    assert [(r.id, r.source) for r in rules] == [("acme-raw-sql", "service/ci/rules/sql.yaml"),
                                                 ("acme-extra", "service/extra.yml")]


def test_team_ids(tmp_path: Path) -> None:
    for good in ("acme-raw-sql", "ACME101", "BAD-sql", "b_a", "x"):
        assert TEAM_ID.match(good)
    for bad in ("1abc", "acme.raw", "-x", "a--b", "a b", ""):
        assert not TEAM_ID.match(bad)
    # A name must be kebab-case; without one it is the id in lower case.
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - id: ACME_Raw\n" + _GOOD_BODY + "  - id: acme2\n" +
        _GOOD_BODY.replace("{category: sql-injection}",
                           "{category: sql-injection, name: raw-two}"), "utf-8")
    rules = load_team_rules(["r.yaml"], tmp_path, "test")
    assert [(r.id, r.name, r.severity.name, r.confidence.name) for r in rules] == [
        ("ACME_Raw", "acme_raw", "MEDIUM", "MEDIUM"), ("acme2", "raw-two", "MEDIUM", "MEDIUM")]
    # A file named twice (or also through its folder) is read once.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.backend-audit]\nteam-rules = ["r.yaml", "./r.yaml", "."]\n', "utf-8")
    assert len(load_config(None, tmp_path).team_rules) == 2
    (tmp_path / "copy.yaml").write_text((tmp_path / "r.yaml").read_text(), "utf-8")
    with pytest.raises(ConfigError, match="'acme_raw' is already used by .*r.yaml: rule"):
        load_config(None, tmp_path)


# semgrep refuses a rule ------------------------------------------------------------------


def test_semgrep_rule_errors_name_the_team_rule() -> None:
    core = {"type": "Rule parse error", "level": "error", "rule_id": "acme-x",
            "message": "Rule parse error in rule acme-x:\n Invalid pattern for Python: "
                       "Stdlib.Parsing.Parse_error\n----- pattern -----\nf(\n----- end "
                       "pattern -----\n"}
    assert _rejection(core, "Rule parse error") == \
        "Invalid pattern for Python: Stdlib.Parsing.Parse_error in pattern 'f('"
    schema = {"type": "InvalidRuleSchemaError", "level": "error",
              "long_msg": "{'id': 'acme-x', 'patern': 'f()'} is not valid under any of the "
                          "given schemas"}
    assert _rejection(schema, "InvalidRuleSchemaError") == (
        "invalid rule (is not valid under any of the given schemas; a misspelt or misplaced "
        "key?)")


def test_the_rules_file_records_where_each_rule_starts(project: Path) -> None:
    rules = [r for r in enabled_rules(_team(project), ScanOptions()) if r.engine == "semgrep"]
    text, starts = _config_text(rules)
    assert [r["id"] for r in yaml.safe_load(text)["rules"]] == [rid for _, rid in starts]
    lines = text.splitlines()
    for line, rid in starts:
        assert lines[line - 1].startswith("- ")
        following = lines[line - 1:][:60]
        assert f"id: {rid}" in "\n".join(following)


@needs_semgrep
@pytest.mark.parametrize("launcher", ["auto", "wrapper"])
def test_a_pattern_semgrep_rejects_stops_the_scan(project: Path, launcher: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(semgrep_engine.LAUNCHER_ENV, launcher)
    (project / "ci" / "rules" / "sql.yaml").write_text(
        RULE.replace("pattern: $DB.execute_raw($SQL, ...)", "pattern: $DB.execute_raw("),
        encoding="utf-8")
    result = run(".", "-q", "-j", "1", "--no-cache")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "backend-audit: error: ci/rules/sql.yaml: rule 'acme-raw-sql': semgrep rejects it: "
        "Invalid pattern for Python: Stdlib.Parsing.Parse_error in pattern "
        "'$DB.execute_raw('"]


@needs_semgrep
def test_a_rule_failing_semgreps_schema_is_found_by_its_line(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``semgrep scan`` names a rule that fails its schema by its lines in the rules file."""
    monkeypatch.setenv(semgrep_engine.LAUNCHER_ENV, "wrapper")
    broken = ("  - id: acme-second\n    message: m\n    category: auth\n    patterns:\n"
              "      - pattern: f(...)\n      - pattern-nott: g()\n")
    (project / "ci" / "rules" / "sql.yaml").write_text(RULE + broken, encoding="utf-8")
    result = run(".", "-q", "-j", "1", "--no-cache")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("backend-audit: error: ci/rules/sql.yaml: rule 'acme-second': "
                           "semgrep rejects it: invalid rule ("), line


def test_semgreps_prefilter_formulas_are_read_conservatively() -> None:
    from backend_audit.engines.gates import GateText
    from backend_audit.engines.semgrep_engine import _holds

    text = GateText("import requests\nrequests.get(url)\n")
    idents = ["Pred", ["Idents", ["requests", "get"]]]
    assert _holds(idents, text)
    assert not _holds(["Pred", ["Idents", ["httpx"]]], text)
    assert _holds(["Or", [["Pred", ["Idents", ["httpx"]]], idents]], text)
    assert not _holds(["And", [["Pred", ["Idents", ["httpx"]]], idents]], text)
    assert _holds(["Pred", ["Regexp", "(get|post)"]], text)
    assert not _holds(["Pred", ["Regexp", "^post"]], text)
    # What is not understood lets the file through.
    for odd in (["Pred", ["Regexp", "(?P<"]], ["Pred", ["Future", "x"]], ["Not", [idents]],
                "None", None, ["And"]):
        assert _holds(odd, text), odd


@needs_semgrep
def test_only_files_a_team_rule_can_match_are_sent_to_semgrep(project: Path) -> None:
    from backend_audit.engines.semgrep_engine import find_semgrep_core, semgrep_targets

    core = find_semgrep_core()
    if core is None:
        pytest.skip("semgrep-core is not beside the semgrep package")
    (project / "app" / "other.py").write_text("def f():\n    return 1\n", "utf-8")
    team = list(_team(project).team_rules)
    prefilters = semgrep_engine.team_prefilters(team, core)
    assert set(prefilters) == {"acme-raw-sql"}
    files = [(str(project / "app" / n), f"app/{n}") for n in ("orders.py", "other.py")]
    assert semgrep_targets(team, files) == files  # without its prefilter: every file
    run = semgrep_engine.SemgrepRun(team, files)
    assert run.targets == files[:1]
    assert [h.start_line for h in run.result().hits] == [5, 9, 13]


# Baseline and cache ----------------------------------------------------------------------


@needs_semgrep
def test_baseline_and_cache_follow_the_team_rule(project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cache = str(tmp_path / "cache")

    def messages() -> list[str]:
        result = run(".", "-q", "-j", "1", "-f", "json", "--cache-dir", cache)
        return [f["message"] for f in json.loads(result.output)["findings"]
                if f["rule_id"] == "acme-raw-sql"]

    first = messages()
    assert len(first) == 3 and "sends SQL text as it is" in first[0]

    # Unchanged: answered from the cache, semgrep is not started.
    class NoSemgrep:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("semgrep started for an unchanged tree and rule set")

    with monkeypatch.context() as m:
        m.setattr(semgrep_engine, "SemgrepRun", NoSemgrep)
        assert messages() == first

    # An edited rule is another rule set: its findings are computed afresh.
    rule_file = project / "ci" / "rules" / "sql.yaml"
    rule_file.write_text(RULE.replace("sends SQL text as it is", "skips binding"), "utf-8")
    assert all("skips binding" in m for m in messages())

    baseline = tmp_path / "baseline.json"
    assert run("baseline", str(baseline), ".", "-j", "1").exit_code == 0
    recorded = json.loads(baseline.read_text())
    assert sum(1 for f in recorded["findings"] if f["rule_id"] == "acme-raw-sql") == 2
    again = run(".", "-q", "-j", "1", "--baseline", str(baseline), "--cache-dir", cache,
                "--output-format", "concise")
    assert again.exit_code == 0, again.output
    assert "acme-raw-sql" not in again.output


# The README's example ---------------------------------------------------------------------


def _readme_example() -> tuple[str, str]:
    section = README.read_text(encoding="utf-8").split("### Team rules", 1)[1]
    section = section.split("\n## ", 1)[0]
    script = re.search(r"```sh\n(.*?)```", section, re.S)
    output = re.search(r"It prints.*?```text\n(.*?)```", section, re.S)
    assert script and output, "the Team rules section lost its example"
    return script.group(1), output.group(1)


def test_readme_example_rule_is_valid(tmp_path: Path) -> None:
    script, _ = _readme_example()
    body = re.search(r"cat > demo/ci/backend-rules/(\S+) <<'EOF'\n(.*?)\nEOF", script, re.S)
    assert body is not None
    (tmp_path / body.group(1)).write_text(body.group(2), encoding="utf-8")
    (rule,) = load_team_rules([body.group(1)], tmp_path, "README")
    assert rule.category == "resilience" and rule.cwe == ("CWE-400",)


@needs_semgrep
def test_readme_example_prints_what_the_readme_says(tmp_path: Path) -> None:
    script, expected = _readme_example()
    bin_dir = Path(sys.executable).parent
    if shutil.which("backend-audit", path=str(bin_dir)) is None or shutil.which("bash") is None:
        pytest.skip("backend-audit is not installed beside this Python, or no bash")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "BACKEND_AUDIT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    done = subprocess.run(["bash", "-e", "-c", script.replace(
        "backend-audit demo", "backend-audit -j 1 demo")], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    assert done.stdout == expected
