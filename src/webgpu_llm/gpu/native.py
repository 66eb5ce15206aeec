"""The device over the `wgpu` package (wgpu-native: Vulkan, Metal, D3D12; lavapipe).

Native only. Asks for the adapter's own maximum buffer and binding sizes
(the WebGPU defaults, 128/256 MiB, are far below what a GPU holds) and for
shader-f16, subgroups and timestamp queries where present.
"""

from __future__ import annotations

import asyncio
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import wgpu

try:  # The raw C API under wgpu-py (pinned to 0.32): a step replays ~300 dispatches, and
    # wgpu-py's checked wrappers cost ~10 us each on the CPU, more than the GPU needs for
    # a small model's kernel. Validation still happens: wgpu-native reports pass errors
    # when the encoder finishes. Without it, the public API is used.
    from wgpu.backends.wgpu_native._ffi import ffi as _ffi, lib as _lib
except ImportError:  # pragma: no cover - another wgpu build
    _lib = None

from ..kernels.specialize import KernelVariant
from .device import (AdapterInfo, BindGroup, Buffer, BufferCopy, BufferUsage, Device, Dispatch,
                     Features, GpuError, Limits, Pipeline)

ADAPTER_ENV = "WEBGPU_LLM_ADAPTER"  # a substring of the adapter name, e.g. "llvmpipe"
OPTIONAL_FEATURES = ("shader-f16", "subgroup", "timestamp-query")
_LIMIT_NAMES = {
    "max_buffer_size": "max-buffer-size",
    "max_storage_buffer_binding_size": "max-storage-buffer-binding-size",
    "max_storage_buffers_per_shader_stage": "max-storage-buffers-per-shader-stage",
    "max_compute_workgroup_storage_size": "max-compute-workgroup-storage-size",
    "max_compute_invocations_per_workgroup": "max-compute-invocations-per-workgroup",
    "max_compute_workgroups_per_dimension": "max-compute-workgroups-per-dimension",
    "min_storage_buffer_offset_alignment": "min-storage-buffer-offset-alignment",
}


def _adapter_name(adapter) -> str:
    info = adapter.info
    return str(info.get("device") or info.get("description") or info.get("vendor"))


def list_adapters() -> list[str]:
    return [_adapter_name(a) for a in wgpu.gpu.enumerate_adapters_sync()]


def choose_adapter(name: str | None = None):
    """A real GPU when present, lavapipe otherwise; `name` (or $WEBGPU_LLM_ADAPTER) picks one."""
    wanted = name or os.environ.get(ADAPTER_ENV)
    adapters = wgpu.gpu.enumerate_adapters_sync()
    if wanted:
        for adapter in adapters:
            if wanted.lower() in _adapter_name(adapter).lower():
                return adapter
        raise GpuError(f"no adapter matching {wanted!r}; adapters: {[_adapter_name(a) for a in adapters]}")
    if not adapters:
        raise GpuError("no WebGPU adapter: install a GPU driver, or Mesa's lavapipe "
                       "(Debian: mesa-vulkan-drivers libvulkan1)")
    rank = {"DiscreteGPU": 0, "IntegratedGPU": 1, "VirtualGPU": 2, "CPU": 3}
    return min(adapters, key=lambda a: rank.get(str(a.info.get("adapter_type")), 4))


