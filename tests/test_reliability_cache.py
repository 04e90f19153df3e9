"""The result cache cannot be used against the scan (issue 15; the scripts of the same
names in ../shared/reliability): a cache shipped in or next to the scanned tree is not
trusted, its files cannot hang the scan or exhaust memory, wrong-typed values are misses,
remembered findings cannot name other files, and a file edited during a scan does not
leave results of one content under the key of another."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from backend_audit.cache import FORMAT, ResultCache, ruleset_digest
from backend_audit.cache_files import key_path, tree_cache_dir
from backend_audit.cli import main
from backend_audit.config import Config
from backend_audit.engines.semgrep_engine import SemgrepHit, SemgrepResult
from backend_audit.pipeline import ScanOptions, enabled_rules, scan
from click.testing import CliRunner

from tests.flawed_app import FLAWED

SQL_LINE = 9


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    return root


def _cli(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [*args, "-q", "-f", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def _findings(report: dict) -> list[tuple]:
    return sorted((f["rule_id"], f["path"], f["start_line"])
                  for f in report["findings"])


def _cache_notes(report: dict) -> list[str]:
    return [n["message"] for n in report["notifications"] if n.get("kind") == "cache"]


def _folder(cache: Path) -> Path:
    (folder,) = (cache / f"v{FORMAT}").iterdir()
    return folder


def _signed_by_this_user(cache: Path, name: str, change) -> None:
    """Rewrite a cache file as this user's own scan would have (the strongest forgery:
    as if the key had leaked), so what stops it is the check of the values themselves."""
    digest = ruleset_digest(enabled_rules(Config(), ScanOptions()), Config())
    files = ResultCache(cache, digest)
    assert files.folder == _folder(cache)
    data = files._read(name)
    assert data, files.notifications
    change(data)
    files._write(name, data)


def _in_tree(cache: Path, name: str, change) -> None:
    """Edit a cache file as an attacker does: the JSON after the signature line."""
    path = _folder(cache) / name
    head, body = path.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    change(data)
    path.write_bytes(head + b"\n" + json.dumps(data).encode())


# cache_poison_hide


def test_the_default_cache_is_outside_the_tree_and_per_scan_root(app: Path,
                                                                   tmp_path: Path) -> None:
    code, report = _cli(str(app))
    assert code == 1 and ("BA301", "views.py", SQL_LINE) in _findings(report)
    assert sorted(p.name for p in app.iterdir()) == ["views.py"]
    ours = tree_cache_dir(app)
    assert ours is not None and (ours / f"v{FORMAT}").is_dir()
    assert ours.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    clone = tmp_path / "clone"
    shutil.copytree(app, clone)
    assert tree_cache_dir(clone) != ours
    key = key_path()
    assert key is not None and key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("how", ["edited", "signed elsewhere"])
def test_a_cache_shipped_with_the_tree_is_not_trusted(app: Path, tmp_path: Path,
                                                       monkeypatch, how: str) -> None:
    """The user keeps the cache in the tree (--cache-dir); a pull request edits it to hide
    every finding, or ships one that its author's own machine signed."""
    _, reference = _cli(str(app), "--no-cache")
    cache = app / ".backend-audit-cache"
    if how == "signed elsewhere":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "attacker-home"))
    _cli(str(app), "--cache-dir", str(cache))

    def hide(data: dict) -> None:
        for entry in data.get("entries", {}).values():
            if entry[1]:
                entry[1]["candidates"] = []
            if entry[2]:
                entry[2]["hits"] = []
        if "memo" in data:
            data["memo"]["findings"] = []

    if how == "signed elsewhere":
        _signed_by_this_user(cache, "entries.json", hide)
        _signed_by_this_user(cache, "state.json", hide)
        monkeypatch.undo()
    else:
        _in_tree(cache, "entries.json", hide)
        _in_tree(cache, "state.json", hide)
    victim = tmp_path / "victim"
    shutil.copytree(app, victim, symlinks=True)
    for _ in range(2):  # and the scan after it
        code, report = _cli(str(victim), "--cache-dir", str(victim / ".backend-audit-cache"))
        assert code == 1
        assert _findings(report) == _findings(reference)
    assert not _cache_notes(report)
    code, report = _cli(str(victim), "--cache-dir", str(cache))
    assert _findings(report) == _findings(reference)


def test_a_cache_key_inside_the_scanned_tree_is_refused(app: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(app / ".cache"))
    code, report = _cli(str(app), "--cache-dir", str(app.parent / "cache"))
    assert code == 1 and ("BA301", "views.py", SQL_LINE) in _findings(report)
    assert any("inside the scanned folder" in m for m in _cache_notes(report))
    assert not (app / ".cache").exists()


