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


@pytest.fixture(scope="package")
def app_client(model_cache, smollm2):
    """The app in this process (starlette's TestClient: no socket, no subprocess) on the real SmolLM2,
    loaded by its first generation request. Far faster per request than `server_url`, for many small ones."""
    from starlette.testclient import TestClient

    from webgpu_llm.server.app import build_app
    from webgpu_llm.server.settings import ServerSettings

    app = build_app(ServerSettings(cache_root=model_cache, model=MODEL_ID))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
