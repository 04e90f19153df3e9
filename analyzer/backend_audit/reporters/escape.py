"""Text from scanned code made safe for each medium a report is read in.

Everything a scan quotes (paths, names, route strings, snippets) is chosen by whoever
wrote the scanned code. It must not crash a reporter, drive a terminal, reorder what a
reviewer sees, or become live Markdown (a link, an image, a heading, a code fence, a
mention) in a review comment. One function per medium:

- ``readable``: no lone surrogates. A file name that is not UTF-8 reaches the tool
  surrogate-escaped (PEP 383) and cannot be encoded; its bytes are shown as ``\\xff``.
- ``terminal_text``: also no control characters and no bidirectional-override
  characters (the "Trojan Source" trick), shown as escapes instead.
- ``markdown_text`` / ``markdown_code``: text or an inline code span for a Markdown
  comment that renders as exactly those characters.
- ``json_text``: a JSON document with all of the above escaped losslessly.
- ``uri_path``: a path percent-encoded from its real bytes.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar, cast
from urllib.parse import quote

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls, DEL, C1 controls (U+0080-U+009F: some terminals act on them as escape
# sequences), the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
# and the invisible direction marks that can hide them (U+200E, U+200F, U+061C), plus the
# line and paragraph separators that some viewers treat as line breaks.
_INVISIBLE = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_INVISIBLE}\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                          "\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Characters CommonMark or GitHub give a meaning to inside a line: emphasis, code spans,
# links and images, raw HTML and entities, strikethrough, math and tables. A backslash
# makes each of them literal; <, > and & are written as entities so that no HTML at all
# can appear.
_MARKDOWN_INLINE = re.compile(r"[\\`*_\[\]!~$|{}]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# At the start of a paragraph: a heading, a list item, a setext underline.
_BLOCK_START = re.compile(r"^(?:[#+\-=]|\d{1,9}[.)])")
# GitHub turns bare URLs, www. names, e-mail addresses, @mentions and #123 references
# into links (and notifications). A zero-width joiner keeps the text readable and copyable
# by eye while breaking each pattern.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)|(?<=#)(?=\w)")
_ZWJ = "\u200d"
_T = TypeVar("_T")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, surrogate-escaped
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def readable(text: str) -> str:
    """``text`` with every lone surrogate written as a visible escape; encodable as UTF-8."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: _escape_char(m.group()), text)


def terminal_text(text: str, keep: str = "\t") -> str:
    """``text`` for a terminal or a log: control, bidi and surrogate characters escaped.

    ``keep``: control characters the caller handles itself (a tab is harmless; GitHub
    workflow commands escape line breaks their own way)."""
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape_char(m.group()),
                       text)


def _one_line(text: str) -> str:
    """Line breaks become spaces: a new line is where Markdown blocks begin."""
    return _LINE_BREAKS.sub(" ", text)


def markdown_text(text: str) -> str:
    """Untrusted text for a Markdown comment, rendered as exactly these characters on one
    line: no link, image, heading, list, code, HTML, math, mention or issue reference."""
    line = terminal_text(_one_line(text)).strip()
    line = _MARKDOWN_INLINE.sub(lambda m: "\\" + m.group(), line)
    line = re.sub("[&<>]", lambda m: _ENTITIES[m.group()], line)
    line = _BLOCK_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], line)
    return _AUTOLINK.sub(_ZWJ, line)


def markdown_code(text: str) -> str:
    """Untrusted text as a Markdown inline code span (where nothing is interpreted),
    delimited by more backticks than any run inside it."""
    line = terminal_text(_one_line(text))
    longest = max((len(run) for run in re.findall("`+", line)), default=0)
    ticks = "`" * (longest + 1)
    # One space inside each end is dropped by the renderer when both are there and the
    # text is not all spaces (U+0020 only: a tab counts as content); an empty span cannot
    # be written, so it shows one space.
    pad = " " if line.strip(" ") and (line[0] in "` " or line[-1] in "` ") else ""
    line = line or " "
    # @ is not a mention inside code on GitHub, but a zero-width joiner costs nothing.
    return f"{ticks}{pad}{line.replace('@', '@' + _ZWJ)}{pad}{ticks}"


def fence(text: str, info: str = "") -> str:
    """A Markdown code fence that the text itself cannot close."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{readable(text)}\n{ticks}"


def _readable_values(value: object) -> object:
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, dict):
        return {readable(str(k)): _readable_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_readable_values(v) for v in value]
    return value


def json_safe(doc: _T) -> _T:
    """``doc`` with every string readable (encodable as UTF-8)."""
    return cast(_T, _readable_values(doc))


def json_text(doc: object) -> str:
    """``doc`` as indented UTF-8 JSON. Invisible and direction-changing characters are
    written as ``\\uXXXX`` escapes: the data is unchanged, the text is safe to print."""
    text = json.dumps(json_safe(doc), indent=2, ensure_ascii=False)
    # Outside strings a JSON document holds only ASCII, so this touches strings only.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


# SARIF plain-text messages may embed links, ``[text](target)`` (SARIF 2.1.0, 3.11.6).
_SARIF_LINK = re.compile(r"\[([^\]]*)\](?=\()")


def sarif_text(text: str) -> str:
    """A SARIF plain-text message in which scanned text cannot form an embedded link:
    the brackets of anything shaped like one are escaped, as the specification allows."""
    return _SARIF_LINK.sub(lambda m: "\\[" + m.group(1).replace("[", "\\[") + "\\]", text)


def raw_bytes(text: str) -> bytes:
    """The bytes a (possibly surrogate-escaped) path stands for."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def uri_path(path: str) -> str:
    """A relative POSIX path as a URI reference: its real bytes percent-encoded."""
    return quote(raw_bytes(path), safe="/")
