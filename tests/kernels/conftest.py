import pytest


@pytest.fixture(scope="session")
def device():
    """The real WebGPU device (wgpu-native; lavapipe on machines without a GPU)."""
    from webgpu_llm.gpu.native import NativeDevice

    return NativeDevice()


@pytest.fixture(scope="session", params=[False, True], ids=["workgroup-memory", "subgroups"])
def subgroups(request, device):
    """Run each kernel both with and without subgroup operations."""
    if request.param and not device.features.subgroups:
        pytest.skip("adapter has no subgroups")
    return request.param
