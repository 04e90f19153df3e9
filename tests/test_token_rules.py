"""Tokens, signatures and cookies (BA607, BA608, BA904): the confidence each finding of the
fixtures carries, where the fixture annotations only say whether it fires."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from backend_audit.cli import main
from click.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"


def _findings(tmp_path: Path, fixture: str, rule: str) -> dict[int, str]:
    shutil.copy(FIXTURES / fixture, tmp_path / "app.py")
    result = CliRunner().invoke(main, [str(tmp_path), "-f", "json", "--no-cache", "-q",
                                       "--fail-on", "never", "--select", rule,
                                       "--min-confidence", "low"])
    assert result.exit_code == 0, result.output
    return {f["start_line"]: f["confidence"] for f in json.loads(result.output)["findings"]}


def _line(fixture: str, text: str) -> int:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(("text", "confidence"), [
    # HMAC-SHA1 is deprecated, not forgeable; HMAC-MD5 is for nothing new (RFC 6151)
    ("hmac.new(secret.encode(), msg=body, digestmod=hashlib.sha1)", "low"),
    ('hmac.new(key, body, "md5")', "medium"),
    # the other party fixes the algorithm: GitHub's legacy header, RFC 6238 codes
    ('expected = "sha1=" + hmac.new(secret, request.body', "low"),
    ("digest = hmac.new(key, counter.to_bytes(8", "low"),
    ("md5(f\"{settings.SECRET_KEY}:{user_id}\"", "medium"),  # the secret first: extensible
    ("sha1(f\"{user.id}:{user.email}:{settings.SECRET_KEY}\"", "low"),  # the secret last
])
def test_weak_signature_confidence(tmp_path: Path, text: str, confidence: str) -> None:
    fixture = "auth/webhook_signatures.py"
    assert _findings(tmp_path, fixture, "BA608")[_line(fixture, text)] == confidence


@pytest.mark.parametrize(("text", "confidence"), [
    ('response.set_cookie("access_token", access_token)', "high"),
    ('response.set_cookie("x", jwt.encode(', "medium"),  # judged by what it carries alone
])
def test_credential_cookie_confidence(tmp_path: Path, text: str, confidence: str) -> None:
    fixture = "cors-headers/fastapi_session_cookies.py"
    assert _findings(tmp_path, fixture, "BA904")[_line(fixture, text)] == confidence
