"""The device in the browser: Pyodide calling web/bridge.js, which holds the WebGPU objects.

Python keeps integer ids; JS keeps the objects. A dispatch list is sent to JS
once, flat, and a step replays it by id in one call, so nothing crosses into
JS per dispatch (DESIGN.md, decision 4). Reads are the one awaited promise per
batch of tokens (decision 5). Runs only under Pyodide: `pyodide.ffi` is
imported where it is used, so this module itself imports the stdlib only.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..kernels.specialize import KernelVariant
from .device import (AdapterInfo, Buffer, BufferCopy, BufferUsage, Device, Dispatch, Features, GpuError, Limits,
                     Pipeline)

_LIMIT_NAMES = {
    "max_buffer_size": "maxBufferSize",
    "max_storage_buffer_binding_size": "maxStorageBufferBindingSize",
    "max_storage_buffers_per_shader_stage": "maxStorageBuffersPerShaderStage",
    "max_compute_workgroup_storage_size": "maxComputeWorkgroupStorageSize",
    "max_compute_invocations_per_workgroup": "maxComputeInvocationsPerWorkgroup",
    "max_compute_workgroups_per_dimension": "maxComputeWorkgroupsPerDimension",
    "min_storage_buffer_offset_alignment": "minStorageBufferOffsetAlignment",
}


def _to_js(value: Any) -> Any:
    from pyodide.ffi import to_js

    return to_js(value)


def describe_adapter(description: dict[str, Any]) -> tuple[AdapterInfo, Features, Limits]:
    """bridge.describe() -> what the engine reads about the device. SwiftShader and other
    fallback adapters are software on the CPU, like lavapipe natively."""
    software = description.get("isFallbackAdapter") or description.get("architecture") == "swiftshader"
    name = " ".join(p for p in (description.get("vendor"), description.get("architecture"),
                                description.get("device") or description.get("description")) if p)
    info = AdapterInfo(name or "WebGPU adapter", description.get("vendor", ""), "WebGPU",
                       "CPU" if software else "GPU")
    names = set(description.get("features", ()))
    features = Features("shader-f16" in names, "subgroups" in names, int(description.get("subgroupMinSize") or 0),
                        int(description.get("subgroupMaxSize") or 0), "timestamp-query" in names)
    limits = Limits(**{ours: int(description["limits"][theirs]) for ours, theirs in _LIMIT_NAMES.items()})
    return info, features, limits


class BrowserDevice(Device):
    def __init__(self, bridge: Any):
        """`bridge`: a web/bridge.js GpuBridge (a JsProxy under Pyodide)."""
        self.bridge = bridge
        self.info, self.features, self.limits = describe_adapter(json.loads(bridge.describe()))
        self._lists: dict[int, tuple[Sequence[Dispatch], int]] = {}  # id(list) -> (list kept alive, JS id)

    @property
    def target(self) -> str:
        return "tint"

    def create_buffer(self, size: int, usage: BufferUsage, label: str = "") -> Buffer:
        if size > self.limits.max_buffer_size:
            raise GpuError(f"buffer {label!r} of {size} bytes exceeds this adapter's "
                           f"max_buffer_size {self.limits.max_buffer_size}")
        aligned = max(4, (size + 3) // 4 * 4)
        return Buffer(self.bridge.createBuffer(aligned, int(usage), label), aligned, usage, label)

    def write_buffer(self, buffer: Buffer, offset: int, data) -> None:
        self.bridge.writeBuffer(buffer.handle, offset, _to_js(memoryview(data).cast("B")))

    def destroy_buffer(self, buffer: Buffer) -> None:
        self.bridge.destroyBuffer(buffer.handle)

    def _compile(self, variant: KernelVariant, source: str) -> Any:
        # Chrome compiles lazily and reports errors asynchronously: a model load checks
        # them all at once (begin_error_scope / end_error_scope).
        return self.bridge.compile(source, variant.entry_point, variant.key)

    def _bind(self, pipeline: Pipeline, entries: list[tuple[int, Buffer]]) -> Any:
        return self.bridge.bind(pipeline.handle, _to_js([b.handle for _, b in entries]))

    def _list_id(self, dispatches: Sequence[Dispatch]) -> int:
        known = self._lists.get(id(dispatches))
        if known is not None and known[0] is dispatches:
            return known[1]
        flat = []
        for d in dispatches:  # an indirect dispatch is sent as (-buffer id, 0, 0)
            grid = d.workgroups if d.indirect is None else (-d.indirect.handle, 0, 0)
            flat += (d.pipeline.handle, d.bind_group.handle, *grid)
        list_id = self.bridge.recordList(_to_js(flat))
        if isinstance(dispatches, tuple):  # the graph's lists are tuples made once: replay them by id
            self._lists[id(dispatches)] = (dispatches, list_id)
        return list_id

    def submit(self, dispatches: Sequence[Dispatch], copies: Sequence[BufferCopy] = ()) -> None:
        list_id = self._list_id(dispatches) if dispatches else 0
        flat = []
        for c in copies:
            flat += (c.source.handle, c.source_offset, c.destination.handle, c.destination_offset, c.size)
        self.bridge.submit(list_id, _to_js(flat))
        if dispatches and not isinstance(dispatches, tuple):
            self.bridge.forget(list_id)

    async def read_buffer(self, buffer: Buffer, offset: int = 0, size: int | None = None) -> bytes:
        size = buffer.size - offset if size is None else size
        data = await self.bridge.read(buffer.handle, offset, size)
        return data.to_bytes()

    def begin_error_scope(self) -> None:
        self.bridge.pushErrorScope()

    async def end_error_scope(self, what: str) -> None:
        """Raise GpuError with the device's first validation or memory error since begin."""
        message = await self.bridge.popErrorScope()
        if message:
            raise GpuError(f"{what}: {message}")

    def forget_lists(self) -> None:
        """Drop the recorded dispatch lists (a model unload)."""
        for _, list_id in self._lists.values():
            self.bridge.forget(list_id)
        self._lists.clear()
