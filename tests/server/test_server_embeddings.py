"""`POST /v1/embeddings` through the official `openai` client against a real `webgpu-llm serve`."""

from __future__ import annotations

import numpy as np
import openai
import pytest

from server_support import running_server
from webgpu_llm.convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "A monkey is playing drums."]


@pytest.fixture(scope="module")
def client(model_cache, minilm_folder):
    with running_server(model_cache, model=DEFAULT_EMBEDDING_MODEL_ID) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)


def test_models_lists_the_embedding_model(client):
    assert DEFAULT_EMBEDDING_MODEL_ID in [m.id for m in client.models.list().data]


def test_openai_client_embeds_a_batch(client):
    # The client asks for base64 unless told otherwise and decodes it itself.
    reply = client.embeddings.create(model=DEFAULT_EMBEDDING_MODEL_ID, input=SENTENCES)
    floats = client.embeddings.create(model=DEFAULT_EMBEDDING_MODEL_ID, input=SENTENCES, encoding_format="float")
    vectors = np.array([item.embedding for item in reply.data])  # (3, 384)
    assert reply.object == "list" and reply.model == DEFAULT_EMBEDDING_MODEL_ID and vectors.shape == (3, 384)
    np.testing.assert_array_equal(vectors, np.array([item.embedding for item in floats.data], np.float32))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.3
    assert reply.usage.prompt_tokens == reply.usage.total_tokens > 3 * 2


def test_bad_embedding_requests_get_typed_errors(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.embeddings.create(model=DEFAULT_EMBEDDING_MODEL_ID, input="a", dimensions=16)
    assert error.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model=DEFAULT_EMBEDDING_MODEL_ID, messages=[{"role": "user", "content": "hi"}])
    assert error.value.body["param"] == "model" and "embedding model" in error.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-model", input="a")


def test_prebuilt_app_config_marks_encoders_as_embedding_models(minilm_folder):
    from webgpu_llm.server.app_config import model_record

    record = model_record(DEFAULT_EMBEDDING_MODEL_ID, minilm_folder)
    assert record["model_type"] == 1  # WebLLM's ModelType.embedding
    assert 45 < record["vram_required_MB"] < 400  # 44 MiB of f16 weights + the largest batch's activations
