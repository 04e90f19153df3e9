"""Where the tests find ../shared (the checklist and the official SARIF schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"../shared is not beside the repository ({path} missing): this test "
                    "compares against the shared checklist/schema and cannot run without it")
    return path