def test_an_unwritable_user_cache_only_turns_the_cache_off(app: Path, tmp_path: Path,
                                                          monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    for _ in range(2):
        code, report = _cli(str(app))
        assert code == 1 and ("BA301", "views.py", SQL_LINE) in _findings(report)
        assert any(m.startswith("result cache not used") for m in _cache_notes(report))


def test_a_symlinked_folder_in_a_chosen_cache_is_not_followed(app: Path,
                                                              tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _cli(str(app), "--cache-dir", str(cache))
    folder = _folder(cache)
    shutil.rmtree(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder.symlink_to(elsewhere)
    code, report = _cli(str(app), "--cache-dir", str(cache))
    assert code == 1 and ("BA301", "views.py", SQL_LINE) in _findings(report)
    assert any("not a folder" in m for m in _cache_notes(report))
    assert list(elsewhere.iterdir()) == []


# cache_poison_fileread and cache_memo_wrong_types


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # A subprocess with a deadline: a regression here hangs or eats memory, not the suite.
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    return subprocess.run([sys.executable, "-m", "backend_audit", *args, "-q"],
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit_memory)


def test_remembered_findings_cannot_make_reports_read_other_files(app: Path,
                                                                  tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN=ghp_example\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cache = tmp_path / "cache"
    _cli(str(app), "--cache-dir", str(cache))
    for target, fmt in ((secret, "html"), (fifo, "sarif")):
        def point(data: dict, target: Path = target) -> None:
            finding = data["memo"]["findings"][0]
            finding[5], finding[6] = str(target), [1, 1, 1, 2]

        _signed_by_this_user(cache, "state.json", point)
        out = tmp_path / f"report.{fmt}"
        proc = _run(str(app), "--cache-dir", str(cache), "-f", fmt, "-o", str(out))
        assert proc.returncode == 1, proc.stderr
        text = out.read_text(encoding="utf-8")
        assert "TOP-SECRET" not in text and str(target) not in text
        assert "views.py" in text


@pytest.mark.parametrize("fmt", ["text", "html", "github-review", "github-annotations"])
def test_wrong_typed_remembered_findings_are_a_miss(app: Path, tmp_path: Path,
                                                    fmt: str) -> None:
    cache = tmp_path / "cache"
    _, reference = _cli(str(app), "--no-cache")
    _cli(str(app), "--cache-dir", str(cache))

    def wrong_types(data: dict) -> None:
        for finding in data["memo"]["findings"]:
            finding[5], finding[0] = 12345, None

    _signed_by_this_user(cache, "state.json", wrong_types)
    result = CliRunner().invoke(main, [str(app), "--cache-dir", str(cache), "-q", "-f", fmt],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "views.py" in result.output
    for _ in range(2):  # the next scans are not poisoned
        code, report = _cli(str(app), "--cache-dir", str(cache))
        assert code == 1 and _findings(report) == _findings(reference)


# cache_file_fifo_devzero


@pytest.mark.parametrize("name", ["state.json", "entries.json"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "huge"])
def test_cache_files_that_are_not_regular_files_are_refused(app: Path, tmp_path: Path,
                                                            name: str, kind: str) -> None:
    cache = tmp_path / "cache"
    _cli(str(app), "--cache-dir", str(cache))
    path = _folder(cache) / name
    path.unlink()
    if name == "entries.json":
        (_folder(cache) / "state.json").unlink()  # so the entries are read
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "/dev/zero":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as handle:  # sparse: no disk space
            handle.truncate(6 * 2**30)
    proc = _run(str(app), "--cache-dir", str(cache), "-f", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert ("BA301", "views.py", SQL_LINE) in _findings(report)
    assert any(name in m for m in _cache_notes(report))
    assert path.is_file() and not path.is_symlink()  # replaced by a good one


# race_stale_cache

SAFE = FLAWED.replace(
    '''cur.execute(f"SELECT * FROM users WHERE name = '{name}'")''',
    '''cur.execute("SELECT * FROM users WHERE name = ?", (name,))''')


class EditingSemgrep:
    """Stands in for semgrep, which reads the files itself late in the scan: it finds a
    hit where a file has an f-string query, and first edits ``edit`` to the safe
    version, as a developer saving a file while the scan runs."""

    def __init__(self, edit: Path | None = None) -> None:
        self.edit = edit

    def __call__(self, rules, files) -> SemgrepResult:
        if self.edit is not None:
            self.edit.write_text(SAFE, encoding="utf-8")
        hits = []
        for abs_path, rel in files:
            text = Path(abs_path).read_text(encoding="utf-8")
            if "execute(f" in text:
                hits.append(SemgrepHit("BA405", rel, SQL_LINE, 5, SQL_LINE, 60))
        return SemgrepResult(hits=hits)


def test_a_file_edited_during_a_scan_leaves_no_stale_results(app: Path,
                                                              tmp_path: Path) -> None:
    views = app / "views.py"
    old = views.stat().st_mtime_ns - 10**10
    os.utime(views, ns=(old, old))

    def run(cache: Path | None, semgrep: EditingSemgrep):
        return scan([app], Config(), ScanOptions(jobs=1, cache_dir=cache),
                    semgrep_runner=semgrep)

    def key(report) -> list[tuple]:
        return sorted((f.rule_id, f.path, f.region.start_line) for f in report.findings)

    reference = key(run(None, EditingSemgrep()))
    assert ("BA405", "views.py", SQL_LINE) in reference
    cache = tmp_path / "cache"
    during = run(cache, EditingSemgrep(edit=views))
    views.write_text(FLAWED, encoding="utf-8")  # restored, same size, same old time
    os.utime(views, ns=(old, old))
    assert key(run(cache, EditingSemgrep())) == reference
    assert key(run(cache, EditingSemgrep())) == reference
    assert [n.path for n in during.notifications if n.kind == "cache"] == ["views.py"]
