"""A progress line on stderr for long scans, shown only to a person at a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Scans quicker than this never show a bar (no flicker on small projects).
DELAY_SECONDS = 1.0
_WIDTH = 30


class ProgressBar:
    """``bar(done, total)``: redraws at most ten times a second; ``close()`` erases it."""

    def __init__(self, stream: TextIO, delay: float = DELAY_SECONDS) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.delay = delay
        self.last_draw = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.last_draw < 0.1 and done < total):
            return
        self.last_draw = now
        filled = _WIDTH * done // total if total else _WIDTH
        percent = 100 * done // total if total else 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {percent:3d}% "
                          f"{done}/{total} files")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * (_WIDTH + 40) + "\r")
            self.stream.flush()


def progress_bar(quiet: bool, stream: TextIO | None = None) -> ProgressBar | None:
    """A bar when stderr is a terminal and the user did not ask for quiet; else None."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return None
    return ProgressBar(stream)
