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
    assert (out / "report.html").read_text().count('<tbody class="finding') == len(findings)
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
