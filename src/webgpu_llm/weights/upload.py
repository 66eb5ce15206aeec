"""Weights into GPU buffers: one buffer per tensor, in its on-disk format.

Kernels read tensors exactly as stored (q4 words, f16, or float32 stored as
bf16), so loading is a byte copy with no decoding. The plan (which shard
bytes go to which buffer) is plain data: natively Python copies the bytes;
in the browser JS does it, straight from the network or the Cache API
(DESIGN.md, decision 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..gpu.device import Buffer, BufferUsage, Device, GpuError
from .artifact import Artifact, TensorRecord

WEIGHT_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST


@dataclass(frozen=True)
class UploadItem:
    name: str  # tensor name = buffer name
    shard: str  # file name of the shard
    offset: int  # byte offset in the shard
    nbytes: int


def upload_plan(artifact: Artifact) -> list[UploadItem]:
    return [UploadItem(r.name, artifact.shard_path(s).name, r.byte_offset, r.nbytes)
            for s in artifact.manifest.shards for r in s.records]


def create_weight_buffers(device: Device, artifact: Artifact) -> dict[str, Buffer]:
    """Empty buffers, one per tensor; fails early when one exceeds a binding."""
    limit = device.limits.max_storage_buffer_binding_size
    buffers = {}
    for record in artifact.manifest.records:
        if record.nbytes > limit:
            raise GpuError(f"tensor {record.name} ({record.nbytes} bytes) exceeds this adapter's "
                           f"max_storage_buffer_binding_size ({limit})")
        buffers[record.name] = device.create_buffer(record.nbytes, WEIGHT_USAGE, record.name)
    return buffers


def load_weights_native(device: Device, artifact: Artifact,
                        progress: Callable[[int, int], None] | None = None) -> dict[str, Buffer]:
    """Read each shard once and copy its tensors into their buffers."""
    buffers = create_weight_buffers(device, artifact)
    total = sum(s.nbytes for s in artifact.manifest.shards)
    done = 0
    for shard in artifact.manifest.shards:
        data = memoryview(artifact.shard_path(shard).read_bytes())
        for record in shard.records:
            device.write_buffer(buffers[record.name], 0, _padded(data, record))
        done += shard.nbytes
        if progress:
            progress(done, total)
    return buffers


def _padded(data: memoryview, record: TensorRecord) -> bytes | memoryview:
    """WebGPU writes are 4-byte multiples; an odd-sized tensor gets zero padding."""
    chunk = data[record.byte_offset: record.byte_offset + record.nbytes]
    if record.nbytes % 4:
        return bytes(chunk) + bytes(4 - record.nbytes % 4)
    return chunk