class NativeDevice(Device):
    def __init__(self, adapter_name: str | None = None):
        adapter = choose_adapter(adapter_name)
        features = [f for f in OPTIONAL_FEATURES if f in adapter.features]
        limits = {wgpu_name: adapter.limits[wgpu_name] for wgpu_name in _LIMIT_NAMES.values()}
        self._device = adapter.request_device_sync(required_features=features, required_limits=limits)
        info = adapter.info
        self.info = AdapterInfo(_adapter_name(adapter), str(info.get("vendor", "")),
                                str(info.get("backend_type", "")), str(info.get("adapter_type", "")))
        # wgpu 0.32 spells these keys "stackgroup_*"; newer versions "subgroup_*".
        sub_min = info.get("subgroup_min_size", info.get("stackgroup_min_size", 0))
        sub_max = info.get("subgroup_max_size", info.get("stackgroup_max_size", 0))
        self.features = Features("shader-f16" in features, "subgroup" in features, int(sub_min or 0),
                                 int(sub_max or 0), "timestamp-query" in features)
        self.limits = Limits(**{ours: int(self._device.limits[theirs]) for ours, theirs in _LIMIT_NAMES.items()})
        self._queue = self._device.queue
        self._written_by: dict[int, int] = {}  # id(buffer handle) -> submission that last copied into it
        self._waiter = None  # a thread that blocks on one submission (made on first read)

    def create_buffer(self, size: int, usage: BufferUsage, label: str = "") -> Buffer:
        if size > self.limits.max_buffer_size:
            raise GpuError(f"buffer {label!r} of {size} bytes exceeds this adapter's "
                           f"max_buffer_size {self.limits.max_buffer_size}")
        aligned = max(4, (size + 3) // 4 * 4)  # WebGPU sizes of mapped/copied buffers are 4-aligned
        handle = self._device.create_buffer(size=aligned, usage=int(usage), label=label)
        return Buffer(handle, aligned, usage, label)

    def write_buffer(self, buffer: Buffer, offset: int, data) -> None:
        self._queue.write_buffer(buffer.handle, offset, data)

    def destroy_buffer(self, buffer: Buffer) -> None:
        self._written_by.pop(id(buffer.handle), None)
        buffer.handle.destroy()

    def _compile(self, variant: KernelVariant, source: str) -> Any:
        try:
            module = self._device.create_shader_module(code=source, label=variant.key)
            return self._device.create_compute_pipeline(
                layout="auto", compute={"module": module, "entry_point": variant.entry_point}, label=variant.name)
        except Exception as e:  # wgpu raises GPUValidationError with naga's message
            raise GpuError(f"kernel {variant.key} does not compile: {e}") from e

    def _bind(self, pipeline: Pipeline, entries: list[tuple[int, Buffer]]) -> Any:
        layout = pipeline.handle.get_bind_group_layout(0)
        return self._device.create_bind_group(layout=layout, entries=[
            {"binding": i, "resource": {"buffer": b.handle, "offset": 0, "size": b.size}} for i, b in entries])

    def submit(self, dispatches: Sequence[Dispatch], copies: Sequence[BufferCopy] = ()) -> None:
        encoder = self._device.create_command_encoder()
        if dispatches:
            compute = encoder.begin_compute_pass()
            if _lib is not None:
                _replay_raw(compute._internal, dispatches)
            else:
                _replay(compute, dispatches)
            compute.end()
        for c in copies:
            encoder.copy_buffer_to_buffer(c.source.handle, c.source_offset, c.destination.handle,
                                          c.destination_offset, c.size)
        command_buffer = encoder.finish()
        if _lib is None:
            self._queue.submit([command_buffer])
            return
        index = _lib.wgpuQueueSubmitForIndex(self._queue._internal, 1,
                                             _ffi.new("WGPUCommandBuffer[1]", [command_buffer._internal]))
        for c in copies:
            self._written_by[id(c.destination.handle)] = index

    def time_dispatches(self, dispatches: Sequence[Dispatch]) -> list[float]:
        """GPU seconds of each dispatch, each in a compute pass of its own with timestamp writes
        at its start and end (the "timestamp-query" feature; GpuError without it). For profiles:
        a pass per dispatch adds the passes' barriers, which a real step does not pay."""
        if not self.features.timestamp_query:
            raise GpuError(f"adapter {self.info.name!r} has no timestamp queries")
        count = 2 * len(dispatches)
        queries = self._device.create_query_set(type="timestamp", count=count)
        resolved = self.create_buffer(8 * count, BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC, "timestamps")
        readback = self.create_buffer(8 * count, BufferUsage.MAP_READ | BufferUsage.COPY_DST, "timestamps-read")
        encoder = self._device.create_command_encoder()
        for i, d in enumerate(dispatches):
            compute = encoder.begin_compute_pass(timestamp_writes={
                "query_set": queries, "beginning_of_pass_write_index": 2 * i, "end_of_pass_write_index": 2 * i + 1})
            _replay(compute, [d])
            compute.end()
        encoder.resolve_query_set(queries, 0, count, resolved.handle, 0)
        encoder.copy_buffer_to_buffer(resolved.handle, 0, readback.handle, 0, 8 * count)
        self._queue.submit([encoder.finish()])
        raw = self.read_buffer_sync(readback)
        stamps = struct.unpack(f"<{count}Q", raw[:8 * count])
        for buffer in (resolved, readback):
            self.destroy_buffer(buffer)
        queries.destroy()
        return [(stamps[2 * i + 1] - stamps[2 * i]) * 1e-9 for i in range(len(dispatches))]

    async def read_buffer(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> bytes:
        size = buffer.size - offset if size is None else size
        index = self._written_by.pop(id(buffer.handle), None)
        if index is not None:
            # wgpu-py resolves a map by polling until *all* submitted work is done, which
            # drains the steps queued behind this one: map it here and wait for its own
            # submission only, on a worker thread, while later steps keep the GPU busy.
            if self._waiter is None:
                self._waiter = ThreadPoolExecutor(1, thread_name_prefix="webgpu-llm-read")
            return await asyncio.get_running_loop().run_in_executor(
                self._waiter, _read_after, self._device._internal, buffer.handle._internal, offset, size, index)
        await buffer.handle.map_async(wgpu.MapMode.READ, offset, size)
        try:
            return bytes(buffer.handle.read_mapped(offset, size, copy=True))
        finally:
            buffer.handle.unmap()

    def read_buffer_sync(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> bytes:
        """Blocking read (native tests and tools only; the engine awaits read_buffer)."""
        size = buffer.size - offset if size is None else size
        buffer.handle.map_sync(wgpu.MapMode.READ, offset, size)
        try:
            return bytes(buffer.handle.read_mapped(offset, size, copy=True))
        finally:
            buffer.handle.unmap()


def _replay(compute: Any, dispatches: Sequence[Dispatch]) -> None:
    current = None
    for d in dispatches:
        if d.pipeline is not current:  # consecutive dispatches often share one
            compute.set_pipeline(d.pipeline.handle)
            current = d.pipeline
        compute.set_bind_group(0, d.bind_group.handle)
        if d.indirect is not None:
            compute.dispatch_workgroups_indirect(d.indirect.handle, 0)
        else:
            compute.dispatch_workgroups(*d.workgroups)


def _replay_raw(pass_handle: Any, dispatches: Sequence[Dispatch]) -> None:
    set_pipeline = _lib.wgpuComputePassEncoderSetPipeline
    set_bind_group = _lib.wgpuComputePassEncoderSetBindGroup
    dispatch = _lib.wgpuComputePassEncoderDispatchWorkgroups
    dispatch_indirect = _lib.wgpuComputePassEncoderDispatchWorkgroupsIndirect
    current = None
    for d in dispatches:  # the Dispatch objects keep pipelines and bind groups alive
        if d.pipeline is not current:
            set_pipeline(pass_handle, d.pipeline.handle._internal)
            current = d.pipeline
        set_bind_group(pass_handle, 0, d.bind_group.handle._internal, 0, _ffi.NULL)
        if d.indirect is not None:
            dispatch_indirect(pass_handle, d.indirect.handle._internal, 0)
        else:
            dispatch(pass_handle, *d.workgroups)


def _read_after(device: Any, buffer: Any, offset: int, size: int, index: int) -> bytes:
    """Map `buffer` once submission `index` (its last writer) is done, copy it out, unmap."""
    status = []

    @_ffi.callback("void(WGPUMapAsyncStatus, WGPUStringView, void *, void *)")
    def on_mapped(result, _message, _userdata1, _userdata2):
        status.append(result)

    info = _ffi.new("WGPUBufferMapCallbackInfo *")
    info.mode = _lib.WGPUCallbackMode_AllowProcessEvents
    info.callback = on_mapped
    _lib.wgpuBufferMapAsync(buffer, _lib.WGPUMapMode_Read, offset, size, info[0])
    # A poll that finds the submission done runs the map callback. Should the map still be
    # pending after that (the buffer was used later), wait for everything rather than spin.
    submission = _ffi.new("WGPUSubmissionIndex *", index)
    while not status:
        _lib.wgpuDevicePoll(device, True, submission)
        submission = _ffi.NULL
    if status[0] != _lib.WGPUMapAsyncStatus_Success:
        raise GpuError(f"could not map a read-back buffer (status {status[0]})")
    try:
        return bytes(_ffi.buffer(_lib.wgpuBufferGetConstMappedRange(buffer, offset, size), size))
    finally:
        _lib.wgpuBufferUnmap(buffer)
