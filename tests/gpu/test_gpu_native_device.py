"""The native device layer on the real adapter (lavapipe here)."""

import numpy as np
import pytest

from webgpu_llm.gpu.device import BufferUsage, GpuError
from webgpu_llm.gpu.native import NativeDevice
from webgpu_llm.kernels.copy import copy_kernel, copy_workgroups
from webgpu_llm.kernels.specialize import KernelSourceError, KernelVariant, preprocess
from webgpu_llm.kernels.step_params import StepParams


@pytest.fixture(scope="module")
def device():
    return NativeDevice()


def test_adapter_reports_features_and_adapter_limits(device):
    assert device.info.name and device.info.backend
    assert device.limits.max_storage_buffer_binding_size >= 128 * 2**20  # adapter max, not the default
    if device.features.subgroups:
        assert device.features.subgroup_min_size >= 1


def test_copy_kernel_moves_every_byte_through_one_pass(device):
    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "kernels"))
    from kernel_harness import run_kernel

    data = np.random.default_rng(0).integers(0, 2**32, size=4 * 3001, dtype=np.uint32)
    out = run_kernel(device, copy_kernel(data.nbytes), {"src": data}, {"dst": (np.uint32, data.shape)},
                     copy_workgroups(data.nbytes))
    np.testing.assert_array_equal(out["dst"], data)


def test_pipelines_are_cached_by_variant_key(device):
    before = device.pipeline_count
    a = device.create_pipeline(copy_kernel(1600))
    b = device.create_pipeline(copy_kernel(1600))
    c = device.create_pipeline(copy_kernel(3200))
    assert a is b and a is not c and device.pipeline_count == before + 2


def test_bind_group_names_are_checked(device):
    pipeline = device.create_pipeline(copy_kernel(16))
    buf = device.create_buffer(16, BufferUsage.STORAGE)
    with pytest.raises(GpuError, match="missing \\['dst'\\]"):
        device.create_bind_group(pipeline, {"src": buf})


def test_a_kernel_that_does_not_compile_names_itself(device):
    variant = KernelVariant.of("copy.wgsl", WORDS4=1)  # WORKGROUP undefined
    with pytest.raises(GpuError, match="copy:main"):
        device.create_pipeline(variant)


def test_preprocessor_branches_and_errors():
    text = "a\n#if X\nb\n#elif Y\nc\n#else\nd\n#endif\n#if !X\ne\n#endif"
    assert preprocess(text, {"X": True, "Y": True}).split() == ["a", "b"]
    assert preprocess(text, {"X": False, "Y": True}).split() == ["a", "c", "e"]
    assert preprocess(text, {"X": False, "Y": False}).split() == ["a", "d", "e"]
    with pytest.raises(KernelSourceError, match="unknown flag"):
        preprocess(text, {"X": True})
    with pytest.raises(KernelSourceError, match="without #endif"):
        preprocess("#if X\na", {"X": True})


def test_subgroup_directive_only_for_tint():
    variant = KernelVariant.of("copy.wgsl", WORDS4=1, WORKGROUP=64, SUBGROUPS=True)
    assert "enable subgroups;" in variant.source("tint", None)
    assert "enable subgroups;" not in variant.source("naga", None)
    assert variant.bindings == ("src", "dst")


def test_step_params_pack_matches_the_wgsl_struct():
    import re

    from webgpu_llm.kernels.specialize import read_kernel_file

    fields = re.findall(r"^\s*(\w+): (?:u32|f32),", read_kernel_file("step_params.wgsl"), re.M)
    assert fields == [f for f in StepParams.__dataclass_fields__]
    assert len(StepParams().pack()) == StepParams.SIZE == 4 * len(fields)
    p = StepParams(pos=7, temperature=0.5, top_k=40).pack()
    assert np.frombuffer(p, np.uint32)[0] == 7 and np.frombuffer(p, np.float32)[5] == 0.5
    assert np.frombuffer(p, np.uint32)[7] == 40


def test_each_read_returns_the_copy_that_wrote_its_buffer(device):
    """read_buffer after submit(copies=...) maps on its own submission: two staging buffers
    filled from one source between two writes each return their own bytes, also in part."""
    import asyncio

    from webgpu_llm.gpu.device import BufferCopy

    rng = np.random.default_rng(1)
    first, second = (rng.integers(0, 2**32, size=1024, dtype=np.uint32) for _ in range(2))
    source = device.create_buffer(first.nbytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST)
    read = BufferUsage.MAP_READ | BufferUsage.COPY_DST
    staging = [device.create_buffer(first.nbytes, read, f"staging-{i}") for i in range(2)]
    for data, target in zip((first, second), staging):
        device.write_buffer(source, 0, data.tobytes())
        device.submit([], [BufferCopy(source, 0, target, 0, data.nbytes)])

    async def read_both():
        return (await device.read_buffer(staging[1], 256, 512), await device.read_buffer(staging[0]))

    tail_of_second, whole_first = asyncio.run(read_both())
    np.testing.assert_array_equal(np.frombuffer(whole_first, np.uint32), first)
    np.testing.assert_array_equal(np.frombuffer(tail_of_second, np.uint32), second[64:192])
    for buffer in [source, *staging]:
        device.destroy_buffer(buffer)
