"""Bad requests get OpenAI-shaped errors with the right status, through `openai`'s typed exceptions and httpx."""

import httpx
import openai
import pytest

from server_cases import MODEL_ID, QUESTION

LIMIT = 4 << 20  # the server's default body limit


@pytest.fixture(scope="module")
def client(server_url):
    return openai.OpenAI(base_url=server_url + "/v1", api_key="none", max_retries=0, timeout=60)


def post(server_url: str, path: str, content: bytes) -> httpx.Response:
    return httpx.post(server_url + path, content=content, headers={"content-type": "application/json"}, timeout=60)


def assert_error(response: httpx.Response, status: int, param=None, code=None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["message"]
    assert (error["param"], error["code"]) == (param, code)
    return error


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions"])
def test_bad_json_is_400(server_url, path):
    error = assert_error(post(server_url, path, b'{"messages": [,]}'), 400)
    assert "not valid JSON" in error["message"]
    assert_error(post(server_url, path, b"\xff\xfe"), 400)


def test_json_that_is_not_an_object_is_400(server_url):
    error = assert_error(post(server_url, "/v1/chat/completions", b"[1, 2]"), 400)
    assert "JSON object" in error["message"]


def test_unknown_model_is_404_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    assert caught.value.status_code == 404
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    assert MODEL_ID in caught.value.message  # says what is served


def test_model_that_is_not_a_string_is_400(server_url):
    body = b'{"model": 7, "messages": [{"role": "user", "content": "hi"}]}'
    assert_error(post(server_url, "/v1/chat/completions", body), 400, param="model")


def test_oversized_body_is_413(server_url, client):
    padding = "x" * (LIMIT + 1)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": padding}])
    assert caught.value.status_code == 413
    assert caught.value.code == "request_too_large"
    # Without Content-Length (chunked upload) the limit holds while reading.
    chunks = (b"x" * (1 << 20) for _ in range(5))
    response = httpx.post(server_url + "/v1/chat/completions", content=chunks, timeout=60)
    assert_error(response, 413, code="request_too_large")


def test_bad_field_value_is_400_naming_the_field(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL_ID, messages=QUESTION, temperature=7)
    assert caught.value.param == "temperature"
    assert "[0, 2]" in caught.value.message


def test_unknown_field_is_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=MODEL_ID, prompt="Hi", extra_body={"colour": "blue"})
    assert (caught.value.param, caught.value.code) == ("colour", "unknown_parameter")


def test_context_window_overflow_is_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=10**6)
    assert caught.value.code == "context_length_exceeded"


def test_wrong_method_and_unknown_api_path_are_openai_shaped(server_url):
    response = httpx.get(server_url + "/v1/chat/completions", timeout=60)
    assert_error(response, 405, code="method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert_error(httpx.post(server_url + "/v1/no-such-endpoint", json={}, timeout=60), 404, code="not_found")
