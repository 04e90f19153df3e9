"""BA402 on best-effort work (see fixtures/error-handling/best_effort_fallbacks.py): what
is not reported at all, what only at the audit level, and the twins that stay reported
by default because the fallback hides a failure that matters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

FIXTURE = Path(__file__).parent / "fixtures" / "error-handling" / "best_effort_fallbacks.py"


def _function_at(tree: ast.Module, line: int) -> str:
    """The innermost function whose body holds ``line``."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno > best.lineno:
                best = node
    assert best is not None, line
    return best.name


@pytest.fixture(scope="module")
def by_function() -> dict[str, str]:
    report = scan([FIXTURE], Config(min_confidence="low"), ScanOptions(select=("BA402",), jobs=1))
    tree = ast.parse(FIXTURE.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for f in report.findings:
        name = _function_at(tree, f.region.start_line)
        assert name not in found, f"two findings in {name}"
        found[name] = str(f.confidence)
    return found


@pytest.mark.parametrize(("function", "confidence"), [
    ("cached_thumbnail", "low"),      # None is the declared answer of a local read
    ("thumbnail_for_export", "medium"),  # the same read, None nowhere declared
    ("taken_at", "low"),              # Image.open parses an upload: no I/O
    ("read_sidecar_caption", "low"),  # the try's own path reaches the same return None
    ("gpu_load", "low"),              # /sys entry of optional hardware
    ("worker_memory", "low"),         # /proc of a process that may have exited
    ("transcode", "low"),             # stderr of a finished child: diagnostics
    ("sniff_mime", "low"),            # the next statement tests what the try computed
    ("owner_page", "medium"),         # the same shape around a database lookup
    ("has_fulltext", "low"),          # the flag the try computes is cleared
    ("warm_up", "medium"),            # a flag the try never computes
    ("tag_photo", "medium"),          # Optional, but a database write is hidden
    ("touch_album", "medium"),
    ("delete_original", "medium"),    # deleting a file is not releasing a resource
    ("move_to_album", "medium"),      # the raise after it reports another failure
    ("publish", "low"),               # a write inside a handler that logged already
    ("is_export_bundle", "low"),      # False from a function that answers yes or no
    ("export_manifest", "medium"),    # False in place of the file's content
    ("drop_preset", "low"),           # True when removed, False when not: told
    ("__exit__", "low"),              # removing a scratch file on the way out
    ("serve_forever", "low"),         # removing the pid file in finally
    ("host_model", "low"),            # a fixed command run for what it prints
    ("convert_upload", "medium"),     # a command on the upload, its output unread
])
def test_confidence(by_function: dict[str, str], function: str, confidence: str) -> None:
    assert by_function.get(function) == confidence


def test_release_logging_and_error_wording_are_not_reported(
        by_function: dict[str, str]) -> None:
    quiet = {"reconnect", "__del__", "render_batch", "trace_transform", "require_owner",
             "fetch_exif_remote"}
    assert not quiet & set(by_function)
