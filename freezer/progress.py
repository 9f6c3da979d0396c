"""What a build is doing while it does it: phases and counts, for the user.

A cold build of a big app takes a minute; silence for that long reads as a hang.
The stages report through `current()`, as they would log; the CLI chooses how it
shows: one line redrawn in place on a terminal, one timed line per phase
otherwise (logs, CI), nothing with -q.  Reports go to stderr, as the rest of
freeze's messages; stdout stays for what a command prints.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Shows nothing: the default (library use, tests) and -q."""

    def phase(self, text: str, total: int = 0) -> None:
        """A new phase begins; `total` counts the steps it will advance by, if known."""

    def advance(self, count: int = 1) -> None:
        """`count` more steps of the current phase are done."""

    def detail(self, text: str) -> None:
        """A decision the build made (shown with -v)."""

    def clear(self) -> None:
        """Before other output: take away a line being redrawn."""


class Lines(Progress):
    """One line per phase, with the seconds since the build began."""

    def __init__(self, stream: TextIO = sys.stderr, verbose: bool = False) -> None:
        self.stream, self.verbose = stream, verbose
        self.started = time.monotonic()

    def elapsed(self) -> str:
        return f"[{time.monotonic() - self.started:5.1f}s]"

    def phase(self, text: str, total: int = 0) -> None:
        self.stream.write(f"{self.elapsed()} {text}\n")
        self.stream.flush()

    def detail(self, text: str) -> None:
        if self.verbose:
            self.clear()
            self.stream.write(f"        {text}\n")


class Bar(Lines):
    """On a terminal: the current phase, its count and a bar, redrawn in place at
    most ten times a second."""

    WIDTH = 24

    def __init__(self, stream: TextIO = sys.stderr, verbose: bool = False) -> None:
        super().__init__(stream, verbose)
        self.text, self.total, self.done, self.drawn, self.shown = "", 0, 0, 0.0, False

    def phase(self, text: str, total: int = 0) -> None:
        self.text, self.total, self.done = text, total, 0
        self._draw(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.drawn < 0.1:
            return
        self.drawn = now
        count = ""
        if self.total:
            filled = self.WIDTH * min(self.done, self.total) // self.total
            count = f" [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done:,}/{self.total:,}"
        elif self.done:
            count = f" ({self.done:,} so far)"
        self.stream.write(f"\r\033[K{self.elapsed()} {self.text}{count}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


_current: Progress = Progress()


def current() -> Progress:
    return _current


def show(progress: Progress) -> None:
    """Report through `progress` from now on (the CLI's choice)."""
    global _current
    _current = progress
