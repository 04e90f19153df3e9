"""Discovery details not covered through the command line (tests/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

from backend_audit.discover import discover


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
