"""Stop strings over streamed text.

The output is the generated text cut at the earliest position where any stop
string occurs, the stop string itself dropped (OpenAI: "The returned text
will not contain the stop sequence"). Text is released as soon as no stop
string can start in it; a tail that could still grow into a stop string is
held back.

"Earliest" is by start position in the text: with stops ["abcd", "bc"] and
text "abcd" the output is "". So a complete "bc" inside a pending "abc" is
not final until the next characters show whether "abcd" follows; if the
stream ends first, `flush()` applies the complete one.
"""

from __future__ import annotations

__all__ = ["StopMatcher"]


class StopMatcher:
    def __init__(self, stop_strings: list[str]):
        # An empty stop string would match before any text; it means nothing.
        self._stops = sorted({s for s in stop_strings if s}, key=len)
        self._longest = len(self._stops[-1]) if self._stops else 0
        self._held = ""
        self._stopped = False

    @property
    def stopped(self) -> bool:
        """True once a stop string has cut the text (by `push` or by `flush`)."""
        return self._stopped

    def push(self, text: str) -> tuple[str, bool]:
        """Adds text; returns (text safe to emit now, whether a stop string was found)."""
        if self._stopped:
            return "", True
        if not self._stops:
            return text, False
        held = self._held + text
        found = self._earliest_match(held)
        pending = self._earliest_partial(held)
        if found is not None and (pending is None or pending >= found):
            self._held, self._stopped = "", True
            return held[:found], True
        cut = len(held) if pending is None else pending
        self._held = held[cut:]
        return held[:cut], False

    def flush(self) -> str:
        """The held-back text once the stream has ended (cut at a pending stop string)."""
        if self._stopped:
            return ""
        held, self._held = self._held, ""
        found = self._earliest_match(held)
        if found is not None:
            self._stopped = True
            return held[:found]
        return held

    def _earliest_match(self, text: str) -> int | None:
        positions = [i for i in (text.find(s) for s in self._stops) if i >= 0]
        return min(positions) if positions else None

    def _earliest_partial(self, text: str) -> int | None:
        """Earliest position whose rest of `text` is a proper prefix of some stop string."""
        for start in range(max(0, len(text) - self._longest + 1), len(text)):
            tail = text[start:]
            if any(len(s) > len(tail) and s.startswith(tail) for s in self._stops):
                return start
        return None
