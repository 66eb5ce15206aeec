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
    _pad0: int = 0
    _pad1: int = 0

    SIZE = _LAYOUT.size

    def pack(self) -> bytes:
        return _LAYOUT.pack(*astuple(self))
