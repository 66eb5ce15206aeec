"""WebLLM's names that index.js exports beside the engines, under node (no browser): modelVersion and
modelLibURLPrefix build a model_lib URL, ModelType is WebLLM's numeric enum, functionCallingModelIds lists
the prebuilt models, deleteModelWasmInCache deletes nothing, and ModelRecord.integrity holds config and
tokenizer downloads to their SRI hashes (IntegrityError)."""

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from browser_support import WEB_DIR
from webgpu_llm.protocol.errors import FeatureNotSupportedError

NODE = shutil.which("node") or "/usr/bin/node"
FAKES = (Path(__file__).parent / "fixtures" / "node_fakes.mjs").as_uri()
LIB = WEB_DIR.as_uri()


def run_node(body: str, argument=None):
    """Runs `body` (an async function body that returns JSON-able data) with `lib` = index.js."""
    script = (f'const lib = await import("{LIB}/index.js"); const {{ installFakes }} = await import("{FAKES}");'
              'const argument = JSON.parse(process.argv[1] ?? "null");'
              f"const result = await (async () => {{ {body} }})(); console.log(JSON.stringify(result));")
    result = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(argument)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def sri(text: str, algorithm: str = "sha256") -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, text.encode()).digest()).decode()}"


def test_constants_and_enum():
    out = run_node("""return {
        url: lib.modelLibURLPrefix + lib.modelVersion + "/x.wasm",
        types: [lib.ModelType.LLM, lib.ModelType.embedding, lib.ModelType.VLM, lib.ModelType[2]],
        tools: lib.functionCallingModelIds,
        prebuilt: lib.prebuiltAppConfig.model_list.map((r) => [r.model_id, r.model_lib]),
    };""")
    assert out["url"] == "https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_80/x.wasm"
    assert out["types"] == [0, 1, 2, "VLM"]
    assert out["tools"] == [model_id for model_id, _ in out["prebuilt"]]
    assert all("NaN" not in lib and "undefined" not in lib for _, lib in out["prebuilt"])


def test_delete_model_wasm_deletes_nothing_and_knows_the_models():
    out = run_node("""const { stores } = installFakes({});
        const id = lib.prebuiltAppConfig.model_list[0].model_id;
        const resolved = await lib.deleteModelWasmInCache(id);
        let error = null;
        try { await lib.deleteModelWasmInCache("nope"); } catch (e) { error = [e.name, e instanceof lib.ModelNotFoundError]; }
        return { resolved: resolved ?? null, error, opened: stores.size };""")
    assert out == {"resolved": None, "error": ["ModelNotFoundError", True], "opened": 0}


def test_verify_integrity_and_integrity_error():
    out = run_node("""const data = new TextEncoder().encode(argument.text);
        const outcome = async (sri, mode) => {
            try { await lib.verifyIntegrity(data, sri, "u", mode); return "ok"; }
            catch (e) { return [e.name, e.code, e.param, e.expected ?? null, e.actual ?? null]; }
        };
        const warnings = []; console.warn = (m) => warnings.push(m);
        const error = new lib.IntegrityError("u", "sha256-a", "sha256-b");
        const again = (await import(argument.errors)).deserializeError(
            (await import(argument.errors)).serializeError(error));
        return { good: await Promise.all(argument.good.map((s) => outcome(s))),
                 bad: await outcome(argument.bad), warned: await outcome(argument.bad, "warn"), warnings,
                 malformed: await outcome("md5-abc"), valid: ["sha512-AB+/=", "sha1-x", ""].map(lib.isValidSRI),
                 chain: [error instanceof lib.ModelDownloadError, error instanceof lib.WebGPULLMError, error.url],
                 again: [again instanceof lib.IntegrityError, again.expected, again.actual, again.url] };""",
                   {"text": '{"a": 1}', "good": [sri('{"a": 1}', a) for a in ("sha256", "sha384", "sha512")],
                    "bad": sri("other"), "errors": f"{LIB}/errors.js"})
    assert out["good"] == ["ok"] * 3
    assert out["bad"] == ["IntegrityError", "integrity_check_failed", None, sri("other"), sri('{"a": 1}')]
    assert out["warned"] == "ok" and len(out["warnings"]) == 1 and sri("other") in out["warnings"][0]
    assert out["malformed"][0] == "InvalidRequestError" and out["malformed"][2] == "integrity"
    assert out["valid"] == [True, False, False]
    assert out["chain"] == [True, True, "u"]
    assert out["again"] == [True, "sha256-a", "sha256-b", "u"]


def test_downloads_are_held_to_model_record_integrity():
    base = "https://example.test/m/resolve/main/"
    config, tokenizer, new_tokenizer = '{"model_type": "llama"}', '{"model": {}}', '{"model": {"v": 2}}'
    out = run_node("""const { fetched, stores } = installFakes(argument.files);
        const { fetchModelText } = await import(argument.download);
        const appConfig = { model_list: [] };
        const get = async (file, integrity, onFailure) => {
            try { return await fetchModelText(argument.base, file, appConfig, { integrity, onFailure }); }
            catch (e) { return e.name; }
        };
        const good = await get("mlc-chat-config.json", argument.configHash);
        const wrong = await get("tokenizer.json", argument.wrongHash);
        const cachedAfterWrong = stores.get("webgpu-llm/config").has(argument.base + "tokenizer.json");
        const warned = await get("tokenizer.json", argument.wrongHash, "warn");
        // The model's tokenizer was updated, and its hash with it: the cached copy fails it and is fetched again.
        argument.files[argument.base + "tokenizer.json"] = argument.newTokenizer;
        const refreshed = await get("tokenizer.json", argument.newTokenizerHash);
        const again = await get("mlc-chat-config.json", argument.configHash);
        return { good, wrong, cachedAfterWrong, warned, refreshed, again, fetched };""",
                   {"files": {base + "mlc-chat-config.json": config, base + "tokenizer.json": tokenizer},
                    "download": f"{LIB}/download.js", "base": base, "configHash": sri(config),
                    "newTokenizer": new_tokenizer, "newTokenizerHash": sri(new_tokenizer),
                    "wrongHash": sri("something else")})
    assert out["good"] == config and out["again"] == config
    assert out["wrong"] == "IntegrityError" and out["cachedAfterWrong"] is False
    assert out["warned"] == tokenizer and out["refreshed"] == new_tokenizer
    # config: once (then from the cache); tokenizer: refused, warned (cached), refreshed
    assert out["fetched"] == {base + "mlc-chat-config.json": 1, base + "tokenizer.json": 3}


def test_python_feature_not_supported_arrives_as_the_js_class():
    error = FeatureNotSupportedError("sliding_window_size 1024 cannot be honored", param="sliding_window_size")
    body = {"name": type(error).__name__, **error.to_dict()["error"]}
    out = run_node("""const e = (await import(argument.errors)).deserializeError(argument.body);
        return [e instanceof lib.FeatureNotSupportedError, e instanceof lib.InvalidRequestError, e.param, e.code];""",
                   {"body": body, "errors": f"{LIB}/errors.js"})
    assert out == [True, True, "sliding_window_size", "feature_not_supported"]
