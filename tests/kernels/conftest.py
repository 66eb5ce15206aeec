import pytest


@pytest.fixture(scope="session", params=[False, True], ids=["workgroup-memory", "subgroups"])
def subgroups(request, device):
    """Run each kernel both with and without subgroup operations."""
    if request.param and not device.features.subgroups:
        pytest.skip("adapter has no subgroups")
    return request.param
