"""Session fixtures shared across test folders."""

import io

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """A model cache private to this test session (never the user's)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def smollm2_folder(model_cache):
    """Converts the embedded SmolLM2 GGUF once per scheme, on demand."""
    from webgpu_llm.convert.default_model import prepare_embedded_model

    def prepare(quantization: str):
        return prepare_embedded_model(f"SmolLM2-135M-Instruct-{quantization}-MLC",
                                      model_cache, progress=io.StringIO())

    return prepare


@pytest.fixture(scope="session")
def gemma3_folder(model_cache):
    """Converts the embedded Gemma 3 270M GGUF once per scheme, on demand."""
    from webgpu_llm.convert.default_model import prepare_embedded_model

    def prepare(quantization: str):
        return prepare_embedded_model(f"gemma-3-270m-{quantization}-MLC", model_cache, progress=io.StringIO())

    return prepare


@pytest.fixture(scope="session")
def device():
    """The real WebGPU device (wgpu-native; lavapipe on machines without a GPU)."""
    from webgpu_llm.gpu.native import NativeDevice

    return NativeDevice()


@pytest.fixture(scope="session")
def minilm_folder(model_cache):
    """The embedded all-MiniLM-L6-v2 (q0f16), converted into the private test cache."""
    from webgpu_llm.convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID, prepare_embedded_encoder

    return prepare_embedded_encoder(DEFAULT_EMBEDDING_MODEL_ID, model_cache)


@pytest.fixture(scope="session")
def tiny_llama_folder(tmp_path_factory, smollm2_folder):
    """A tiny random-weight Llama with SmolLM2's tokenizer (q4f16_1), outside the shared cache:
    the second model of the tests that load two at once (tests/tiny_model_support.py)."""
    from tiny_model_support import TINY_MODEL_ID, write_tiny_llama

    return write_tiny_llama(tmp_path_factory.mktemp("tiny") / TINY_MODEL_ID, smollm2_folder("q4f16_1"))
