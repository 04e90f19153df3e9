"""One scan of the sample app writes every format at once (``-f FORMAT:PATH`` repeated)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
from backend_audit.cli import available_formats, main
from click.testing import CliRunner

from tests.shared_dir import shared_file

SAMPLE_APP = Path(__file__).parent / "sample_app"
FILES = {"sarif": "out.sarif", "html": "report.html", "json": "out.json", "text": "out.txt",
         "github-review": "review.json", "rdjson": "out.rdjson",
         "github-annotations": "annotations.txt", "gitlab": "gl-code-quality.json"}


def test_one_scan_writes_every_format(tmp_path: Path) -> None:
    assert set(available_formats()) == set(FILES)
    app = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, app)
    out = tmp_path / "out"
    out.mkdir()
    args = [str(app), "-j", "1", "--sarif-category", "backend"]
    for fmt, name in FILES.items():
        args += ["-f", f"{fmt}:{out / name}"]
    args += ["-f", "text"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "finding" in result.output  # the unnamed text report went to stdout

    findings = json.loads((out / "out.json").read_text())["findings"]
    active = [f for f in findings if not f["suppressed"]]
    assert active, "the sample app has known flaws"

    sarif = json.loads((out / "out.sarif").read_text())
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert run["automationDetails"]["id"] == "backend/"
    assert len(run["results"]) == len(findings)
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["markdown"] and rule["properties"]["security-severity"]
        assert "security" in rule["properties"]["tags"]
    for res in run["results"]:
        assert set(res["partialFingerprints"]) == {"backendAudit/v1",
                                                   "primaryLocationLineHash"}

    review = json.loads((out / "review.json").read_text())
    assert len(review["comments"]) == len(active)
    assert len(json.loads((out / "out.rdjson").read_text())["diagnostics"]) == len(active)
    assert len(json.loads((out / "gl-code-quality.json").read_text())) == len(active)
    annotations = (out / "annotations.txt").read_text().splitlines()
    assert sum(1 for line in annotations if "title=BA" in line) == len(active)
    assert (out / "report.html").read_text().count('<li class="finding">') == len(findings)
    assert (out / "out.txt").read_text() == result.output


def test_github_action_uses_options_the_cli_has() -> None:
    import re

    import yaml
    from backend_audit.cli import review_command, scan_command

    action = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text())
    steps = {s.get("name", s.get("uses")): s for s in action["runs"]["steps"]}
    assert steps["Upload to code scanning"]["uses"].startswith(
        "github/codeql-action/upload-sarif@")
    for name, command in (("Scan", scan_command), ("Review the pull request", review_command)):
        known = {o for p in command.params for o in p.opts}
        used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", steps[name]["run"]))
        assert used <= known, f"{name} uses unknown options {used - known}"


_SQL_APP = '''\
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.get("/users")
def users():
    name = request.args["name"]
    cur = sqlite3.connect("app.db").cursor()
    cur.execute(
        f"SELECT * FROM users WHERE name = '{name}'"
    )
    return {"rows": cur.fetchall()}
'''


def _project(tmp_path: Path, config: str = "") -> Path:
    app = tmp_path / "project" / "src"
    app.mkdir(parents=True)
    (app / "app.py").write_text(_SQL_APP, encoding="utf-8")
    if config:
        (tmp_path / "project" / "pyproject.toml").write_text(
            f"[tool.backend-audit]\n{config}\n", encoding="utf-8")
    return app


def test_concise_lines_point_at_files_from_the_working_directory(
        tmp_path: Path, monkeypatch) -> None:
    app = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["project/src", "--select", "BA301", "-j", "1",
                                       "--no-cache", "--output-format", "concise"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("project/src/app.py:12:5: BA301 [sql-injection] ")
    assert (tmp_path / lines[0].split(":")[0]).resolve() == (app / "app.py").resolve()
    assert lines[1].startswith("1 finding (1 high) in 1 file")
    assert len(lines) == 2


def test_output_format_from_the_config_and_statistics(tmp_path: Path, monkeypatch) -> None:
    app = _project(tmp_path, 'output-format = "concise"')
    monkeypatch.chdir(app)
    args = [".", "--select", "BA301", "-j", "1", "--no-cache", "--statistics"]
    concise = CliRunner().invoke(main, args).output.splitlines()
    assert concise[0].startswith("1  BA301  sql-string-built")
    assert not any(line.startswith("app.py:") for line in concise)
    full = CliRunner().invoke(main, [*args, "--output-format", "full"]).output
    assert full.startswith("app.py:12:5: BA301 [sql-injection] ")
    assert "  12 | cur.execute(\n  13 |     f\"SELECT * FROM users WHERE name = '{name}'\"\n" \
        "  14 | )\n" in full
    assert "CWE-89" in full and "docs: backend-audit explain BA301" in full
    assert "\n1  BA301  sql-string-built" in full


def test_an_unknown_output_format_in_the_config_is_a_usage_error(tmp_path: Path) -> None:
    app = _project(tmp_path, 'output-format = "short"')
    result = CliRunner().invoke(main, [str(app.parent), "-j", "1", "--no-cache"])
    assert result.exit_code == 2
    assert "'output-format' must be full or concise, not 'short'" in result.output
    result = CliRunner().invoke(main, [str(app), "--output-format", "short"])
    assert result.exit_code == 2


def test_text_on_a_terminal_wraps_to_its_width_and_files_do_not(tmp_path: Path,
                                                                 monkeypatch) -> None:
    import backend_audit.cli as cli

    app = _project(tmp_path)
    monkeypatch.setattr(cli, "_report_width", lambda: 50)
    out = tmp_path / "report.txt"
    result = CliRunner().invoke(main, [str(app), "--select", "BA301", "-j", "1", "--no-cache",
                                       "-f", "text", "-f", f"text:{out}"])
    wrapped = [line for line in result.output.splitlines() if " | " not in line]
    assert max(len(line) for line in wrapped if len(line.split()) > 1) < 50
    headline = next(line for line in out.read_text().splitlines() if "BA301" in line)
    assert len(headline) > 50 and headline.endswith(".")
