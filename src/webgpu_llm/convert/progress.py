"""A progress bar for long native jobs (conversion): one line, redrawn in place.

On a terminal the line is redrawn with a carriage return; elsewhere (CI
logs, pipes) it prints a line every tenth of the work so logs stay short.
"""

from __future__ import annotations

import time
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, total: int, label: str, stream: TextIO | None):
        self.total = max(total, 1)
        self.label = label
        self.stream = stream
        self.done = 0
        self.started = time.monotonic()
        self.interactive = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._last_tenth = -1

    def advance(self, item: str = "") -> None:
        self.done += 1
        if self.stream is None:
            return
        tenth = 10 * self.done // self.total
        if self.interactive:
            self.stream.write("\r" + self._line(item)[:120].ljust(120))
        elif tenth != self._last_tenth:
            self.stream.write(self._line(item) + "\n")
        self._last_tenth = tenth
        self.stream.flush()

    def _line(self, item: str) -> str:
        filled = BAR_WIDTH * self.done // self.total
        elapsed = time.monotonic() - self.started
        return (f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                f"{self.done}/{self.total} {elapsed:5.1f}s {item}")

    def close(self) -> None:
        if self.stream is not None and self.interactive:
            self.stream.write("\n")
            self.stream.flush()
