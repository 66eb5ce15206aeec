"""A bounded fuzz of /v1/chat/completions and /v1/completions (hypothesis, derandomized so
CI runs the same bodies): no 5xx, every error in OpenAI's shape, every answer well formed,
and afterwards the server answers a normal request exactly as before.

In-process (`app_client`): a rejected body costs about a millisecond, one that reaches the
model ~0.3 s (max_tokens <= 2). WEBGPU_LLM_FUZZ_EXAMPLES=N runs N examples per endpoint.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz_bodies import body_bytes, chat_body, completion_body
from server_cases import MODEL_ID, QUESTION

EXAMPLES = int(os.environ.get("WEBGPU_LLM_FUZZ_EXAMPLES", "500"))
CONTENT_TYPES = st.sampled_from(["application/json"] * 20 + ["application/json; charset=utf-8", "text/plain", None,
                                                              "multipart/form-data", "application/xml"])
# No shrinking: a failing body is reported as found (shrinking replays bodies that reach the model).
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.function_scoped_fixture])
ERROR_FIELDS = {"message", "type", "param", "code"}


def assert_openai_error(payload) -> None:
    assert isinstance(payload, dict) and set(payload) == {"error"}, payload
    error = payload["error"]
    assert set(error) == ERROR_FIELDS, error
    assert isinstance(error["message"], str) and error["message"] and isinstance(error["type"], str)
    assert error["param"] is None or isinstance(error["param"], str)


def assert_well_formed(response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert_openai_error(response.json())
        return
    assert response.status_code == 200
    if response.headers["content-type"].startswith("text/event-stream"):
        events = [line[len("data: "):] for line in response.text.split("\n\n") if line.startswith("data: ")]
        assert events[-1] == "[DONE]", events[-3:]
        for event in events[:-1]:
            chunk = json.loads(event)
            assert "error" not in chunk, chunk  # a stream that failed after it began
            assert chunk["system_fingerprint"].startswith("fp_")
        return
    reply = response.json()
    assert reply["model"] == MODEL_ID and reply["system_fingerprint"].startswith("fp_")
    assert reply["choices"] and reply["usage"]["completion_tokens"] <= 2 * len(reply["choices"])


def post(client, path: str, data: bytes, content_type: str | None):
    headers = {} if content_type is None else {"content-type": content_type}
    return client.post(path, content=data, headers=headers)


def greedy_answer(client) -> str:
    body = {"model": MODEL_ID, "messages": QUESTION, "max_tokens": 4, "temperature": 0}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


@pytest.fixture(scope="module")
def answer_before(app_client):
    return greedy_answer(app_client)


@pytest.mark.parametrize("path, bodies", [("/v1/chat/completions", chat_body()),
                                          ("/v1/completions", completion_body())])
def test_fuzzed_bodies_get_openai_answers(app_client, answer_before, path, bodies):
    @FUZZ_SETTINGS
    @given(data=body_bytes(bodies), content_type=CONTENT_TYPES)
    def one_request(data, content_type):
        assert_well_formed(post(app_client, path, data, content_type))

    one_request()
    assert greedy_answer(app_client) == answer_before
