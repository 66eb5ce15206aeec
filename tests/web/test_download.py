"""download.js: shards from the network or the cache, verified before they are cached or used."""

import hashlib
import json
import socket

import pytest

BACKENDS = ["cache", "indexeddb"]

# Loads a model's shards in the page; reports what onShard got, the progress
# reports, the error (if any) and the shard URLs left in the cache.
LOAD = """async ([appConfig, options]) => {
    const { loadShards, fetchTensorCache } = await import("/lib/download.js");
    const { openModelStore, MODEL_SCOPE } = await import("/lib/cache.js");
    const { md5Hex } = await import("/lib/md5.js");
    const { serializeError } = await import("/lib/errors.js");
    const baseUrl = appConfig.model_list[0].model + "/resolve/main/";
    const { manifest } = await fetchTensorCache(baseUrl, appConfig);
    const got = [], progress = [];
    const controller = new AbortController();
    let error = null;
    try {
        await loadShards({
            baseUrl, shards: manifest.records, appConfig, signal: controller.signal,
            onShard: async (index, bytes) => { got.push([index, md5Hex(bytes)]); },
            onProgress: (p) => {
                progress.push(p);
                if (options.abortAt !== undefined && p.loadedBytes >= options.abortAt) controller.abort();
            },
        });
    } catch (e) {
        error = serializeError(e);
        error.isAbort = e instanceof DOMException && e.name === "AbortError";
    }
    const stored = (await openModelStore(appConfig.cacheBackend, MODEL_SCOPE).keys())
        .filter((url) => url.endsWith(".bin")).map((url) => url.split("/").pop()).sort();
    return { got, progress, error, stored };
}"""


def md5s(model):
    return [[i, hashlib.md5(data).hexdigest()] for i, data in enumerate(model["bytes"])]


@pytest.mark.parametrize("backend", BACKENDS)
def test_second_load_makes_no_shard_request(page, server, make_model, app_config, backend):
    model = make_model("m", shard_sizes=(3 << 20, 1500, (1 << 20) + 7))
    config = app_config(model, backend=backend)
    shard_path = "/models/m/resolve/main/params_shard_"

    first = page.evaluate(LOAD, [config, {}])
    assert first["error"] is None
    assert first["got"] == md5s(model)
    assert server.count(shard_path) == 3
    assert first["stored"] == ["params_shard_0.bin", "params_shard_1.bin", "params_shard_2.bin"]

    # A new page (same profile): everything comes from the cache, nothing from the network.
    page.reload()
    manifest_requests = server.count("/models/m/resolve/main/tensor-cache.json")
    second = page.evaluate(LOAD, [config, {}])
    assert second["error"] is None
    assert second["got"] == md5s(model)
    assert server.count(shard_path) == 3
    assert server.count("/models/m/resolve/main/tensor-cache.json") == manifest_requests
    assert all(p["fromCache"] for p in second["progress"])


def test_progress_reports_bytes(page, make_model, app_config):
    sizes = (3 << 20, 1500, (1 << 20) + 7)
    model = make_model("m", shard_sizes=sizes)
    result = page.evaluate(LOAD, [app_config(model), {}])
    progress = result["progress"]
    total = sum(sizes)
    assert all(p["totalBytes"] == total for p in progress)
    loaded = [p["loadedBytes"] for p in progress]
    assert loaded == sorted(loaded) and loaded[-1] == total
    # Within the 3 MiB shard there are reports before its end (byte progress, not per shard).
    assert any(0 < p["loadedBytes"] < sizes[0] and p["shardIndex"] == 0 for p in progress)
    # Each shard's last report is at its end.
    for index in range(3):
        assert [p["loadedBytes"] for p in progress if p["shardIndex"] == index][-1] == sum(sizes[: index + 1])
    assert not any(p["fromCache"] for p in progress)


@pytest.mark.parametrize("backend", BACKENDS)
def test_flipped_byte_gives_shard_checksum_error_and_no_entry(page, make_model, app_config, backend):
    model = make_model("m", shard_sizes=(1000, 2000, 3000))
    shard = model["dir"] / "params_shard_1.bin"
    data = bytearray(shard.read_bytes())
    data[1234] ^= 0x01
    shard.write_bytes(bytes(data))

    result = page.evaluate(LOAD, [app_config(model, backend=backend), {}])
    error = result["error"]
    assert error["name"] == "ShardChecksumError"
    assert "params_shard_1.bin" in error["message"]
    assert error["details"]["shard"] == "params_shard_1.bin"
    assert error["details"]["expected"] == model["shards"][1]["md5sum"]
    assert error["details"]["actual"] == hashlib.md5(bytes(data)).hexdigest()
    assert error["code"] == "shard_checksum_mismatch"
    assert result["got"] == md5s(model)[:1]          # shard 0 was used; shard 1 never reached onShard
    assert result["stored"] == ["params_shard_0.bin"]  # the bad shard left nothing behind


def test_short_shard_gives_shard_checksum_error(page, make_model, app_config):
    model = make_model("m", shard_sizes=(1000,))
    (model["dir"] / "params_shard_0.bin").write_bytes(model["bytes"][0][:999])
    result = page.evaluate(LOAD, [app_config(model), {}])
    assert result["error"]["name"] == "ShardChecksumError"
    assert "999 bytes" in result["error"]["message"] and "1000" in result["error"]["message"]
    assert result["stored"] == []


