"""Shared by the tests of this folder (pytest puts this folder on sys.path: it has no __init__.py)."""

MODEL_ID = "SmolLM2-135M-Instruct-q4f16_1-MLC"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]

FAKE_MODEL_ID = "Fake-q4f16_1-MLC"
SECRET = "top secret 8c1f0e"
# A tiny Llama shape for the generated app config: the numbers only feed the VRAM estimate.
FAKE_CHAT_CONFIG = {
    "model_type": "llama", "quantization": "q4f16_1", "context_window_size": 1024, "prefill_chunk_size": 64,
    "model_config": {"hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
                     "num_key_value_heads": 2, "head_dim": 16, "num_hidden_layers": 2, "vocab_size": 1000},
}
FAKE_SHARD_BYTES = 1 << 20


def write_fake_site(root):
    """root/web (version.js, nested/, app/), root/cache/models/<FAKE_MODEL_ID>, root/outside/secret.txt."""
    import json

    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    web = root / "web"
    (web / "app").mkdir(parents=True)
    (web / "nested").mkdir()
    (web / "version.js").write_text('export const VERSION = "0.1.0";\n')
    (web / "nested" / "deep.js").write_text("export {};\n")
    (web / "prebuilt_app_config.js").write_text("// the packaged file, which the server must not serve\n")
    (web / "webgpu_llm-0.1.0-py3-none-any.whl").write_bytes(b"a stale wheel on disk")
    (web / "app" / "index.html").write_text("<!doctype html><title>chat</title>\n")
    (web / "app" / "icons").mkdir()
    (web / "app" / "icons" / "logo.svg").write_text("<svg/>\n")
    model = root / "cache" / "models" / FAKE_MODEL_ID
    model.mkdir(parents=True)
    (model / "mlc-chat-config.json").write_text(json.dumps(FAKE_CHAT_CONFIG))
    (model / "params_shard_0.bin").write_bytes(bytes(range(256)) * (FAKE_SHARD_BYTES // 256))
    # Symlinks: three escape to the secret, one stays inside (allowed).
    (web / "escape.js").symlink_to(outside / "secret.txt")
    (web / "app" / "escape.css").symlink_to(outside / "secret.txt")
    (web / "app" / "outside_dir").symlink_to(outside, target_is_directory=True)
    (model / "escape.bin").symlink_to(outside / "secret.txt")
    (web / "alias.js").symlink_to(web / "version.js")
    return root
