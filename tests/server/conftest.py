"""One real `webgpu-llm serve` for the tests of this folder: the model loads once."""

import pytest

from server_cases import MODEL_ID
from server_support import running_server


@pytest.fixture(scope="package")
def smollm2(smollm2_folder):
    """The embedded SmolLM2 q4f16_1, converted into the private test cache."""
    return smollm2_folder("q4f16_1")


@pytest.fixture(scope="package")
def server_url(model_cache, smollm2):
    with running_server(model_cache, model=MODEL_ID) as url:
        yield url


@pytest.fixture
def fake_site(tmp_path):
    """Folders for an in-process app (no engine is ever loaded): a web/ with app/, a cache holding
    one fake model, and a secret file outside both, which symlinks inside them point at."""
    from server_cases import write_fake_site

    return write_fake_site(tmp_path)
