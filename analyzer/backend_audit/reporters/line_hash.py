"""GitHub's ``primaryLocationLineHash``, computed the way its SARIF upload action does.

If a result carries no such fingerprint, github/codeql-action's upload step computes one
from the checked-out file; results that already carry one are kept as they are (it only
warns on a mismatch). Computing the same value here means the SARIF file is identical
whether or not it goes through that action, and alerts keep their identity on GitHub.

The algorithm (codeql-action ``fingerprints.ts``): a Rabin-Karp style rolling hash over
the UTF-16 code units of the file with spaces and tabs dropped and line endings folded
to ``\\n``; each line's hash covers the ``BLOCK_SIZE`` characters that start at it (so
it depends on the following lines too); the end of input is marked by the code unit
65535 followed by zeros. Arithmetic wraps at 64 bits, the value is printed as unsigned
hex, and ``:n`` counts the occurrences of that hash so far in the file.
"""

from __future__ import annotations

from collections import Counter

BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, BLOCK_SIZE, 1 << 64)
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13
_EOF = 65535


def _code_units(text: str) -> list[int]:
    """UTF-16 code units, as JavaScript's ``charCodeAt`` sees the file."""
    data = text.encode("utf-16-le", errors="surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def line_hashes(text: str) -> list[str]:
    """``hash:occurrence`` for every line of ``text`` (index 0 is line 1).

    Like the upload action, a text ending in a newline has one more, empty, last line.
    """
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    state = {"hash": 0, "index": 0}
    counts: Counter[str] = Counter()
    out: dict[int, str] = {}

    def output() -> None:
        index = state["index"]
        value = format(state["hash"], "x")
        counts[value] += 1
        out[line_numbers[index]] = f"{value}:{counts[value]}"
        line_numbers[index] = -1

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (_MOD * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (index + 1) % BLOCK_SIZE

    line_number = 0
    line_start = True
    prev_cr = False
    for current in [*_code_units(text), _EOF]:
        if current in (_SPACE, _TAB) or (prev_cr and current == _LF):
            prev_cr = False
            continue
        if current == _CR:
            current = _LF
            prev_cr = True
        else:
            prev_cr = False
        if line_numbers[state["index"]] != -1:
            output()
        if line_start:
            line_start = False
            line_number += 1
            line_numbers[state["index"]] = line_number
        if current == _LF:
            line_start = True
        update(current)
    for _ in range(BLOCK_SIZE):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return [out[n] for n in sorted(out)]
