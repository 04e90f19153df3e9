"""The result cache: a warm scan reports exactly what a cold one does, only changed files
are re-analysed and re-sent to semgrep, and a damaged or unwritable cache is harmless."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit.cache import ResultCache, ruleset_digest
from backend_audit.config import Config
from backend_audit.engines import libcst_engine
from backend_audit.engines.semgrep_engine import SemgrepHit, SemgrepResult
from backend_audit.pipeline import ScanOptions, enabled_rules, scan

VIEW = '''\
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.get("/orders")
def list_orders():
    status = request.args.get("status", "open")
    cur = sqlite3.connect("shop.db").cursor()
    cur.execute(f"SELECT id, total FROM orders WHERE status = '{status}'")
    return {"orders": cur.fetchall()}
'''

SERVICE = '''\
def archive(cur, days):
    cur.execute("DELETE FROM orders WHERE age > %s" % days)
'''


class FakeSemgrep:
    """Stands in for semgrep: records which files it was sent, reports one hit per file."""

    def __init__(self) -> None:
        self.sent: list[list[str]] = []

    def __call__(self, rules, files) -> SemgrepResult:
        self.sent.append(sorted(rel for _, rel in files))
        hits = [SemgrepHit("BA405", rel, 1, 1, 1, 5) for _, rel in files] if rules else []
        return SemgrepResult(hits=hits)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "views.py").write_text(VIEW, encoding="utf-8")
    (root / "shop" / "services.py").write_text(SERVICE, encoding="utf-8")
    return root


def _scan(root: Path, cache: Path | None, semgrep: FakeSemgrep, **config):
    options = ScanOptions(jobs=1, cache_dir=cache)
    return scan([root], Config(**config), options, semgrep_runner=semgrep)


def _key(report) -> list[tuple]:
    return [(f.rule_id, f.path, f.region, f.message, f.snippet, f.fingerprint)
            for f in report.findings]


def _count_analyses(monkeypatch) -> list[str]:
    """The files the scan sends to libcst (each is analysed in a worker process)."""
    seen: list[str] = []
    real = libcst_engine.run_libcst

    def counting(tasks, *args, **kwargs):
        seen.extend(task.rel_path for task in tasks)
        return real(tasks, *args, **kwargs)

    monkeypatch.setattr(libcst_engine, "run_libcst", counting)
    return seen


def test_a_warm_scan_reports_exactly_what_a_cold_scan_does(project: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())
    assert {f.rule_id for f in cold.findings} >= {"BA301", "BA405"}
    analysed = _count_analyses(monkeypatch)
    semgrep = FakeSemgrep()
    warm = _scan(project, cache, semgrep)
    assert analysed == [] and semgrep.sent == []
    assert _key(warm) == _key(cold)
    assert warm.notifications == cold.notifications
    assert warm.stats.lines_scanned == cold.stats.lines_scanned


def test_only_the_changed_file_is_parsed_and_sent_to_semgrep(project: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    cache = tmp_path / "cache"
    _scan(project, cache, FakeSemgrep())
    services = project / "shop" / "services.py"
    services.write_text(SERVICE + "\n\ndef purge(cur):\n    cur.execute('DELETE FROM carts')\n",
                        encoding="utf-8")
    analysed = _count_analyses(monkeypatch)
    semgrep = FakeSemgrep()
    report = _scan(project, cache, semgrep)
    assert analysed == ["shop/services.py"]
    assert semgrep.sent == [["shop/services.py"]]
    assert sum(f.rule_id == "BA301" for f in report.findings) == 2


def test_changing_what_checks_read_misses_the_cache(project: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    cache = tmp_path / "cache"
    _scan(project, cache, FakeSemgrep())
    analysed = _count_analyses(monkeypatch)
    _scan(project, cache, FakeSemgrep(), sql_sinks=("shop.db.run",))
    assert sorted(analysed) == ["shop/services.py", "shop/views.py"]


def test_selecting_other_rules_misses_the_cache(project: Path, tmp_path: Path,
                                                monkeypatch) -> None:
    cache = tmp_path / "cache"
    _scan(project, cache, FakeSemgrep())
    analysed = _count_analyses(monkeypatch)
    options = ScanOptions(jobs=1, cache_dir=cache, select=("BA301",))
    report = scan([project], Config(), options, semgrep_runner=FakeSemgrep())
    assert sorted(analysed) == ["shop/services.py", "shop/views.py"]
    assert {f.rule_id for f in report.findings} == {"BA301"}


def test_damaged_cache_files_are_misses(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())
    entries, state = _cache_file(cache, "entries.json"), _cache_file(cache, "state.json")
    for damage in ("{not json", json.dumps({"entries": {"k": [1, {"candidates": 3}, []]}}),
                   json.dumps([1, 2]), entries.read_text(encoding="utf-8")[:100]):
        entries.write_text(damage, encoding="utf-8")
        state.write_text(damage, encoding="utf-8")
        assert _key(_scan(project, cache, FakeSemgrep())) == _key(cold)


def test_damaged_entries_are_misses(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())

    def damage(data: dict) -> None:
        first, second = sorted(data["entries"])
        data["entries"][first][1] = {"candidates": 3}
        data["entries"][second] = "nonsense"

    _edit_signed(cache, "entries.json", damage)
    _forget_findings(cache)
    warm = _scan(project, cache, FakeSemgrep())
    assert _key(warm) == _key(cold)
    assert [n.kind for n in warm.notifications if "wrong shape" in n.message] == ["cache"]


@pytest.mark.parametrize("findings", [
    [["BA301", "too", "short"]],
    [[None, "n", "c", "HIGH", "HIGH", 12345, [1, 1, 1, 2], "m", "s", "f", None, None]],
    [["BA301", "n", "c", "HIGH", "HIGH", "shop/views.py", [1, "1", 1, 2], "m", "s", "f",
      None, None]],
    [["BA301", "n", "c", "HIGH", "HIGH", "shop/views.py", [1, 1, 1, 2], "m", "s", "f",
      ["reason", "12"], None]],
    [["BA301", "n", "c", "SEVERE", "HIGH", "shop/views.py", [1, 1, 1, 2], "m", "s", "f",
      None, None]],
    "not a list",
])
def test_remembered_findings_of_the_wrong_shape_are_a_miss(project: Path, tmp_path: Path,
                                                           monkeypatch, findings) -> None:
    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())
    _edit_signed(cache, "state.json", lambda data: data["memo"].update(findings=findings))
    analysed = _count_analyses(monkeypatch)
    warm = _scan(project, cache, FakeSemgrep())
    assert _key(warm) == _key(cold)
    assert analysed == []  # the file entries still answer
    assert any(n.kind == "cache" and "wrong shape" in n.message for n in warm.notifications)
    # The scan remembered its own findings again: the next one is quiet and the same.
    again = _scan(project, cache, FakeSemgrep())
    assert _key(again) == _key(cold) and not _cache_notes(again)


def test_remembered_findings_must_name_scanned_files(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET\n", encoding="utf-8")
    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())

    def point_elsewhere(data: dict) -> None:
        data["memo"]["findings"][0][5] = str(secret)

    _edit_signed(cache, "state.json", point_elsewhere)
    warm = _scan(project, cache, FakeSemgrep())
    assert _key(warm) == _key(cold)
    assert all(f.path.startswith("shop/") for f in warm.findings)


def test_same_size_and_restored_mtime_is_still_a_change(project: Path, tmp_path: Path,
                                                        monkeypatch) -> None:
    import os

    cache = tmp_path / "cache"
    services = project / "shop" / "services.py"
    before = services.stat()
    old = before.st_mtime_ns - 10**10
    os.utime(services, ns=(old, old))  # old enough for its stat signature to be kept
    _scan(project, cache, FakeSemgrep())
    services.write_text(SERVICE.replace("age", "AGE"), encoding="utf-8")
    os.utime(services, ns=(old, old))
    assert services.stat().st_size == before.st_size
    analysed = _count_analyses(monkeypatch)
    report = _scan(project, cache, FakeSemgrep())
    assert analysed == ["shop/services.py"]
    assert any("AGE" in f.snippet for f in report.findings)


def test_an_unchanged_tree_is_answered_without_libcst(project: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    cache = tmp_path / "cache"
    cold = _scan(project, cache, FakeSemgrep())
    code = ("import sys\nfrom pathlib import Path\n"
            "from backend_audit.config import Config\n"
            "from backend_audit.pipeline import ScanOptions, scan\n"
            f"r = scan([Path({str(project)!r})], Config(), "
            f"ScanOptions(jobs=1, cache_dir=Path({str(cache)!r})), "
            "semgrep_runner=lambda rules, files: 1 / 0)\n"
            "print(len(r.findings), 'libcst' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(len(cold.findings)), "False"]


def _cache_file(cache: Path, name: str) -> Path:
    (found,) = cache.rglob(name)
    return found


def _forget_findings(cache: Path) -> None:
    _cache_file(cache, "state.json").unlink()


def _edit_signed(cache: Path, name: str, change, **config) -> None:
    """Change a cache file as a scan on this machine would have written it."""
    digest = ruleset_digest(enabled_rules(Config(**config), ScanOptions()), Config(**config))
    files = ResultCache(cache, digest)
    data = files._read(name)
    assert data, files.notifications
    change(data)
    files._write(name, data)


def _cache_notes(report) -> list:
    return [n for n in report.notifications if n.kind == "cache"]


def test_a_global_semgrep_failure_is_not_cached(project: Path, tmp_path: Path) -> None:
    from backend_audit.findings import Notification

    cache = tmp_path / "cache"

    def failing(rules, files) -> SemgrepResult:
        return SemgrepResult(notifications=[Notification("semgrep failed")])

    _scan(project, cache, failing)
    semgrep = FakeSemgrep()
    _scan(project, cache, semgrep)
    assert semgrep.sent == [["shop/services.py", "shop/views.py"]]


def test_the_cache_folder_keeps_itself_out_of_git(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _scan(project, cache, FakeSemgrep())
    assert (cache / ".gitignore").read_text() == "*\n"
    assert (cache / "CACHEDIR.TAG").is_file()


def test_an_unwritable_cache_does_not_stop_the_scan(project: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    report = _scan(project, blocker / "cache", FakeSemgrep())
    assert any(f.rule_id == "BA301" for f in report.findings)


def test_pruning_removes_only_old_entries(tmp_path: Path) -> None:
    from backend_audit.cache import Entry

    cache = ResultCache(tmp_path / "c", "digest")
    cache.put("aa" + "0" * 62, Entry({"x": 1}, None))
    cache.put("bb" + "0" * 62, Entry({"x": 2}, None))
    cache.save()
    again = ResultCache(tmp_path / "c", "digest")
    assert again.prune(max_age=3600) == 0
    assert again.prune(max_age=-1) == 2
    assert again.get("aa" + "0" * 62) is None


def test_earlier_formats_go_but_foreign_folders_stay(tmp_path: Path) -> None:
    from backend_audit.cache import Entry

    ours = ResultCache(tmp_path / "ours", "digest")
    ours.put("aa" + "0" * 62, Entry({"x": 1}, None))
    ours.save()
    (tmp_path / "ours" / "v1" / "ab").mkdir(parents=True)
    shared = tmp_path / "shared"
    (shared / "v1").mkdir(parents=True)
    for folder in (tmp_path / "ours", shared):
        cache = ResultCache(folder, "digest")
        cache.put("bb" + "0" * 62, Entry({"x": 2}, None))
        cache.save()
    assert not (tmp_path / "ours" / "v1").exists()
    assert (shared / "v1").is_dir()


def test_folders_of_trees_not_scanned_for_a_month_go(project: Path, tmp_path: Path) -> None:
    import os

    from backend_audit.cache import default_cache_dir

    gone = tmp_path / "gone"
    gone.mkdir()
    _scan(gone, default_cache_dir(gone), FakeSemgrep())
    old_folder = default_cache_dir(gone)
    recent = tmp_path / "recent"
    recent.mkdir()
    _scan(recent, default_cache_dir(recent), FakeSemgrep())
    month = 31 * 24 * 3600
    os.utime(old_folder, (old_folder.stat().st_atime - month,) * 2)
    _scan(project, default_cache_dir(project), FakeSemgrep())
    assert not old_folder.exists()
    assert default_cache_dir(recent).is_dir() and default_cache_dir(project).is_dir()


def test_keys_depend_on_path_and_content(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "digest")
    assert cache.key("a.py", b"x") != cache.key("b.py", b"x")
    assert cache.key("a.py", b"x") != cache.key("a.py", b"y")
    assert ResultCache(tmp_path, "other").key("a.py", b"x") != cache.key("a.py", b"x")


def test_semgrep_version_matches_its_metadata() -> None:
    from importlib import metadata

    from backend_audit.cache import _semgrep_version

    assert _semgrep_version() == metadata.version("semgrep")

