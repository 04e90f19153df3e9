"""Issue 15, output: reports never harm where they are written or read.

The repro scripts behind these tests are in ../shared/reliability/:
``nonutf8_filename_crash.sh``, ``markdown_injection.sh`` and ``output_device_replaced.sh``.
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import stat
import sys
import threading
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from backend_audit import output
from backend_audit.cli import main
from backend_audit.engines.source import source_lines
from backend_audit.output import OutputError, check_destination, write_report, write_stdout
from backend_audit.reporters import render
from backend_audit.reporters.escape import markdown_code, markdown_text, terminal_text
from backend_audit.suppress import blanket_directives
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.flawed_app import FLAWED
from tests.shared_dir import shared_file
from tests.test_reporters import SOURCE, sample_report

FLAWED_LINE = 9

FORMATS = ("text", "json", "sarif", "html", "github-review", "rdjson", "github-annotations",
           "gitlab")


def scan(*args: str):
    return CliRunner().invoke(main, [*args, "--no-cache", "-q", "-j", "1"],
                              catch_exceptions=False)


def _all_formats(root: Path, out: Path, *extra: str):
    """One scan, every format written to ``out/report.<format>``."""
    targets = [a for fmt in FORMATS for a in ("-f", f"{fmt}:{out / f'report.{fmt}'}")]
    return scan(str(root), *targets, *extra)


# --- nonutf8_filename_crash.sh -------------------------------------------------------

BAD_NAME = b"bad\xffname.py"


@pytest.fixture()
def undecodable_name(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    try:
        with open(os.path.join(os.fsencode(root), BAD_NAME), "wb") as handle:
            handle.write(FLAWED.encode("utf-8"))
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    return root


def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(undecodable_name: Path,
                                                                  tmp_path: Path) -> None:
    result = _all_formats(undecodable_name, tmp_path)
    assert result.exit_code == 1, result.output
    shown = "bad\\xffname.py"
    for fmt in FORMATS:
        text = (tmp_path / f"report.{fmt}").read_bytes().decode("utf-8")  # strict UTF-8
        if fmt == "sarif":
            doc = json.loads(text)
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in doc["runs"][0]["results"]}
            assert uris == {"views.py", "bad%FFname.py"}  # the file's real bytes
            schema = json.loads(shared_file("schemas", "sarif-schema-2.1.0.json").read_text())
            jsonschema.Draft4Validator(schema).validate(doc)
        elif fmt in ("json", "github-review", "rdjson", "gitlab"):
            assert any(shown in v for v in _strings(json.loads(text))), fmt
        else:
            assert shown in html.unescape(text), fmt


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def test_a_notification_about_such_a_file_is_reported_too(undecodable_name: Path) -> None:
    (undecodable_name / os.fsdecode(BAD_NAME)).write_bytes(b"def (:\n")
    result = scan(str(undecodable_name), "-f", "json")
    assert result.exit_code == 1, result.output
    notes = json.loads(result.output)["notifications"]
    assert any(n["path"] == "bad\\xffname.py" for n in notes)


# --- markdown_injection.sh -----------------------------------------------------------

HOSTILE_ROUTE = ('/x ![pix](https://evil.example/p.png) [log in again](https://evil.example/'
                 'login) @octocat\\n\\n# Heading\\n```suggestion\\nrm -rf /\\n```')
ROUTE_APP = f'''\
import sqlite3
from flask import Flask, request
app = Flask(__name__)

@app.route("{HOSTILE_ROUTE}")
def items():
    x = request.args.get("q")
    return sqlite3.connect("d").execute(f"SELECT * FROM t WHERE v = {{x}}").fetchall()
'''


def _markdown():
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _live(rendered: str) -> list[str]:
    """What in rendered HTML came from Markdown syntax rather than plain text."""
    return re.findall(r"<(?:a|img|h\d|pre|code|ul|ol|blockquote|hr|table|del|em|strong)\b",
                      rendered)


def test_a_route_path_in_review_comments_stays_plain_text(tmp_path: Path) -> None:
    md = _markdown()
    root = tmp_path / "app"
    root.mkdir()
    (root / "r.py").write_text(ROUTE_APP, encoding="utf-8")
    out = {fmt: tmp_path / f"{fmt}.json" for fmt in ("github-review", "rdjson", "gitlab")}
    result = scan(str(root), "--min-confidence", "low",
                  *(a for fmt, p in out.items() for a in ("-f", f"{fmt}:{p}")))
    assert result.exit_code == 1, result.output
    for path in out.values():
        assert "@octocat" not in path.read_text(encoding="utf-8"), path.name

    comments = json.loads(out["github-review"].read_text())["comments"]
    body = next(c["body"] for c in comments if "evil" in c["body"])
    quoted = next(part for part in body.split("\n\n") if "evil" in part)
    assert _live(md.render(quoted)) == []
    rendered = md.render(body)
    assert not re.search(r'(?:href|src)="[^"]*evil', rendered)
    assert not re.search(r"(?m)^`{3,}suggestion", body)
    assert "<h1>" not in rendered

    messages = [d["message"] for d in json.loads(out["rdjson"].read_text())["diagnostics"]]
    assert any("evil" in m for m in messages)
    assert all(_live(md.render(m)) == [] for m in messages)


# Characters Markdown, GitHub and terminals give a meaning to, and some plain ones.
_TRICKY = st.lists(st.sampled_from(
    list("aZ09 .:/@#!-+=*_`~[]()<>&\\|$'\"{}\t\n\r") + ["www", "http", "\u202e", "\x1b",
                                                      "\x9b", "\u2028", "\x0c", "\udcff"]),
    max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TRICKY)
def test_markdown_text_renders_as_exactly_its_characters(text: str) -> None:
    md = _markdown()
    shown = terminal_text(re.sub("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", text))
    shown = shown.strip()
    escaped = markdown_text(text)
    rendered = md.render(escaped)
    if not shown:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    inner = rendered[3:-5]
    assert "<" not in inner  # no element at all inside the paragraph
    assert html.unescape(inner).replace("\u200d", "") == shown
    # Nothing GitHub would turn into a link or a notification.
    assert not re.search(r"(?i)https?://|www\.|@\w|#\d", escaped)


@given(_TRICKY)
@example(" \t\n")  # a tab is content: the renderer drops a space at each end then
def test_markdown_code_is_one_code_span_with_exactly_the_text(text: str) -> None:
    md = _markdown()
    rendered = md.render("x " + markdown_code(text))
    match = re.fullmatch(r"<p>x <code>(.*)</code></p>\n", rendered, re.DOTALL)
    assert match is not None, rendered
    one_line = terminal_text(re.sub("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", text))
    assert html.unescape(match.group(1)).replace("\u200d", "") == (one_line or " ")


def test_rdjson_and_gitlab_escape_messages_and_keep_json_lossless() -> None:
    report = sample_report(SOURCE.resolve())
    hostile = "see [docs](https://evil.example) @team\n# x \u202e\x9b"
    f = replace(report.findings[2], message=hostile)
    report = replace(report, findings=(f, report.findings[3]))
    rd = json.loads(render("rdjson", report))["diagnostics"][0]["message"]
    gl = json.loads(render("gitlab", report))[0]["description"]
    for text in (rd, gl):
        assert not re.search(r"(?<!\\)\]\(", text)  # no link: its brackets are escaped
        assert "@team" not in text and "\n" not in text
    raw = render("json", report)
    assert "\u202e" not in raw and "\x9b" not in raw  # escaped as \\u202e, \\u009b
    assert json.loads(raw)["findings"][0]["message"] == hostile


def test_sarif_messages_cannot_embed_links() -> None:
    report = sample_report(SOURCE.resolve())
    f = replace(report.findings[2], message="[log in](https://evil.example) a[0] (b)")
    doc = json.loads(render("sarif", replace(report, findings=(f,))))
    text = doc["runs"][0]["results"][0]["message"]["text"]
    assert text == "\\[log in\\](https://evil.example) a[0] (b)"


# --- C1 controls and bidi overrides ---------------------------------------------------

CONTROLS = ("\x1b[2J", "\x9b31m", "\u202e", "\u2066", "\x07")


@pytest.mark.parametrize("fmt", ["text", "github-annotations", "html"])
def test_controls_and_bidi_overrides_from_scanned_code_are_neutralised(fmt: str) -> None:
    report = sample_report(SOURCE.resolve())
    evil = "".join(f"x{c}" for c in CONTROLS)
    f = replace(report.findings[2], message=f"m{evil}", path=f"shop/v{evil}.py",
                snippet=f"    customer = {evil}")
    out = render(fmt, replace(report, findings=(f,)))
    for ch in "\x1b\x9b\u202e\u2066\x07":
        assert ch not in out, (fmt, ch)
    assert "\\u202e" in out and "\\x1b" in out


# --- line numbering -------------------------------------------------------------------

def test_form_feeds_and_line_separators_do_not_shift_report_lines(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    source = FLAWED.replace("import sqlite3\n",
                            "import sqlite3\n# page\x0cbreak, line\u2028separator\n", 1)
    (root / "views.py").write_text(source, encoding="utf-8")
    line = FLAWED_LINE + 1
    assert "cur.execute" in source_lines(source)[line - 1]
    report = tmp_path / "r.html"
    result = scan(str(root), "--select", "BA301", "-f", f"html:{report}", "-f", "json")
    assert result.exit_code == 1
    assert {f["start_line"] for f in json.loads(result.output)["findings"]} == {line}
    hits = re.findall(r'<span class="ln hit"><span class="no">(\d+)</span>([^\n<]*)',
                      report.read_text(encoding="utf-8"))
    assert hits and all(int(n) == line and "cur.execute" in html.unescape(t) for n, t in hits)


def test_blanket_ignores_are_numbered_like_python_numbers_lines() -> None:
    text = "x = 1  # \x0c \u2028\ny = 2  # backend-audit: ignore\n"
    assert blanket_directives(text) == [2]


# --- output_device_replaced.sh --------------------------------------------------------

@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "views.py").write_text(FLAWED, encoding="utf-8")
    return root


def test_a_named_pipe_is_written_in_place(project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = scan(str(project), "--select", "BA301", "-f", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert result.exit_code == 1, result.output
    assert json.loads(received[0])["findings"][0]["rule_id"] == "BA301"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_named_pipe_without_reader_is_refused(project: Path, tmp_path: Path,
                                                monkeypatch) -> None:
    monkeypatch.setattr(output, "FIFO_READER_WAIT", 0.2)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = scan(str(project), "--select", "BA301", "-f", "json", "-o", str(fifo))
    assert result.exit_code == 2
    assert "no process is reading" in result.output and "Traceback" not in result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _device(tmp_path: Path, name: str, major: int, minor: int) -> Path:
    """A look-alike of /dev/<name> in the test's folder: the real /dev is never touched."""
    node = tmp_path / name
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, AttributeError):
        pytest.skip("cannot create device nodes here (not root, or not allowed)")
    return node


