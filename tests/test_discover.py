"""Discovery details not covered through the command line (tests/test_cli.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from backend_audit.discover import DiscoveryError, discover


def test_simple_and_gitignore_style_excludes_match_alike(tmp_path: Path) -> None:
    for rel in ("app/views.py", "app/build/gen.py", "pkg.egg-info/x.py", "app/migrations/m.py",
                "docs/conf.py", "app/docs/keep.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n", encoding="utf-8")

    def rels(*extend: str) -> set[str]:
        return {rel for _, rel in discover([tmp_path], extend_exclude=extend).files}

    assert rels() == {"app/views.py", "app/migrations/m.py", "docs/conf.py", "app/docs/keep.py"}
    assert rels("migrations") == {"app/views.py", "docs/conf.py", "app/docs/keep.py"}
    assert rels("mig*") == rels("migrations") == rels("[m]igrations")


def test_named_devices_and_fifos_are_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    os.symlink("/dev/zero", tmp_path / "zero.py")
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    found = discover([tmp_path / "pipe.py", tmp_path / "zero.py", tmp_path / "ok.py"])
    # (the scan root is where the paths resolve: the link makes it /)
    assert [Path(rel).name for _, rel in found.files] == ["ok.py"]
    assert sorted(Path(n.path or "").name for n in found.notifications) == \
        ["pipe.py", "zero.py"]
    assert all("not a regular file" in n.message for n in found.notifications)


def test_an_invalid_exclude_pattern_given_to_discovery_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match=r"\[z-a\]"):
        discover([tmp_path], extend_exclude=("[z-a]",))


def test_a_gitignore_with_an_unusable_pattern_is_still_honoured(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("[z-a]\ngenerated.py\n", encoding="utf-8")
    (tmp_path / "generated.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "views.py").write_text("x = 1\n", encoding="utf-8")
    found = discover([tmp_path])
    assert [rel for _, rel in found.files] == ["views.py"]
    [note] = found.notifications
    assert note.path == ".gitignore" and "'[z-a]'" in note.message


def test_a_path_behind_an_unsearchable_folder_is_not_called_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend_audit import discover as discover_module

    assert discover_module.path_problem(tmp_path) is None
    assert discover_module.path_problem(tmp_path / "nope") == \
        f"path does not exist: {tmp_path / 'nope'}"

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(discover_module.os, "lstat", denied)
    assert discover_module.path_problem(tmp_path / "app") == \
        f"cannot access {tmp_path / 'app'}: permission denied"
