"""``backend-audit review`` posts to GitHub's REST API; here a fake API on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from backend_audit.cli import main
from backend_audit.review_post import (
    PullRequest,
    ReviewPostError,
    post_review,
    pull_request_from_env,
)
from click.testing import CliRunner

from tests.test_diff import FLAWED, REPORTS, SAFE, git, make_repo


class FakeGitHub:
    """Records requests; serves existing review comments over two pages."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, dict | None]] = []
        self.existing: list[dict] = []
        self.refuse_inline = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, payload: object, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake.requests.append(("GET", self.path, dict(self.headers), None))
                if "page=2" in self.path:
                    self._send(200, fake.existing[1:])
                else:
                    nxt = f'<{fake.url}{self.path}&page=2>; rel="next"'
                    self._send(200, fake.existing[:1], {"Link": nxt})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                fake.requests.append(("POST", self.path, dict(self.headers), body))
                if fake.refuse_inline and body.get("comments"):
                    self._send(422, {"message": "Unprocessable Entity",
                                     "errors": ["Line could not be resolved"]})
                    return
                self._send(200, {"id": 1, "html_url": "https://github.test/pr/7#review-1"})

        return Handler

    def posts(self) -> list[dict]:
        return [body for method, _, _, body in self.requests if method == "POST" and body]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture()
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _event(tmp_path: Path, repo_dir: Path) -> Path:
    head = git(repo_dir, "rev-parse", "HEAD").strip()
    base = git(repo_dir, "rev-parse", "HEAD~1").strip()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head},
                                                  "base": {"sha": base}}}))
    return event


def _env(github: FakeGitHub, event: Path) -> dict[str, str]:
    return {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": github.url}


def test_review_command_posts_one_comment_on_the_changed_line(
        github: FakeGitHub, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    event = _event(tmp_path_factory.mktemp("event"), repo)
    result = CliRunner(env=_env(github, event)).invoke(
        main, ["review", str(repo), "--select", "BA301", "-j", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "review posted (1 comment posted inline" in result.output
    *gets, post = github.requests
    assert gets and all(g[0] == "GET" and g[1].startswith("/repos/acme/shop/pulls/7/comments")
                        for g in gets)
    method, path, headers, body = post
    assert (method, path) == ("POST", "/repos/acme/shop/pulls/7/reviews")
    assert headers["Authorization"] == "Bearer t0ken"
    assert headers["Accept"] == "application/vnd.github+json"
    assert body["commit_id"] == git(repo, "rev-parse", "HEAD").strip()
    assert body["event"] == "COMMENT"
    line = REPORTS.replace(SAFE, FLAWED).splitlines().index(FLAWED) + 1
    assert [(c["path"], c["line"], c["side"]) for c in body["comments"]] == [
        ("service/reports.py", line, "RIGHT")]


def test_comments_already_on_the_pull_request_are_not_repeated(
        github: FakeGitHub, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    event = _event(tmp_path_factory.mktemp("event"), repo)
    runner = CliRunner(env=_env(github, event))
    args = ["review", str(repo), "--select", "BA301", "-j", "1"]
    runner.invoke(main, args, catch_exceptions=False)
    github.existing = [{"body": "an unrelated human comment"},
                       {"body": github.posts()[0]["comments"][0]["body"]}]
    github.requests.clear()
    second = runner.invoke(main, args, catch_exceptions=False)
    assert "nothing new to post" in second.output
    assert github.posts() == []
    assert len([r for r in github.requests if r[0] == "GET"]) == 2  # followed the Link header


def test_refused_inline_comments_are_folded_into_the_review_body(github: FakeGitHub) -> None:
    github.refuse_inline = True
    pr = PullRequest(github.url, "acme/shop", 7, "t0ken", "abc", "def")
    review = {"event": "COMMENT", "body": "**backend-audit** found 1 issue.",
              "comments": [{"path": "a.py", "line": 3, "side": "RIGHT",
                            "body": "**BA301**\n\n<!-- backend-audit:fingerprint=ab12 -->"}]}
    result = post_review(pr, review)
    assert result.folded and result.review_url == "https://github.test/pr/7#review-1"
    first, second = github.posts()
    assert first["comments"] and "comments" not in second
    assert "`a.py:3`" in second["body"] and second["commit_id"] == "abc"


def test_api_errors_are_reported_with_githubs_message(github: FakeGitHub) -> None:
    from backend_audit.review_post import _request

    github.refuse_inline = True
    pr = PullRequest(github.url, "acme/shop", 7, "t0ken")
    with pytest.raises(ReviewPostError, match="422 .*Unprocessable Entity"):
        _request(pr, "POST", f"{pr.endpoint}/reviews", {"comments": [{"path": "a.py"}]})


def test_unreachable_api_is_reported() -> None:
    closed = PullRequest("http://127.0.0.1:9", "acme/shop", 7, "t0ken")
    with pytest.raises(ReviewPostError, match="cannot reach"):
        post_review(closed, {"event": "COMMENT", "body": "x", "comments": []})


def test_settings_come_from_the_actions_environment(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "head": {"sha": "h"},
                                                  "base": {"sha": "b"}}}))
    pr = pull_request_from_env({"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "o/r",
                                "GITHUB_EVENT_PATH": str(event)})
    assert (pr.number, pr.head_sha, pr.base_sha, pr.api_url) == (12, "h", "b",
                                                                 "https://api.github.com")
    from_ref = pull_request_from_env({"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "o/r",
                                      "GITHUB_REF": "refs/pull/34/merge"},
                                     api_url="https://ghe.example/api/v3")
    assert from_ref.number == 34 and from_ref.endpoint == \
        "https://ghe.example/api/v3/repos/o/r/pulls/34"
    with pytest.raises(ReviewPostError, match="GITHUB_TOKEN"):
        pull_request_from_env({"GITHUB_REPOSITORY": "o/r", "GITHUB_REF": "refs/pull/1/merge"})


def test_review_without_pull_request_settings_is_a_usage_error(repo: Path) -> None:
    result = CliRunner(env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": "", "GITHUB_REF": "",
                            "GITHUB_EVENT_PATH": ""}).invoke(main, ["review", str(repo)])
    assert result.exit_code == 2 and "cannot post a review without" in result.output


def test_review_dry_run_prints_the_body(repo: Path) -> None:
    result = CliRunner(env={"GITHUB_TOKEN": "", "GITHUB_EVENT_PATH": ""}).invoke(
        main, ["review", str(repo), "--diff", "HEAD~1", "--dry-run", "--select", "BA301",
               "-j", "1"])
    assert result.exit_code == 0
    assert len(json.loads(result.output)["comments"]) == 1