def test_missing_shard_gives_model_download_error_and_no_entry(page, server, make_model, app_config):
    model = make_model("m", shard_sizes=(1000, 2000))
    (model["dir"] / "params_shard_1.bin").unlink()
    result = page.evaluate(LOAD, [app_config(model), {}])
    error = result["error"]
    assert error["name"] == "ModelDownloadError"
    assert error["details"] == {"url": model["base"] + "params_shard_1.bin", "status": 404}
    assert "params_shard_1.bin" in error["message"] and "404" in error["message"]
    assert result["stored"] == ["params_shard_0.bin"]


def test_broken_off_download_gives_model_download_error_and_no_entry(page, server, make_model, app_config):
    model = make_model("m", shard_sizes=(1000, 200_000))
    body = model["bytes"][1]

    def half_then_hang_up(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    server.overrides["/models/m/resolve/main/params_shard_1.bin"] = half_then_hang_up
    result = page.evaluate(LOAD, [app_config(model), {}])
    error = result["error"]
    assert error["name"] == "ModelDownloadError", error
    assert error["details"]["url"] == model["base"] + "params_shard_1.bin"
    assert "broke off" in error["message"]
    assert result["stored"] == ["params_shard_0.bin"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_quota_failure_gives_cache_quota_error_and_no_entry(page, make_model, app_config, backend):
    model = make_model("m", shard_sizes=(1000, 2000))
    # The browser's answer to a full quota is a DOMException named QuotaExceededError.
    page.evaluate("""([backend]) => {
        const full = () => new DOMException("the quota is full", "QuotaExceededError");
        if (backend === "cache") {
            const put = Cache.prototype.put;
            Cache.prototype.put = function (request, response) {
                const url = typeof request === "string" ? request : request.url;
                return url.endsWith("params_shard_1.bin") ? Promise.reject(full()) : put.call(this, request, response);
            };
        } else {
            const put = IDBObjectStore.prototype.put;
            IDBObjectStore.prototype.put = function (value, key) {
                if (String(key).endsWith("params_shard_1.bin")) throw full();
                return put.call(this, value, key);
            };
        }
    }""", [backend])
    result = page.evaluate(LOAD, [app_config(model, backend=backend), {}])
    error = result["error"]
    assert error["name"] == "CacheQuotaError"
    assert error["code"] == "cache_quota_exceeded"
    assert error["details"]["url"] == model["base"] + "params_shard_1.bin"
    assert result["stored"] == ["params_shard_0.bin"]
    assert result["got"] == md5s(model)[:1]


def test_corrupt_cached_shard_is_fetched_once_more(page, server, make_model, app_config):
    model = make_model("m", shard_sizes=(1000, 2000))
    config = app_config(model)
    assert page.evaluate(LOAD, [config, {}])["error"] is None
    page.evaluate("""async ([url]) => {
        const { openModelStore, MODEL_SCOPE } = await import("/lib/cache.js");
        await openModelStore("cache", MODEL_SCOPE).put(url, new Uint8Array(2000));   // right size, wrong bytes
    }""", [model["base"] + "params_shard_1.bin"])
    before = server.count("/models/m/resolve/main/params_shard_1.bin")
    result = page.evaluate(LOAD, [config, {}])
    assert result["error"] is None
    assert result["got"] == md5s(model)
    assert server.count("/models/m/resolve/main/params_shard_1.bin") == before + 1
    assert server.count("/models/m/resolve/main/params_shard_0.bin") == 1
    assert [p["fromCache"] for p in result["progress"]] == [True, False]
    # The cache now holds the good bytes: the next load needs no request.
    assert page.evaluate(LOAD, [config, {}])["error"] is None
    assert server.count("/models/m/resolve/main/params_shard_1.bin") == before + 1


def test_abort_signal_stops_the_load_with_its_reason(page, make_model, app_config):
    model = make_model("m", shard_sizes=(1000, 3 << 20, 1000))
    result = page.evaluate(LOAD, [app_config(model), {"abortAt": 1000 + (1 << 20)}])
    assert result["error"]["isAbort"], result["error"]
    assert result["stored"] == ["params_shard_0.bin"]


def test_fetch_model_text_is_cache_first(page, server, make_model, app_config):
    model = make_model("m")
    config = app_config(model)
    read = """async ([appConfig, file]) => {
        const { fetchModelText } = await import("/lib/download.js");
        const { serializeError } = await import("/lib/errors.js");
        try { return await fetchModelText(appConfig.model_list[0].model + "/resolve/main/", file, appConfig); }
        catch (e) { return serializeError(e); }
    }"""
    text = page.evaluate(read, [config, "mlc-chat-config.json"])
    assert json.loads(text) == {"model_type": "llama", "seed": 0}
    page.evaluate(read, [config, "mlc-chat-config.json"])
    assert server.count("/models/m/resolve/main/mlc-chat-config.json") == 1
    error = page.evaluate(read, [config, "tokenizer.model"])
    assert error["name"] == "ModelDownloadError" and error["details"]["status"] == 404
    assert error["details"]["url"] == model["base"] + "tokenizer.model"


def test_unreachable_server_gives_model_download_error_with_status_0(page):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/models/m/resolve/main/"
    error = page.evaluate("""async (url) => {
        const { fetchModelText } = await import("/lib/download.js");
        const { serializeError } = await import("/lib/errors.js");
        try { await fetchModelText(url, "mlc-chat-config.json", { model_list: [] }); return null; }
        catch (e) { return serializeError(e); }
    }""", url)
    assert error["name"] == "ModelDownloadError"
    assert error["details"] == {"url": url + "mlc-chat-config.json", "status": 0}
