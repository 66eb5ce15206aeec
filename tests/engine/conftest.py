import pytest


@pytest.fixture(scope="session")
def engine(smollm2_folder, device):
    """The real SmolLM2-135M-Instruct q4f16_1 on the real device (lavapipe here)."""
    from webgpu_llm.engine import Engine

    return Engine(smollm2_folder("q4f16_1"), device=device, context_window_size=256, prefill_chunk_size=64)
