"""What every transport (Web Worker, service worker, extension Port) must deliver: fixtures/harness.js's report."""

# (type, default code, default param) of each error class, as errors.js and protocol/errors.py define them.
ERROR_FIELDS = {
    "WebGPULLMError": ("server_error", None, None),
    "InvalidRequestError": ("invalid_request_error", None, None),
    "ContextWindowExceededError": ("invalid_request_error", "context_length_exceeded", None),
    "UnknownModelError": ("invalid_request_error", "model_not_found", "model"),
    "EngineNotLoadedError": ("invalid_request_error", "engine_not_loaded", None),
    "ModelNotFoundError": ("invalid_request_error", "model_not_found", "model"),
    "ModelDownloadError": ("server_error", "model_download_failed", None),
    "ShardChecksumError": ("server_error", "shard_checksum_mismatch", None),
    "IntegrityError": ("server_error", "integrity_check_failed", None),
    "CacheQuotaError": ("server_error", "cache_quota_exceeded", None),
    "WebGPUNotAvailableError": ("server_error", "webgpu_not_available", None),
    "RuntimeLoadError": ("server_error", "runtime_load_failed", None),
    "FeatureNotSupportedError": ("invalid_request_error", "feature_not_supported", None),
    "UnknownMessageKindError": ("server_error", "unknown_message_kind", None),
    "TransportError": ("server_error", "transport_unavailable", None),
}


def check_errors(errors, specs):
    """Each thrown error arrived as its class with name, message, type, param, code and extra fields."""
    assert len(errors) == len(specs)
    for error, spec in zip(errors, specs):
        name = spec["name"]
        assert error is not None, name
        assert error["instance"], error
        assert error["name"] == name
        if name in ("TypeError", "AbortError"):
            assert error["message"] == spec["message"]
            continue
        error_type, code, param = ERROR_FIELDS[name]
        assert error["type"] == error_type, error
        assert error["code"] == spec.get("code", code), error
        assert error["param"] == spec.get("param", param), error
        if name == "ModelNotFoundError":
            assert '"nope"' in error["message"] and "echo-model, other" in error["message"]
        else:
            assert error["message"] == spec["message"]
        for field in ("url", "status", "shard", "expected", "actual"):
            if field in spec:
                assert error[field] == spec[field], (name, field)


def check_suite(report, specs, weight_loads=1):
    assert report["chat"] == "hello there"
    assert report["completion"] == "once upon"
    assert report["chatStream"] == {"text": "one two three", "finishes": [None, None, None, "stop"]}
    assert report["completionStream"] == {"text": "a b", "finishes": [None, None, "stop"]}
    # interrupted after the 3rd chunk: at most the chunk read ahead, then "abort"
    assert report["interrupt"]["lastFinish"] == "abort"
    assert 4 <= report["interrupt"]["count"] <= 6, report["interrupt"]
    assert report["afterBreak"] == "served"
    check_errors(report["errors"], specs)
    assert report["streamError"]["seen"] == ["a", " b"]
    stream_error = report["streamError"]["error"]
    assert stream_error["instance"] and stream_error["name"] == "ContextWindowExceededError"
    assert (stream_error["message"], stream_error["param"], stream_error["code"]) == (
        "full", "x", "context_length_exceeded")
    assert report["concurrent"][:5] == ["alpha", "beta", "gamma", "delta", "epsilon"]
    assert report["concurrentOrder"][0] == "stats"
    assert report["message"] == "epsilon" and report["messageAfterReset"] == ""
    assert report["stats"].startswith("echo engine")
    assert report["info"] == {"modelId": "echo-model", "weightLoads": weight_loads, "closedEarly": 1}, report["info"]
    assert report["missingMethod"]["name"] == "FeatureNotSupportedError"
    assert "getGPUVendor" in report["missingMethod"]["message"]
