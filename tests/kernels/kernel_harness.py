"""Run one kernel on the real device (wgpu; lavapipe here) with numpy arrays.

Used by every kernel test: upload inputs, bind by the names the WGSL
declares, dispatch once in one pass, read outputs back.
"""

from __future__ import annotations

import numpy as np

from webgpu_llm.gpu.device import BufferCopy, BufferUsage, Dispatch
from webgpu_llm.kernels.step_params import StepParams

STORAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC


def run_kernel(device, variant, inputs: dict, outputs: dict, workgroups, params: StepParams | bytes | None = None,
               read=None) -> dict[str, np.ndarray]:
    """inputs: name -> array (uploaded as bytes); outputs: name -> (dtype, shape), zero-filled.

    A binding named `params` gets `params` packed into a uniform buffer (bytes as given: a
    batched step's BatchParams, step_params.pack_batch).
    Returns every output (and every input named in `read`, for in-place kernels).
    """
    buffers, shapes = {}, {}
    for name, array in inputs.items():
        data = np.ascontiguousarray(array).tobytes()
        buffers[name] = device.create_buffer(max(len(data), 4), STORAGE, name)
        device.write_buffer(buffers[name], 0, data)
        shapes[name] = (np.asarray(array).dtype, np.asarray(array).shape)
    for name, (dtype, shape) in outputs.items():
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        buffers[name] = device.create_buffer(max(nbytes, 4), STORAGE, name)
        device.write_buffer(buffers[name], 0, bytes(buffers[name].size))
        shapes[name] = (np.dtype(dtype), shape)
    if "params" in variant.bindings:
        data = params if isinstance(params, bytes) else (params or StepParams()).pack()
        buffers["params"] = device.create_buffer(len(data), BufferUsage.UNIFORM | BufferUsage.COPY_DST, "params")
        device.write_buffer(buffers["params"], 0, data)
    pipeline = device.create_pipeline(variant)
    group = device.create_bind_group(pipeline, {n: buffers[n] for n in variant.bindings})
    wanted = list(outputs) + list(read or ())
    staging = {n: device.create_buffer(buffers[n].size, BufferUsage.MAP_READ | BufferUsage.COPY_DST, n + "-read")
               for n in wanted}
    copies = [BufferCopy(buffers[n], 0, staging[n], 0, buffers[n].size) for n in wanted]
    device.submit([Dispatch(pipeline, group, tuple(workgroups))], copies)
    result = {}
    for n in wanted:
        dtype, shape = shapes[n]
        raw = device.read_buffer_sync(staging[n])
        result[n] = np.frombuffer(raw, dtype=dtype)[: int(np.prod(shape))].reshape(shape)
    for b in list(buffers.values()) + list(staging.values()):
        device.destroy_buffer(b)
    return result
