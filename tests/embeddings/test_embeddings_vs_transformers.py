"""all-MiniLM-L6-v2 on the GPU against HF transformers (BertModel, mean pooling, L2 normalize:
what sentence-transformers computes for this model), and the OpenAI shape of the reply."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from webgpu_llm import EmbeddingEngine
from webgpu_llm.protocol.errors import ContextWindowExceededError, InvalidRequestError

SENTENCES = [
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.", "The new movie is awesome!",
    "The cat sits outside.", "The new movie is so great, everyone should see it at least once this year.",
    "Do you like pizza?", "Café crème, s'il vous plaît — merci beaucoup.", "東京は日本の首都です。",
    "WebGPU runs compute shaders in the browser and natively through wgpu.",
    "Embeddings map text to vectors whose cosine similarity reflects meaning.",
    "ok", "The quick brown fox jumps over the lazy dog, again and again, until the dog finally wakes "
    "up, stretches, yawns and chases the fox across the entire meadow and into the forest beyond.",
    "1234 + 5678 = 6912",
]


@pytest.fixture(scope="module")
def engine(minilm_folder, device):
    return EmbeddingEngine(minilm_folder, device=device)


@pytest.fixture(scope="module")
def reference(minilm_folder):
    """Mean-pooled, normalized last hidden states of transformers' BertModel on the source weights."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from webgpu_llm.convert.embedded_encoder import encoder_source_folder

    folder = encoder_source_folder()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy(), int(batch["attention_mask"].sum())


def test_twenty_sentences_match_transformers_in_one_batch(engine, reference):
    expected, tokens = reference
    reply = engine.embeddings.create(input=SENTENCES, model=engine.model_id)
    got = np.array([item.embedding for item in reply.data])  # (20, 384)
    cosine = (got * expected).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
    # f16 weights, f32 math: measured >= 0.99999; the issue asks for 0.999.
    assert cosine.min() >= 0.999, cosine
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert reply.to_dict()["usage"] == {"prompt_tokens": tokens, "total_tokens": tokens}
    assert [item.index for item in reply.data] == list(range(20))


def test_reply_has_openai_shape_and_base64(engine):
    plain = engine.embeddings.create(input="A man is eating food.").to_dict()
    assert plain["object"] == "list" and plain["model"] == engine.model_id
    assert [set(d) for d in plain["data"]] == [{"object", "index", "embedding"}]
    encoded = engine.embeddings.create(input="A man is eating food.", encoding_format="base64").to_dict()
    decoded = np.frombuffer(base64.b64decode(encoded["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_array_equal(decoded, np.float32(plain["data"][0]["embedding"]))


def test_token_ids_are_embedded_as_given(engine):
    ids = engine.engine.tokenizer.encode("The cat sits outside.")
    from_text = engine.embeddings.create(input="The cat sits outside.").data[0].embedding
    one, many = (engine.embeddings.create(input=i).data for i in (ids, [ids, ids[:3]]))
    np.testing.assert_allclose(one[0].embedding, from_text, atol=1e-6)
    np.testing.assert_allclose(many[0].embedding, from_text, atol=1e-6)  # padding changes nothing


@pytest.mark.parametrize("fields, param", [
    ({"input": ""}, "input"), ({"input": []}, "input"), ({"input": ["a", 3]}, "input"),
    ({"input": [[1, 2], []]}, "input"), ({"input": [-1]}, "input"), ({"input": [40000]}, "input"),
    ({"input": "a", "encoding_format": "binary"}, "encoding_format"),
    ({"input": "a", "dimensions": 128}, "dimensions"), ({"input": "a", "stream": True}, "stream"),
])
def test_bad_requests_name_their_param(engine, fields, param):
    with pytest.raises(InvalidRequestError) as error:
        engine.embeddings.create(**fields)
    assert error.value.param == param


def test_too_many_token_ids_exceed_the_context(engine):
    with pytest.raises(ContextWindowExceededError):
        engine.embeddings.create(input=[101] * 300)


def test_the_chat_engine_points_to_the_embedding_engine(minilm_folder, device):
    from webgpu_llm import Engine

    with pytest.raises(InvalidRequestError, match="EmbeddingEngine"):
        Engine(minilm_folder, device=device)


def test_inputs_past_one_gpu_batch_are_split(engine, monkeypatch):
    from webgpu_llm.embeddings.engine import gpu_batches

    assert [len(b) for b in gpu_batches([[1] * 5, [1] * 3, [1] * 9, [1] * 2], max_rows=18)] == [2, 2]
    ids = engine.engine.tokenizer.encode("The cat sits outside.")
    whole = engine.embeddings.create(input=[ids] * 5).data
    monkeypatch.setattr(engine.engine, "max_batch_rows", 2 * len(ids))  # two inputs per GPU batch
    split = engine.embeddings.create(input=[ids] * 5).data
    np.testing.assert_allclose([e.embedding for e in split], [e.embedding for e in whole], atol=1e-6)
