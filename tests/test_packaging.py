"""Build the wheel, install it into a fresh virtualenv and scan the sample app from
outside the checkout, as a new user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.shared_dir import shared_file

REPO = Path(__file__).resolve().parents[1]
HEADLINE = {"validation", "password-storage", "sql-injection", "error-handling", "pagination"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                    str(REPO)], check=True, cwd=out)
    (found,) = out.glob("backend_audit-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    str(wheel)], check=True)
    return env_dir


def test_wheel_has_one_package_and_ships_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"backend_audit"}
    assert "backend_audit/_data/rules/categories.yaml" in names
    assert any(n.startswith("backend_audit/_data/rules/sql-injection/") for n in names)
    assert any(n.startswith("backend_audit/_data/reports/") for n in names) or \
        not any((REPO / "reports").rglob("*.*"))
    assert not any("fixtures" in n or "sample_app" in n for n in names), \
        "vulnerable example code must never ship in the wheel"


def test_installed_tool_scans_the_sample_app_from_elsewhere(installed: Path,
                                                            tmp_path: Path) -> None:
    app = tmp_path / "bookshop-src"
    shutil.copytree(REPO / "tests" / "sample_app", app)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{installed / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    exe = installed / "bin" / "backend-audit"

    missing = subprocess.run([str(exe), "does/not/exist"], cwd=workdir, env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr

    rules = subprocess.run([str(exe), "rules"], cwd=workdir, env=env, capture_output=True,
                           text=True, check=True)
    assert "BA301" in rules.stdout

    result = subprocess.run([str(exe), str(app), "--format", "sarif", "--output", "out.sarif"],
                            cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    sarif = json.loads((workdir / "out.sarif").read_text(encoding="utf-8"))
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert not [n for n in run["invocations"][0]["toolExecutionNotifications"]
                if n["descriptor"]["id"] == "semgrep"], "semgrep failed in the installed tool"
    categories = {r["properties"]["category"] for r in run["results"]}
    # Pagination reports at the audit level only (calibrated on the real-code corpus:
    # README "Accuracy on real code"); the default scan shows the other four and counts
    # what it leaves out.
    assert HEADLINE - {"pagination"} <= categories, \
        f"missing headline categories: {HEADLINE - {'pagination'} - categories}"
    assert run["properties"]["belowConfidence"] > 0
    audit = subprocess.run([str(exe), str(app), "--min-confidence", "low", "-f", "json",
                            "--no-cache"], cwd=workdir, env=env, capture_output=True, text=True)
    assert audit.returncode == 1, audit.stderr
    assert HEADLINE <= {f["category"] for f in json.loads(audit.stdout)["findings"]}
