"""The device interface the engine sees: WebGPU's objects, async first.

Two implementations: `native.py` (the `wgpu` package) and, in the browser,
`browser.py` (Pyodide -> web/bridge.js). Names follow the WebGPU spec. The
engine makes every buffer, pipeline and bind group at load (DESIGN.md,
decision 4); a step is a `Dispatch` list submitted as one command encoder
with one compute pass, followed by optional buffer copies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any, Mapping, Sequence

from ..kernels.specialize import KernelVariant


class GpuError(RuntimeError):
    """The device refused something (no adapter, a limit, a shader that does not compile)."""


class BufferUsage(IntFlag):
    """GPUBufferUsage bit values from the WebGPU spec."""

    MAP_READ = 0x0001
    MAP_WRITE = 0x0002
    COPY_SRC = 0x0004
    COPY_DST = 0x0008
    INDEX = 0x0010
    VERTEX = 0x0020
    UNIFORM = 0x0040
    STORAGE = 0x0080
    INDIRECT = 0x0100
    QUERY_RESOLVE = 0x0200


@dataclass(frozen=True)
class AdapterInfo:
    name: str  # e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)"
    vendor: str
    backend: str  # "Vulkan", "Metal", "D3D12", "WebGPU"
    adapter_type: str  # "DiscreteGPU", "CPU", ...


@dataclass(frozen=True)
class Features:
    shader_f16: bool
    subgroups: bool
    subgroup_min_size: int  # 0 when unknown; never assume 32 (llvmpipe differs)
    subgroup_max_size: int
    timestamp_query: bool


@dataclass(frozen=True)
class Limits:
    max_buffer_size: int
    max_storage_buffer_binding_size: int
    max_storage_buffers_per_shader_stage: int
    max_compute_workgroup_storage_size: int
    max_compute_invocations_per_workgroup: int
    max_compute_workgroups_per_dimension: int
    min_storage_buffer_offset_alignment: int


@dataclass(eq=False)
class Buffer:
    """A GPU buffer; `handle` is the implementation's object."""

    handle: Any
    size: int
    usage: BufferUsage
    label: str = ""


@dataclass(eq=False)
class Pipeline:
    handle: Any
    variant: KernelVariant


@dataclass(eq=False)
class BindGroup:
    handle: Any
    pipeline: Pipeline
    buffers: dict[str, Buffer] = field(default_factory=dict)  # kept for debugging and lifetime


@dataclass(frozen=True, eq=False)
class Dispatch:
    pipeline: Pipeline
    bind_group: BindGroup
    workgroups: tuple[int, int, int]  # with `indirect`: the most it will be
    label: str = ""
    indirect: Buffer | None = None  # workgroup counts (3 x u32 at offset 0) read from this buffer at run time


@dataclass(frozen=True, eq=False)
class BufferCopy:
    source: Buffer
    source_offset: int
    destination: Buffer
    destination_offset: int
    size: int


class Device(ABC):
    """One adapter + device. Buffers of bytes in, bytes out."""

    info: AdapterInfo
    features: Features
    limits: Limits

    @property
    def target(self) -> str:
        """Which WGSL dialect to emit: "naga" (wgpu-native) or "tint" (Chrome)."""
        return "naga"

    @abstractmethod
    def create_buffer(self, size: int, usage: BufferUsage, label: str = "") -> Buffer: ...

    @abstractmethod
    def write_buffer(self, buffer: Buffer, offset: int, data: bytes | bytearray | memoryview) -> None: ...

    @abstractmethod
    def _compile(self, variant: KernelVariant, source: str) -> Any: ...

    @abstractmethod
    def _bind(self, pipeline: Pipeline, entries: list[tuple[int, Buffer]]) -> Any: ...

    @abstractmethod
    def submit(self, dispatches: Sequence[Dispatch], copies: Sequence[BufferCopy] = ()) -> None:
        """Encode one command encoder with one compute pass (then the copies) and submit it."""

    @abstractmethod
    async def read_buffer(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> bytes:
        """Map a MAP_READ buffer and copy its bytes out; waits for submitted work."""

    @abstractmethod
    def destroy_buffer(self, buffer: Buffer) -> None: ...

    def create_pipeline(self, variant: KernelVariant) -> Pipeline:
        """A compute pipeline for `variant`, cached by its key (made once per key)."""
        cache = self.__dict__.setdefault("_pipelines", {})
        pipeline = cache.get(variant.key)
        if pipeline is None:
            source = variant.source(self.target, self.features)
            pipeline = cache[variant.key] = Pipeline(self._compile(variant, source), variant)
        return pipeline

    @property
    def pool(self):
        """This device's BufferPool (gpu/pool.py), made on first use."""
        from .pool import BufferPool

        pool = self.__dict__.get("_pool")
        if pool is None:
            pool = self._pool = BufferPool(self)
        return pool

    @property
    def pipeline_count(self) -> int:
        return len(self.__dict__.get("_pipelines", {}))

    def create_bind_group(self, pipeline: Pipeline, buffers: Mapping[str, Buffer]) -> BindGroup:
        """Bind buffers by the names the kernel declares (binding i = variant.bindings[i])."""
        names = pipeline.variant.bindings
        unknown = set(buffers) - set(names)
        missing = [n for n in names if n not in buffers]
        if unknown or missing:
            raise GpuError(f"{pipeline.variant.name}: bindings missing {missing}, unknown {sorted(unknown)}; "
                           f"the kernel declares {list(names)}")
        entries = [(i, buffers[name]) for i, name in enumerate(names)]
        return BindGroup(self._bind(pipeline, entries), pipeline, dict(buffers))
