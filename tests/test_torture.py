"""Torture test (issue 15): one tree holding every file that used to crash, hang or sink
a scan, beside a flawed good file. With ``-j 1`` and with the default jobs, the scan
finishes, names every bad file, keeps the good finding and writes valid SARIF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.flawed_app import FLAWED
from tests.shared_dir import shared_file

FLAWED_LINE = 9
#: A name that is not UTF-8 (Latin-1 "café.py").
NON_UTF8_NAME = b"caf\xe9.py"


def _tree(root: Path) -> dict[str, str]:
    """Write the tree; returns {bad file as reported: a word its reason must hold}."""
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    bad = {}
    # libcst's native parser overflows its stack on this (was: exit 139, no report).
    (root / "nested.py").write_text("Z = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
                                    encoding="utf-8")
    bad["nested.py"] = "nested"
    # Deeper than any CPython compiles; libcst took minutes, then crashed.
    (root / "plus.py").write_text("x = " + " + ".join(["'a'"] * 10_000) + "\n",
                                  encoding="utf-8")
    bad["plus.py"] = "nested"
    os.mkfifo(root / "pipe.py")  # reading it would block for ever
    bad["pipe.py"] = "regular file"
    (root / "broken.py").write_text("def total(items):\n    return sum(items\n",
                                    encoding="utf-8")
    bad["broken.py"] = "does not parse"
    try:
        fd = os.open(os.fsencode(root) + b"/" + NON_UTF8_NAME,
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except (OSError, UnicodeError):
        pass  # a file system that only takes UTF-8 names
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("import os\nx = (\n")
        bad["caf"] = "does not parse"  # however the name is rendered, it starts so
    return bad


def _notified(sarif: dict) -> list[tuple[str, str]]:
    found = []
    for run in sarif["runs"]:
        for inv in run.get("invocations", []):
            for note in inv.get("toolExecutionNotifications", []):
                for loc in note.get("locations", []):
                    found.append((loc["physicalLocation"]["artifactLocation"]["uri"],
                                  note["message"]["text"]))
    return found


@pytest.mark.parametrize("jobs", [["-j", "1"], []], ids=["one-job", "default-jobs"])
def test_the_torture_tree_is_scanned_whole(tmp_path: Path, jobs: list[str]) -> None:
    root = tmp_path / "tree"
    bad = _tree(root)
    sarif_path = tmp_path / "report.sarif"
    proc = subprocess.run(
        [sys.executable, "-m", "backend_audit", str(root), "--no-cache", "-q",
         "-f", f"sarif:{sarif_path}", "-f", "text", *jobs],
        capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 1, stderr
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)

    results = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
               for run in sarif["runs"] for r in run["results"]}
    assert any(uri.endswith("views.py") and line == FLAWED_LINE and rule == "BA301"
               for uri, line, rule in results), sorted(results)
    notified = _notified(sarif)
    missing = {name: word for name, word in bad.items()
               if not any(name in uri and word in text.lower() for uri, text in notified)}
    assert not missing, f"not named with their reason: {missing}\n{notified}"
    text = proc.stdout.decode("utf-8", "replace")
    assert all(name in text for name in bad), text
