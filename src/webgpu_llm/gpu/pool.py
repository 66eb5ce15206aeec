"""A buffer pool: buffers handed back are reused instead of allocated again.

Buffers are kept by (usage, size rounded up to 256 bytes): a request gets a
buffer at least as large as asked (kernels bound their reads by their own
defines, never by the buffer's size) and no memory is wasted on classes. A model
load takes its activations and staging buffers from here and an unload gives
them back, so reloading a model of the same shape allocates nothing.
"""

from __future__ import annotations

from collections import defaultdict

from .device import Buffer, BufferUsage, Device

GRANULE = 256


def size_class(size: int) -> int:
    """The pooled size for a request of `size` bytes: a whole number of 256-byte granules."""
    if size < 0:
        raise ValueError(f"buffer size must be >= 0, got {size}")
    return max(GRANULE, -(-size // GRANULE) * GRANULE)


class BufferPool:
    def __init__(self, device: Device):
        self.device = device
        self._free: dict[tuple[int, int], list[Buffer]] = defaultdict(list)
        self._lent: set[int] = set()
        self.created = 0  # buffers allocated on the device
        self.reused = 0  # requests served from returned buffers

    def acquire(self, size: int, usage: BufferUsage, label: str = "") -> Buffer:
        key = (int(usage), size_class(size))
        free = self._free[key]
        if free:
            buffer = free.pop()
            self.reused += 1
        else:
            buffer = self.device.create_buffer(key[1], usage, label)
            self.created += 1
        self._lent.add(id(buffer))
        return buffer

    def release(self, buffer: Buffer) -> None:
        """Give a buffer back; its contents are not cleared (writers initialize what they read)."""
        if id(buffer) not in self._lent:
            raise ValueError(f"buffer {buffer.label!r} was not acquired from this pool (or was released twice)")
        self._lent.discard(id(buffer))
        self._free[(int(buffer.usage), buffer.size)].append(buffer)

    @property
    def free_bytes(self) -> int:
        return sum(b.size for buffers in self._free.values() for b in buffers)

    def trim(self) -> None:
        """Destroy every buffer that is not lent out."""
        for buffers in self._free.values():
            for buffer in buffers:
                self.device.destroy_buffer(buffer)
        self._free.clear()
