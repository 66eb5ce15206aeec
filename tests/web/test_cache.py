"""cache.js on both backends: the store itself, and WebLLM's has/delete functions."""

import pytest

BACKENDS = ["cache", "indexeddb"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_store_put_get_has_delete(page, server, backend):
    result = page.evaluate("""async ([backend, origin]) => {
        const { openModelStore, MODEL_SCOPE, CONFIG_SCOPE } = await import("/lib/cache.js");
        const store = openModelStore(backend, MODEL_SCOPE);
        const other = openModelStore(backend, CONFIG_SCOPE);
        const url = origin + "/models/x/resolve/main/params_shard_0.bin";
        const backing = Uint8Array.from({ length: 64 }, (_, i) => i);
        const out = { before: await store.has(url), missing: await store.get(url) === undefined };
        await store.put(url, backing.subarray(8, 24));          // a view: only its 16 bytes count
        const got = new Uint8Array(await store.get(url));
        out.got = Array.from(got);
        out.isArrayBuffer = (await store.get(url)) instanceof ArrayBuffer;
        out.has = await store.has(url);
        out.otherScopeHas = await other.has(url);                // scopes are separate
        out.keys = await store.keys();
        await store.put(url, new Uint8Array([7, 7]).buffer);     // put replaces
        out.replaced = Array.from(new Uint8Array(await store.get(url)));
        out.deleted = await store.delete(url);
        out.after = await store.has(url);
        out.afterGet = (await store.get(url)) === undefined;
        out.deletedAgain = await store.delete(url);
        // The other backend holds nothing: the backend choice is real.
        out.cacheNames = await caches.keys();
        out.idbNames = (await indexedDB.databases()).map((db) => db.name);
        return out;
    }""", [backend, server.url])
    assert result["before"] is False and result["missing"] is True
    assert result["got"] == list(range(8, 24)) and result["isArrayBuffer"]
    assert result["has"] is True and result["otherScopeHas"] is False
    assert result["keys"] == [server.url + "/models/x/resolve/main/params_shard_0.bin"]
    assert result["replaced"] == [7, 7]
    assert result["deleted"] is True and result["after"] is False and result["afterGet"] is True
    assert result["deletedAgain"] is False
    if backend == "cache":
        assert result["idbNames"] == [] and "webgpu-llm/model" in result["cacheNames"]
    else:
        assert result["cacheNames"] == [] and result["idbNames"] == ["webgpu-llm"]


def test_unknown_backend_and_scope_are_refused(page):
    result = page.evaluate("""async () => {
        const { openModelStore, MODEL_SCOPE } = await import("/lib/cache.js");
        const { cacheBackendOf } = await import("/lib/config.js");
        const names = [];
        for (const attempt of [() => openModelStore("opfs", MODEL_SCOPE), () => openModelStore("cache", "x"),
                               () => cacheBackendOf({ model_list: [], cacheBackend: "cross-origin" })]) {
            try { attempt(); names.push(null); } catch (e) { names.push([e.name, e.param]); }
        }
        names.push(cacheBackendOf({ model_list: [], useIndexedDBCache: true }), cacheBackendOf(undefined));
        // WebLLM's cache-usage example sets the older switch on prebuiltAppConfig (cacheBackend "cache")
        const { prebuiltAppConfig } = await import("/lib/index.js");
        names.push(cacheBackendOf(prebuiltAppConfig), cacheBackendOf({ ...prebuiltAppConfig, useIndexedDBCache: true }),
                   cacheBackendOf({ model_list: [], cacheBackend: "indexeddb", useIndexedDBCache: false }));
        return names;
    }""")
    assert result == [["FeatureNotSupportedError", "cacheBackend"], ["FeatureNotSupportedError", "scope"],
                      ["FeatureNotSupportedError", "cacheBackend"], "indexeddb", "cache", "cache", "indexeddb",
                      "indexeddb"]


LOAD_MODEL = """async ([modelId, appConfig]) => {
    // Stores a model as the engine does: config, tokenizer, manifest, then the shards.
    const { fetchModelText, fetchTensorCache, loadShards } = await import("/lib/download.js");
    const { findModelRecord, modelBaseUrl } = await import("/lib/config.js");
    const baseUrl = modelBaseUrl(findModelRecord(modelId, appConfig));
    await fetchModelText(baseUrl, "mlc-chat-config.json", appConfig);
    await fetchModelText(baseUrl, "tokenizer.json", appConfig);
    const { manifest } = await fetchTensorCache(baseUrl, appConfig);
    await loadShards({ baseUrl, shards: manifest.records, appConfig, onShard: () => {} });
}"""

ENTRIES = """async ([backend]) => {
    const { openModelStore, MODEL_SCOPE, CONFIG_SCOPE } = await import("/lib/cache.js");
    const path = (url) => new URL(url).pathname;
    return { model: (await openModelStore(backend, MODEL_SCOPE).keys()).map(path).sort(),
             config: (await openModelStore(backend, CONFIG_SCOPE).keys()).map(path).sort() };
}"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_has_model_and_delete_model_as_webllm(page, make_model, app_config, backend):
    first, second = make_model("m-one"), make_model("m-two")
    config = app_config(first, second, backend=backend)
    has = """async ([id, appConfig]) => (await import("/lib/cache.js")).hasModelInCache(id, appConfig)"""

    assert page.evaluate(has, ["m-one", config]) is False
    page.evaluate("""async ([appConfig]) => {
        const { fetchModelText } = await import("/lib/download.js");
        await fetchModelText(appConfig.model_list[0].model + "/resolve/main/", "tensor-cache.json", appConfig);
    }""", [config])
    assert page.evaluate(has, ["m-one", config]) is True    # true once tensor-cache.json is stored
    page.evaluate(LOAD_MODEL, ["m-one", config])
    page.evaluate(LOAD_MODEL, ["m-two", config])
    one, two = "/models/m-one/resolve/main/", "/models/m-two/resolve/main/"
    entries = page.evaluate(ENTRIES, [backend])
    shards = ["params_shard_0.bin", "params_shard_1.bin", "tensor-cache.json"]
    assert entries["model"] == sorted([one + f for f in shards] + [two + f for f in shards])
    assert entries["config"] == sorted(p + f for p in (one, two) for f in ("mlc-chat-config.json", "tokenizer.json"))

    # deleteModelInCache: weights and tokenizer go, mlc-chat-config.json stays (WebLLM).
    page.evaluate("""async ([appConfig]) => (await import("/lib/cache.js")).deleteModelInCache("m-one", appConfig)""",
                  [config])
    assert page.evaluate(has, ["m-one", config]) is False
    entries = page.evaluate(ENTRIES, [backend])
    assert entries["model"] == [two + f for f in shards]
    assert entries["config"] == [one + "mlc-chat-config.json", two + "mlc-chat-config.json", two + "tokenizer.json"]

    # deleteModelAllInfoInCache: nothing of the model is left; the other model is untouched.
    page.evaluate(LOAD_MODEL, ["m-one", config])
    page.evaluate("""async ([appConfig]) =>
        (await import("/lib/cache.js")).deleteModelAllInfoInCache("m-one", appConfig)""", [config])
    assert page.evaluate(has, ["m-one", config]) is False
    assert page.evaluate(has, ["m-two", config]) is True
    entries = page.evaluate(ENTRIES, [backend])
    assert entries["model"] == [two + f for f in shards]
    assert entries["config"] == [two + "mlc-chat-config.json", two + "tokenizer.json"]

    # deleteChatConfigInCache alone removes just mlc-chat-config.json.
    page.evaluate("""async ([appConfig]) =>
        (await import("/lib/cache.js")).deleteChatConfigInCache("m-two", appConfig)""", [config])
    assert page.evaluate(ENTRIES, [backend])["config"] == [two + "tokenizer.json"]


def test_older_ndarray_cache_json_counts_as_cached(page, make_model, app_config):
    model = make_model("m-old")
    (model["dir"] / "tensor-cache.json").rename(model["dir"] / "ndarray-cache.json")
    config = app_config(model)
    result = page.evaluate("""async ([appConfig]) => {
        const { fetchTensorCache } = await import("/lib/download.js");
        const { hasModelInCache } = await import("/lib/cache.js");
        const before = await hasModelInCache("m-old", appConfig);
        const { file, manifest } = await fetchTensorCache(appConfig.model_list[0].model + "/resolve/main/", appConfig);
        return { before, file, records: manifest.records.length, after: await hasModelInCache("m-old", appConfig) };
    }""", [config])
    assert result == {"before": False, "file": "ndarray-cache.json", "records": 2, "after": True}


def test_unknown_model_id_lists_the_known_ones(page, make_model, app_config):
    config = app_config(make_model("m-a"), make_model("m-b"))
    error = page.evaluate("""async ([appConfig]) => {
        const { hasModelInCache, deleteModelAllInfoInCache } = await import("/lib/cache.js");
        const { ModelNotFoundError, UnknownModelError } = await import("/lib/errors.js");
        const seen = [];
        for (const call of [hasModelInCache, deleteModelAllInfoInCache]) {
            try { await call("m-c", appConfig); seen.push(null); }
            catch (e) { seen.push({ name: e.name, message: e.message, code: e.code, param: e.param,
                                    classes: e instanceof ModelNotFoundError && e instanceof UnknownModelError }); }
        }
        return seen;
    }""", [config])
    for seen in error:
        assert seen["name"] == "ModelNotFoundError" and seen["classes"]
        assert seen["code"] == "model_not_found" and seen["param"] == "model"
        assert '"m-c"' in seen["message"] and "m-a, m-b" in seen["message"]


def test_default_app_config_is_the_prebuilt_one(page):
    result = page.evaluate("""async () => {
        const { hasModelInCache } = await import("/lib/cache.js");
        const { prebuiltAppConfig } = await import("/lib/prebuilt_app_config.js");
        const { cleanModelUrl } = await import("/lib/config.js");
        return { has: await hasModelInCache(prebuiltAppConfig.model_list[0].model_id),
                 ids: prebuiltAppConfig.model_list.map((r) => r.model_id),
                 urls: prebuiltAppConfig.model_list.map((r) => cleanModelUrl(r.model)),
                 clean: [cleanModelUrl("https://h/u/m"), cleanModelUrl("https://h/u/m/"),
                         cleanModelUrl("https://h/u/m/resolve/dev"), cleanModelUrl("https://h/u/m/resolve/main/")] };
    }""")
    assert result["has"] is False
    assert result["ids"][:3] == ["SmolLM2-135M-Instruct-q0f32-MLC", "SmolLM2-135M-Instruct-q4f32_1-MLC",
                                 "SmolLM2-135M-Instruct-q4f16_1-MLC"]
    # WebLLM's models of the families we run, under WebLLM's ids and MLC's Hugging Face folders.
    for family_model in ("Qwen2.5-0.5B-Instruct-q4f16_1-MLC", "Qwen3-0.6B-q4f16_1-MLC",
                         "Phi-3.5-mini-instruct-q4f16_1-MLC", "gemma-2-2b-it-q4f16_1-MLC",
                         "Mistral-7B-Instruct-v0.3-q4f16_1-MLC", "Llama-3.2-1B-Instruct-q4f16_1-MLC"):
        i = result["ids"].index(family_model)
        assert result["urls"][i] == f"https://huggingface.co/mlc-ai/{family_model}/resolve/main/"
    assert result["urls"][0] == "https://huggingface.co/mlc-ai/SmolLM2-135M-Instruct-q0f32-MLC/resolve/main/"
    assert result["clean"] == ["https://h/u/m/resolve/main/", "https://h/u/m/resolve/main/",
                               "https://h/u/m/resolve/dev/", "https://h/u/m/resolve/main/"]
