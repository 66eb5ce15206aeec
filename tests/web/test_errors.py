"""errors.js: Python's errors arrive as the JS class of the same name; unknown names keep their name."""

from transport_checks import ERROR_FIELDS
from webgpu_llm.protocol import errors as py_errors

DESERIALIZE = """async (bodies) => {
    const errors = await import("/lib/errors.js");
    return bodies.map((body) => {
        const e = errors.deserializeError(body);
        return { name: e.name, message: e.message, type: e.type, param: e.param, code: e.code,
                 instance: e.name in errors ? e instanceof errors[e.name] : null,
                 base: e instanceof errors.WebGPULLMError, error: e instanceof Error,
                 again: errors.serializeError(e) };
    });
}"""


def test_python_errors_arrive_as_their_js_class(page):
    """What the Python engine sends ({name, message, type, param, code}) rebuilds its class in JS."""
    samples = [cls("why it failed", param="messages") for cls in (
        py_errors.WebGPULLMError, py_errors.InvalidRequestError, py_errors.ContextWindowExceededError,
        py_errors.UnknownModelError, py_errors.EngineNotLoadedError)]
    bodies = [{"name": type(e).__name__, **e.to_dict()["error"]} for e in samples]
    results = page.evaluate(DESERIALIZE, bodies)
    for error, body in zip(results, bodies):
        assert error["instance"] and error["base"] and error["error"], error
        assert {k: error[k] for k in ("name", "message", "type", "param", "code")} == body
        # The JS class's own defaults agree with Python's.
        assert ERROR_FIELDS[body["name"]][:2] == (body["type"], type(samples[bodies.index(body)]).default_code)


def test_unknown_names_keep_their_name_and_fields(page):
    bodies = [
        {"name": "KeyError", "message": "'x'", "type": "server_error", "param": None, "code": None},
        {"name": "SomethingNew", "message": "m", "type": "invalid_request_error", "param": "p", "code": "c"},
        {"error": {"message": "openai body", "type": "invalid_request_error", "param": "model",
                   "code": "model_not_found"}},
    ]
    key_error, new, body_only = page.evaluate(DESERIALIZE, bodies)
    assert key_error["name"] == "KeyError" and key_error["base"] and key_error["type"] == "server_error"
    assert key_error["again"]["name"] == "KeyError"
    assert (new["name"], new["type"], new["param"], new["code"]) == ("SomethingNew", "invalid_request_error", "p", "c")
    assert body_only["base"] and body_only["message"] == "openai body" and body_only["code"] == "model_not_found"


def test_error_body_and_subclass_chain(page):
    result = page.evaluate("""async () => {
        const e = await import("/lib/errors.js");
        const window = new e.ContextWindowExceededError("too long", { param: "messages" });
        const shard = new e.ShardChecksumError("bad", { shard: "params_shard_0.bin", url: "u" });
        return { body: window.toJSON(), chain: [window instanceof e.InvalidRequestError,
                 shard instanceof e.ModelDownloadError, new e.ModelNotFoundError("x") instanceof e.UnknownModelError],
                 json: JSON.parse(JSON.stringify(shard)), stack: typeof window.stack };
    }""")
    assert result["body"] == {"error": {"message": "too long", "type": "invalid_request_error", "param": "messages",
                                        "code": "context_length_exceeded"}}
    assert result["chain"] == [True, True, True]
    assert result["json"]["error"]["code"] == "shard_checksum_mismatch"
    assert result["stack"] == "string"
