"""The generated /lib/prebuilt_app_config.js: a module Chromium imports, listing the cache.

Chromium runs in a subprocess (its own playwright driver, so it cannot clash
with a driver another test folder keeps open) and imports the module from a
page on the server's origin, as the chat app does.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server_cases import FAKE_CHAT_CONFIG, FAKE_MODEL_ID, FAKE_SHARD_BYTES, MODEL_ID
from webgpu_llm.server.app_config import app_config_js, vram_required_mb

TESTS_DIR = Path(__file__).resolve().parents[1]
IMPORT_IN_CHROMIUM = """
import json, sys
sys.path.insert(0, sys.argv[2])
import browser_support
from playwright.sync_api import sync_playwright
with sync_playwright() as driver:
    context = browser_support.launch_chromium(driver)
    page = context.new_page()
    page.goto(sys.argv[1] + "/v1/models")
    config = page.evaluate("async () => (await import('/lib/prebuilt_app_config.js')).prebuiltAppConfig")
    context.close()
print(json.dumps(config))
"""
MIB = 1 << 20


def test_chromium_imports_the_served_config(server_url, smollm2):
    result = subprocess.run([sys.executable, "-c", IMPORT_IN_CHROMIUM, server_url, str(TESTS_DIR)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.splitlines()[-1])
    assert config["cacheBackend"] == "cache"
    record = next(r for r in config["model_list"] if r["model_id"] == MODEL_ID)
    assert record["model"] == f"{server_url}/models/{MODEL_ID}"  # resolved against the module's own URL
    assert (record["model_lib"], record["required_features"], record["low_resource_required"]) == ("", [], True)
    weights_mb = sum(p.stat().st_size for p in Path(smollm2).glob("params_shard_*.bin")) / MIB
    assert weights_mb < record["vram_required_MB"] < weights_mb + 1024


def test_vram_estimate_is_weights_plus_kv_cache_plus_activations(fake_site):
    folder = fake_site / "cache" / "models" / FAKE_MODEL_ID
    m = FAKE_CHAT_CONFIG["model_config"]
    kv_cache = 2 * m["num_hidden_layers"] * m["num_key_value_heads"] * m["head_dim"] * 1024 * 4  # f32, full context
    estimate = vram_required_mb(folder, FAKE_CHAT_CONFIG)
    assert (FAKE_SHARD_BYTES + kv_cache) / MIB < estimate < (FAKE_SHARD_BYTES + kv_cache) / MIB + 1


def test_unreadable_config_is_left_out(fake_site):
    broken = fake_site / "cache" / "models" / "Broken-MLC"
    broken.mkdir()
    (broken / "mlc-chat-config.json").write_text("{not json")
    text = app_config_js({"Broken-MLC": broken, FAKE_MODEL_ID: fake_site / "cache" / "models" / FAKE_MODEL_ID})
    assert "Broken-MLC" not in text and f'model_id: "{FAKE_MODEL_ID}"' in text


@pytest.mark.parametrize("model_id", ["with space", 'quote"d'])
def test_odd_model_ids_are_escaped(fake_site, model_id):
    folder = fake_site / "cache" / "models" / FAKE_MODEL_ID
    text = app_config_js({model_id: folder})
    assert f"model_id: {json.dumps(model_id)}" in text
    assert "../models/" + model_id not in text  # the URL path segment is percent-encoded
