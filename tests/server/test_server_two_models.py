"""`webgpu-llm serve` with two chat models at once (one engine per model id, server/engines.py):
SmolLM2 and a tiny random-weight Llama with SmolLM2's tokenizer. Each request is answered by
the model it names, told apart by their different greedy answers, also when both run at once."""

from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from server_cases import MODEL_ID, QUESTION
from server_support import running_server
from tiny_model_support import TINY_MODEL_ID

# Greedy, the end-of-turn token (id 2) suppressed so that both answers have their 6 tokens.
GREEDY = {"messages": QUESTION, "max_tokens": 6, "temperature": 0, "logit_bias": {"2": -100}}


@pytest.fixture(scope="module")
def client(tmp_path_factory, smollm2, tiny_llama_folder):
    """A cache of its own holding the two models (links to their folders), so that the other
    tests' cache lists only what they expect."""
    root = tmp_path_factory.mktemp("two-models")
    (root / "models").mkdir()
    (root / "models" / MODEL_ID).symlink_to(smollm2, target_is_directory=True)
    (root / "models" / TINY_MODEL_ID).symlink_to(tiny_llama_folder, target_is_directory=True)
    with running_server(root, model=MODEL_ID) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0, timeout=300)


def test_both_models_are_listed(client):
    ids = [m.id for m in client.models.list().data]
    assert ids[0] == MODEL_ID and TINY_MODEL_ID in ids


def test_each_model_answers_its_own_requests(client):
    smol = client.chat.completions.create(model=MODEL_ID, **GREEDY)
    tiny = client.chat.completions.create(model=TINY_MODEL_ID, **GREEDY)
    smol_text, tiny_text = smol.choices[0].message.content, tiny.choices[0].message.content
    assert smol.model == MODEL_ID and tiny.model == TINY_MODEL_ID
    assert "Paris" in smol_text and tiny_text and tiny_text != smol_text
    assert smol.usage.completion_tokens == tiny.usage.completion_tokens == 6
    # Again, interleaved and streamed: each model still gives its own greedy answer.
    for model, expected in [(TINY_MODEL_ID, tiny_text), (MODEL_ID, smol_text), (TINY_MODEL_ID, tiny_text)]:
        chunks = list(client.chat.completions.create(model=model, stream=True, **GREEDY))
        assert {c.model for c in chunks} == {model}
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected
    completion = client.completions.create(model=TINY_MODEL_ID, prompt="Paris is", max_tokens=3, temperature=0)
    assert completion.model == TINY_MODEL_ID


def test_requests_to_both_at_once_are_answered_by_their_own_model(client):
    alone = {m: client.chat.completions.create(model=m, **GREEDY).choices[0].message.content
             for m in (MODEL_ID, TINY_MODEL_ID)}
    order = [MODEL_ID, TINY_MODEL_ID] * 3
    with ThreadPoolExecutor(len(order)) as pool:
        replies = list(pool.map(lambda m: client.chat.completions.create(model=m, **GREEDY), order))
    assert [r.model for r in replies] == order
    assert [r.choices[0].message.content for r in replies] == [alone[m] for m in order]


def test_a_request_without_model_goes_to_the_default(client):
    unnamed = client.post("/chat/completions", body=GREEDY, cast_to=openai.types.chat.ChatCompletion)
    named = client.chat.completions.create(model=MODEL_ID, **GREEDY)
    assert unnamed.model == MODEL_ID and unnamed.choices[0].message.content == named.choices[0].message.content
