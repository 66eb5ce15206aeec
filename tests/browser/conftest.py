"""A real `webgpu-llm serve` over the embedded SmolLM2 and Debian's headless Chromium (SwiftShader WebGPU)."""

import pytest
from playwright.sync_api import sync_playwright

from browser_support import REPO, launch_chromium, time_limit
from browser_cases import BROWSER_TIMEOUT_MS, TEST_TIME_LIMIT_S
from server_support import running_server


@pytest.fixture(scope="module")
def served(model_cache, smollm2_folder):
    smollm2_folder("q4f16_1")
    with running_server(model_cache, extra_args=["--examples", str(REPO / "examples")]) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def test_time_limit():
    """A test here loads a model and answers a few times on SwiftShader: minutes, not tens."""
    with time_limit(TEST_TIME_LIMIT_S):
        yield


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright):
    """A fresh profile per test (empty caches, no service worker), closed afterwards."""
    context = launch_chromium(playwright)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield context
    context.close()
