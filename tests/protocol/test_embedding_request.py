"""OpenAI's embeddings request: every input kind, refusals naming their param, base64 as OpenAI encodes it."""

import base64
import struct

import pytest

from webgpu_llm.protocol.embeddings import EmbeddingRequest, encode_embedding
from webgpu_llm.protocol.errors import InvalidRequestError


@pytest.mark.parametrize("value, texts, ids", [
    ("one", ("one",), None), (["a", "b"], ("a", "b"), None),
    ([1, 2, 3], None, ((1, 2, 3),)), ([[1], [2, 3]], None, ((1,), (2, 3))),
    ([7] * 3000, None, ((7,) * 3000,)),  # one long sequence of ids is not 3000 inputs
])
def test_input_kinds(value, texts, ids):
    request = EmbeddingRequest.from_dict({"input": value, "model": "m", "user": "u"})
    assert (request.texts, request.token_ids, request.model, request.encoding_format) == (texts, ids, "m", "float")


@pytest.mark.parametrize("body, param", [
    ({}, "input"), ({"input": None}, "input"), ({"input": ["a", ""]}, "input"), ({"input": [1, "a"]}, "input"),
    ({"input": [[1], [True]]}, "input"), ({"input": ["a"] * 2049}, "input"), ({"input": {"text": "a"}}, "input"),
    ({"input": "a", "encoding_format": "int8"}, "encoding_format"), ({"input": "a", "dimensions": 0}, "dimensions"),
    ({"input": "a", "model": 3}, "model"), ({"input": "a", "user": 1}, "user"), ({"input": "a", "n": 2}, "n"),
])
def test_refusals_name_their_param(body, param):
    with pytest.raises(InvalidRequestError) as error:
        EmbeddingRequest.from_dict(body)
    assert error.value.param == param


def test_base64_is_little_endian_float32():
    values = [0.25, -1.5, 3.0]
    encoded = encode_embedding(values, "base64")
    assert struct.unpack("<3f", base64.b64decode(encoded)) == tuple(values)
    assert encode_embedding(values, "float") is values
