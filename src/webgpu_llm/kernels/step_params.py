"""Python side of `step_params.wgsl`: one struct, packed with `struct` (stdlib)."""

from __future__ import annotations

import struct
from dataclasses import astuple, dataclass

FLAG_LOGIT_BIAS = 1
FLAG_LOGPROBS = 2
FLAG_GRAMMAR = 4  # sample only tokens whose bit is set in row 1 of token_masks
_LAYOUT = struct.Struct("<5I2fI3f3I2I")  # 16 fields x 4 bytes = 64 bytes


@dataclass
class StepParams:
    pos: int = 0
    num_tokens: int = 1
    step: int = 0
    seed: int = 0
    seed_hi: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float = 1.0
    num_top_logprobs: int = 0
    flags: int = 0
    history_capacity: int = 1
    table_base: int = 0
    _pad1: int = 0

    SIZE = _LAYOUT.size

    def pack(self) -> bytes:
        return _LAYOUT.pack(*astuple(self))


_ROW = struct.Struct("<4I")


@dataclass(frozen=True)
class BatchRow:
    """One row of a batched decode step (batch_params.wgsl): a sequence's next token."""

    pos: int  # its query position: the sequence's tokens already in the KV cache
    table_base: int  # first page_table entry of the sequence's pages
    slot: int  # the sequence slot whose sampler state the row uses


def batch_params_size(capacity: int) -> int:
    return StepParams.SIZE + capacity * (_ROW.size + StepParams.SIZE)


def pack_batch(rows: list[BatchRow], samplers: list[StepParams], capacity: int) -> bytes:
    """BatchParams for len(rows) <= capacity rows; samplers[r] is row r's (its own step)."""
    if not 1 <= len(rows) <= capacity or len(samplers) != len(rows):
        raise ValueError(f"a batch of {len(rows)} rows and {len(samplers)} samplers; allowed 1..{capacity} of each")
    empty = bytes(_ROW.size)
    head = StepParams(num_tokens=len(rows)).pack()
    table = b"".join(_ROW.pack(r.pos, r.table_base, r.slot, 0) for r in rows) + empty * (capacity - len(rows))
    settings = b"".join(s.pack() for s in samplers) + bytes(StepParams.SIZE) * (capacity - len(rows))
    return head + table + settings