def test_a_null_device_is_written_and_kept(project: Path, tmp_path: Path) -> None:
    null = _device(tmp_path, "null", 1, 3)
    result = scan(str(project), "--select", "BA301", "-f", "json", "-o", str(null))
    assert result.exit_code == 1, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_full_device_fails_with_exit_2_and_is_kept(project: Path, tmp_path: Path) -> None:
    full = _device(tmp_path, "full", 1, 7)
    result = scan(str(project), "--select", "BA301", "-f", "json", "-o", str(full))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"backend-audit: error: cannot write {full}: No space left on device"]
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_link_to_standard_output_writes_to_it(project: Path, tmp_path: Path,
                                                capfd) -> None:
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    if not os.path.exists(stdout):
        pytest.skip("no /proc/self/fd on this system")
    result = scan(str(project), "--select", "BA301", "-f", "json", "-o", str(stdout))
    assert result.exit_code == 1, result.output
    assert json.loads(capfd.readouterr().out)["findings"][0]["rule_id"] == "BA301"
    assert os.path.islink(stdout)


def test_a_link_to_a_report_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "r.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "r.json"
    link.symlink_to(target)
    write_report(link, "new")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"


def test_sockets_and_folders_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        for call in (check_destination, lambda p: write_report(p, "x")):
            with pytest.raises(OutputError, match="it is a socket"):
                call(path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()
    with pytest.raises(OutputError, match="it is a folder"):
        write_report(tmp_path, "x")


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_report_gets_the_permissions_of_any_new_file(tmp_path: Path, umask: int,
                                                           mode: int) -> None:
    old = os.umask(umask)
    try:
        write_report(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "r.json").st_mode) == mode


def test_a_replaced_report_keeps_its_permissions(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("old", encoding="utf-8")
    report.chmod(0o640)
    write_report(report, "new")
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert report.read_text(encoding="utf-8") == "new"


def test_a_full_standard_output_is_an_error(monkeypatch) -> None:
    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            pass

    class Stdout:
        buffer = Full()

        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            pass

        def fileno(self) -> int:
            raise ValueError("not a real stream")

    monkeypatch.setattr(sys, "stdout", Stdout())
    with pytest.raises(OutputError, match="standard output: No space left on device"):
        write_stdout("report")
