"""Python side of `encoder_params.wgsl`: one struct, packed with `struct` (stdlib)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_LAYOUT = struct.Struct("<4I")


@dataclass(frozen=True, slots=True)
class EncoderParams:
    seq_len: int
    batch: int

    SIZE = _LAYOUT.size

    @property
    def rows(self) -> int:
        return self.seq_len * self.batch

    def pack(self) -> bytes:
        return _LAYOUT.pack(self.rows, self.seq_len, self.batch, 0)
