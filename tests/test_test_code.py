"""Test code is left out by default (as Semgrep's default .semgrepignore skips /tests and
/test): test folders and files below a given path are counted, not analysed; a path given
explicitly is always analysed; ``--include-tests`` or ``include-tests = true`` analyse all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit.cli import main
from backend_audit.config import Config
from backend_audit.discover import discover, is_test_file
from backend_audit.pipeline import ScanOptions, scan
from click.testing import CliRunner

SQL_FLAW = '''
import sqlite3


def find(name):
    cur = sqlite3.connect("app.db").cursor()
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cur.fetchall()
'''

APP = ("shop/views.py", "shop/testing.py", "shop/contest.py", "shop/latest.py",
       "shop/attest/models.py", "shop/testsuite.py")
TESTS = ("tests/test_views.py", "tests/helpers.py", "tests/unit/factories.py",
         "shop/test/client.py", "shop/tests.py", "shop/conftest.py", "conftest.py",
         "shop/orders_test.py", "shop/test_utils.py")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for rel in APP + TESTS:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SQL_FLAW, encoding="utf-8")
    return root


def _rels(paths: list[Path], skip_tests: bool = True) -> set[str]:
    return {rel for _, rel in discover(paths, skip_tests=skip_tests).files}


@pytest.mark.parametrize(("name", "is_test"), [
    ("test_views.py", True), ("views_test.py", True), ("tests.py", True),
    ("conftest.py", True), ("testing.py", False), ("latest.py", False),
    ("contest.py", False), ("test_data.json", False), ("attest.py", False),
])
def test_test_file_names(name: str, is_test: bool) -> None:
    assert is_test_file(name) is is_test


def test_test_folders_and_files_below_the_given_path_are_counted_not_scanned(
        tree: Path) -> None:
    found = discover([tree], skip_tests=True)
    assert {rel for _, rel in found.files} == set(APP)
    assert found.tests_skipped == len(TESTS)
    assert _rels([tree], skip_tests=False) == set(APP + TESTS)


def test_a_given_test_folder_or_file_is_scanned(tree: Path) -> None:
    assert _rels([tree / "tests"]) == {"test_views.py", "helpers.py", "unit/factories.py"}
    assert _rels([tree / "shop" / "test_utils.py"]) == {"test_utils.py"}
    assert _rels([tree / "shop", tree / "tests" / "unit"]) == {
        *(rel for rel in APP if rel.startswith("shop/")), "tests/unit/factories.py"}


def test_a_folder_inside_a_test_folder_is_scanned_when_given(tree: Path) -> None:
    # ``backend-audit tests/sample_app`` analyses the sample app.
    app = tree / "tests" / "sample_app"
    (app / "api").mkdir(parents=True)
    (app / "api" / "routes.py").write_text(SQL_FLAW, encoding="utf-8")
    (app / "api" / "test_routes.py").write_text(SQL_FLAW, encoding="utf-8")
    assert _rels([app]) == {"api/routes.py"}


def test_the_pipeline_skips_test_code_unless_configured(tree: Path) -> None:
    def scan_with(**config) -> tuple[set[str], int]:
        report = scan([tree], Config(**config), ScanOptions(jobs=1, select=("BA301",)),
                      semgrep_runner=lambda rules, files: _no_semgrep())
        return {f.path for f in report.findings}, report.extra["test_files_skipped"]

    assert scan_with() == (set(APP), len(TESTS))
    assert scan_with(include_tests=True) == (set(APP + TESTS), 0)


def _no_semgrep():
    from backend_audit.engines.semgrep_engine import SemgrepResult

    return SemgrepResult()


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_text_report_says_how_many_test_files_were_left_out(tree: Path) -> None:
    result = run(str(tree), "--select", "BA301", "-j", "1", "--no-cache")
    last = result.output.strip().splitlines()[-1]
    assert f"{len(TESTS)} test files not analysed (--include-tests to analyse them)" in last
    result = run(str(tree), "--select", "BA301", "-j", "1", "--no-cache", "--include-tests")
    assert "test file" not in result.output.strip().splitlines()[-1]


def test_include_tests_from_the_flag_or_the_config_file(tree: Path) -> None:
    def paths(*extra: str) -> set[str]:
        out = tree.parent / "r.json"
        run(str(tree), "--select", "BA301", "-j", "1", "--no-cache", "-f", "json",
            "-o", str(out), *extra)
        return {f["path"] for f in json.loads(out.read_text())["findings"]}

    assert paths() == set(APP)
    assert paths("--include-tests") == set(APP + TESTS)
    (tree / "pyproject.toml").write_text("[tool.backend-audit]\ninclude-tests = true\n")
    assert paths() == set(APP + TESTS)


def test_include_tests_must_be_a_boolean(tree: Path) -> None:
    (tree / "pyproject.toml").write_text('[tool.backend-audit]\ninclude-tests = "yes"\n')
    result = run(str(tree), "--no-cache")
    assert result.exit_code == 2 and "'include-tests' must be true or false" in result.output


def test_json_sarif_and_html_carry_the_count_of_test_files_left_out(tree: Path) -> None:
    out = tree.parent
    run(str(tree), "--select", "BA301", "-j", "1", "--no-cache", "-f", f"json:{out / 'r.json'}",
        "-f", f"sarif:{out / 'r.sarif'}", "-f", f"html:{out / 'r.html'}")
    assert json.loads((out / "r.json").read_text())["summary"]["test_files_skipped"] == \
        len(TESTS)
    sarif = json.loads((out / "r.sarif").read_text())
    assert sarif["runs"][0]["properties"]["testFilesSkipped"] == len(TESTS)
    assert f"{len(TESTS)} test files not analysed" in (out / "r.html").read_text()
