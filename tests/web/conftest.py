"""Browser fixtures for the JS client tests: Debian's chromium, a static server, model files."""

import hashlib
import json
import os
from pathlib import Path

import pytest

import browser_support
from browser_support import PYODIDE_DIR, WEB_DIR, XGRAMMAR_DIR, StaticServer, launch_chromium

FIXTURES = Path(__file__).parent / "fixtures"


# A page.evaluate that waits on a worker which never answers would wait forever:
# every browser test gets this long, then fails.
TEST_TIME_LIMIT_S = 120


@pytest.fixture(autouse=True)
def time_limit():
    with browser_support.time_limit(TEST_TIME_LIMIT_S):
        yield


# Module scope: a running sync playwright holds an event loop in this thread, which the
# synchronous Engine of other test folders needs free.
@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def models_dir(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    return folder


@pytest.fixture
def server(models_dir):
    """fixtures/ at /, the JS client at /lib/, this test's model files at /models/, Pyodide at /pyodide/,
    web-xgrammar where `webgpu-llm serve` has it."""
    mounts = {"/lib/": WEB_DIR, "/models/": models_dir, "/pyodide/": PYODIDE_DIR, "/@mlc-ai/web-xgrammar/lib/": XGRAMMAR_DIR}
    with StaticServer(FIXTURES, mounts=mounts) as static:
        yield static


@pytest.fixture
def browser(playwright):
    """A fresh chromium profile per test: empty Cache API, IndexedDB and service workers."""
    context = launch_chromium(playwright)
    yield context
    context.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    page.goto(server.url + "/page.html")
    return page


@pytest.fixture
def make_model(models_dir, server):
    """Writes a model folder of random shards; returns its URLs and files.

    make_model(model_id, shard_sizes) -> {"model": URL of the record, "base": resolve/main/ URL,
    "shards": tensor-cache.json records, "bytes": [shard bytes], "dir": folder}
    """

    def make(model_id: str, shard_sizes=(1000, 2000), seed: int = 0):
        folder = models_dir / model_id / "resolve" / "main"
        folder.mkdir(parents=True)
        shards, contents = [], []
        for index, size in enumerate(shard_sizes):
            data = os.urandom(size)
            name = f"params_shard_{index}.bin"
            (folder / name).write_bytes(data)
            shards.append({"dataPath": name, "format": "raw-shard", "nbytes": size,
                           "md5sum": hashlib.md5(data).hexdigest(), "records": []})
            contents.append(data)
        (folder / "tensor-cache.json").write_text(json.dumps({"metadata": {}, "records": shards}))
        (folder / "mlc-chat-config.json").write_text(json.dumps({"model_type": "llama", "seed": seed}))
        (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
        return {"id": model_id, "model": f"{server.url}/models/{model_id}",
                "base": f"{server.url}/models/{model_id}/resolve/main/",
                "shards": shards, "bytes": contents, "dir": folder}

    return make


@pytest.fixture
def app_config():
    """app_config(*make_model results, backend="cache") -> an AppConfig listing them."""

    def build(*models, backend="cache"):
        return {"model_list": [{"model": m["model"], "model_id": m["id"], "model_lib": ""} for m in models],
                "cacheBackend": backend}

    return build
