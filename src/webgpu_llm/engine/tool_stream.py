"""Generated text -> content pieces and tool-call pieces, as the text streams in.

A tool call is written in a fixed layout that the grammar enforces (see
conversation/tool_format.py): `trigger`, the rest of its tool's `begin`
(which names the function), the arguments as JSON, then `end`; parallel
calls are joined by `separator`. The reader turns text pieces into events
in OpenAI's streaming order: content first, then per call its start (index,
name) and its arguments in pieces. Text that may still turn out to be the
start of a trigger or an end marker is held back until it cannot.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class CallLayout:
    """How one tool's call is written: begin (from the trigger on) + arguments + end."""

    name: str
    begin: str
    end: str


@dataclass(frozen=True)
class ContentPiece:
    text: str


@dataclass(frozen=True)
class CallStart:
    index: int
    name: str


@dataclass(frozen=True)
class ArgumentsPiece:
    index: int
    text: str


ToolStreamEvent = Union[ContentPiece, CallStart, ArgumentsPiece]


def _held_back(text: str, marker: str) -> int:
    """Length of the longest tail of `text` that is a proper start of `marker`."""
    for size in range(min(len(text), len(marker) - 1), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


class ToolCallReader:
    """Feed text with `push`; call `finish` at the end. `calls` counts the calls started,
    `complete` those whose end marker arrived."""

    def __init__(self, trigger: str, layouts: list[CallLayout], separator: str = "\n"):
        self.trigger, self.layouts, self.separator = trigger, list(layouts), separator
        self._pending = ""
        self._mode = "text"  # text -> head -> arguments -> between -> head ...
        self._end = ""
        self.calls = 0
        self.complete = 0

    def push(self, text: str) -> list[ToolStreamEvent]:
        self._pending += text
        events: list[ToolStreamEvent] = []
        while True:
            progressed = getattr(self, f"_read_{self._mode}")(events)
            if not progressed:
                return events

    def finish(self) -> list[ToolStreamEvent]:
        """What is still held back: content in text mode, arguments of an unfinished call."""
        events = self.push("")
        rest, self._pending = self._pending, ""
        if rest and self._mode == "arguments":
            events.append(ArgumentsPiece(self.calls - 1, rest))
        elif rest and self._mode == "text":
            events.append(ContentPiece(rest))
        return events

    def _read_text(self, events: list[ToolStreamEvent]) -> bool:
        at = self._pending.find(self.trigger)
        if at < 0:
            keep = _held_back(self._pending, self.trigger)
            shown = self._pending[: len(self._pending) - keep]
            if shown:
                events.append(ContentPiece(shown))
            self._pending = self._pending[len(shown):]
            return False
        if at:
            events.append(ContentPiece(self._pending[:at]))
        self._pending = self._pending[at:]
        self._mode = "head"
        return True

    def _read_head(self, events: list[ToolStreamEvent]) -> bool:
        for layout in self.layouts:
            if self._pending.startswith(layout.begin):
                events.append(CallStart(self.calls, layout.name))
                self.calls += 1
                self._pending = self._pending[len(layout.begin):]
                self._end = layout.end
                self._mode = "arguments"
                return True
        return False  # the name is still being written (the grammar allows nothing else)

    def _read_arguments(self, events: list[ToolStreamEvent]) -> bool:
        index = self.calls - 1
        # JSON text never holds the end marker's newline raw, so its first match ends the call.
        at = self._pending.find(self._end)
        if at < 0:
            keep = _held_back(self._pending, self._end)
            shown = self._pending[: len(self._pending) - keep]
            if shown:
                events.append(ArgumentsPiece(index, shown))
            self._pending = self._pending[len(shown):]
            return False
        if at:
            events.append(ArgumentsPiece(index, self._pending[:at]))
        self._pending = self._pending[at + len(self._end):]
        self.complete += 1
        self._mode = "between"
        return True

    def _read_between(self, events: list[ToolStreamEvent]) -> bool:
        rest = self._pending.lstrip(self.separator) if self.separator else self._pending
        if rest.startswith(self.trigger):
            self._pending = rest
            self._mode = "head"
            return True
        return False  # a separator, or text after the last call (dropped at finish)
