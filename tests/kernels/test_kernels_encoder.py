"""The BERT encoder's kernels against numpy references of HF BertModel's math (f32 / float64).

Shapes are not multiples of the workgroup sizes (64) and D is odd in places (a half-used last word).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import packed_vector
from webgpu_llm.kernels.bias_activation import bias_activation_kernel, bias_activation_workgroups
from webgpu_llm.kernels.encoder_attention import encoder_attention_kernel, encoder_attention_workgroups
from webgpu_llm.kernels.encoder_embed import encoder_embed_kernel, encoder_embed_workgroups
from webgpu_llm.kernels.encoder_params import EncoderParams
from webgpu_llm.kernels.layer_norm import layer_norm_kernel, layer_norm_workgroups
from webgpu_llm.kernels.pool_normalize import pool_normalize_kernel, pool_normalize_workgroups

RNG = np.random.default_rng(11)


def layer_norm_reference(v: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    v = v.astype(np.float64)
    mean = v.mean(axis=-1, keepdims=True)
    var = ((v - mean) ** 2).mean(axis=-1, keepdims=True)
    return (v - mean) / np.sqrt(var + eps) * gamma + beta


def gelu_erf(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


@pytest.mark.parametrize("fmt", ["F16", "BF16"])
@pytest.mark.parametrize("input_bias, residual", [(False, False), (True, True)])
@pytest.mark.parametrize("t, d", [(3, 384), (5, 301)])
def test_layer_norm_matches_reference(device, fmt, input_bias, residual, t, d):
    eps = 1e-12
    x = (RNG.standard_normal((t, d)) * 2 + 0.7).astype(np.float32)    # (T, D)
    h = RNG.standard_normal((t + 1, d)).astype(np.float32)             # residual; row T must stay as it is
    gamma_words, gamma = packed_vector((RNG.standard_normal(d) * 0.3 + 1).astype(np.float32), fmt)
    beta_words, beta = packed_vector((RNG.standard_normal(d) * 0.1).astype(np.float32), fmt)
    bias_words, bias = packed_vector((RNG.standard_normal(d) * 0.2).astype(np.float32), fmt)
    inputs = {"x": np.concatenate([x, np.ones((1, d), np.float32)]), "gamma": gamma_words, "beta": beta_words}
    outputs = {}
    if input_bias:
        inputs["x_bias"] = bias_words
    if residual:
        inputs["out"] = h
    else:
        outputs["out"] = (np.float32, (t + 1, d))
    result = run_kernel(device, layer_norm_kernel(d, eps, fmt, input_bias=input_bias, residual=residual),
                        inputs, outputs, layer_norm_workgroups(t + 1), EncoderParams(seq_len=t, batch=1),
                        read=["out"] if residual else None)["out"]
    v = x + (bias if input_bias else 0) + (h[:t] if residual else 0)
    # Normalized values are O(1): f32 sums of D values and a division, a few ulp each.
    np.testing.assert_allclose(result[:t], layer_norm_reference(v, gamma, beta, eps), rtol=1e-5, atol=2e-5)
    np.testing.assert_array_equal(result[t], h[t] if residual else 0.0)


@pytest.mark.parametrize("gelu", [False, True])
@pytest.mark.parametrize("fmt", ["F16", "BF16"])
def test_bias_activation_matches_reference(device, gelu, fmt):
    t, n = 7, 1153
    y = (RNG.standard_normal((t, n)) * 3).astype(np.float32)
    bias_words, bias = packed_vector(RNG.standard_normal(n).astype(np.float32), fmt)
    out = run_kernel(device, bias_activation_kernel(n, fmt, gelu=gelu), {"y": y, "bias": bias_words}, {},
                     bias_activation_workgroups(bias_activation_kernel(n, fmt, gelu=gelu), t),
                     EncoderParams(seq_len=t, batch=1), read=["y"])["y"]
    v = y.astype(np.float64) + bias
    # erf by Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7, times |x| / 2 in the GELU.
    np.testing.assert_allclose(out, gelu_erf(v) if gelu else v, rtol=1e-6, atol=2e-6 if gelu else 1e-6)


@pytest.mark.parametrize("fmt", ["F16", "BF16"])
def test_encoder_embed_sums_word_position_and_type(device, fmt):
    vocab, positions, d, seq_len, batch = 50, 16, 37, 6, 3
    word_words, word = packed_vector(RNG.standard_normal(vocab * d).astype(np.float32), fmt)
    pos_words, pos = packed_vector(RNG.standard_normal(positions * d).astype(np.float32), fmt)
    type_words, types = packed_vector(RNG.standard_normal(2 * d).astype(np.float32), fmt)
    tokens = RNG.integers(0, vocab, seq_len * batch).astype(np.uint32)
    variant = encoder_embed_kernel(vocab, d, fmt)
    out = run_kernel(device, variant, {"tokens": tokens, "word": word_words, "position": pos_words,
                                       "token_type": type_words},
                     {"out": (np.float32, (seq_len * batch, d))}, encoder_embed_workgroups(variant, seq_len * batch),
                     EncoderParams(seq_len=seq_len, batch=batch))["out"]
    rows = np.arange(seq_len * batch)
    expected = (word.reshape(vocab, d)[tokens] + pos.reshape(positions, d)[rows % seq_len]
                + types.reshape(2, d)[0])
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def attention_reference(qkv: np.ndarray, lengths: list[int], seq_len: int, heads: int) -> np.ndarray:
    """(T, D) from (T, 3D): softmax over each input's own unpadded keys; padded query rows are zero."""
    t, d = qkv.shape[0], qkv.shape[1] // 3
    dh = d // heads
    q, k, v = (qkv[:, i * d:(i + 1) * d].astype(np.float64).reshape(t, heads, dh) for i in range(3))
    out = np.zeros((t, heads, dh))
    for b, length in enumerate(lengths):
        rows = slice(b * seq_len, b * seq_len + length)
        scores = np.einsum("qhc,khc->hqk", q[rows], k[rows]) / math.sqrt(dh)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        out[rows] = np.einsum("hqk,khc->qhc", weights, v[rows])
    return out.reshape(t, d)


@pytest.mark.parametrize("heads, head_dim", [(12, 32), (3, 20)])
def test_encoder_attention_masks_padding(device, heads, head_dim):
    lengths, seq_len = [9, 1, 5], 9
    t, d = len(lengths) * seq_len, heads * head_dim
    qkv = (RNG.standard_normal((t, 3 * d)) * 1.5).astype(np.float32)
    variant = encoder_attention_kernel(heads, head_dim)
    out = run_kernel(device, variant, {"qkv": qkv, "lengths": np.array(lengths, np.uint32)},
                     {"out": (np.float32, (t, d))}, encoder_attention_workgroups(variant, t),
                     EncoderParams(seq_len=seq_len, batch=len(lengths)))["out"]
    # f32 online softmax and sums over <= 9 keys: a few ulp of values of magnitude ~1.
    np.testing.assert_allclose(out, attention_reference(qkv, lengths, seq_len, heads), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
@pytest.mark.parametrize("normalize", [True, False])
def test_pool_normalize_matches_reference(device, pooling, normalize):
    lengths, seq_len, d = [4, 7, 1], 7, 301
    hidden = RNG.standard_normal((len(lengths) * seq_len, d)).astype(np.float32)
    out = run_kernel(device, pool_normalize_kernel(d, pooling, normalize),
                     {"hidden": hidden, "lengths": np.array(lengths, np.uint32)},
                     {"out": (np.float32, (len(lengths), d))}, pool_normalize_workgroups(len(lengths)),
                     EncoderParams(seq_len=seq_len, batch=len(lengths)))["out"]
    rows = hidden.astype(np.float64).reshape(len(lengths), seq_len, d)
    if pooling == "mean":
        expected = np.stack([rows[b, :n].mean(0) for b, n in enumerate(lengths)])
    else:
        expected = rows[:, 0]
    if normalize:
        expected /= np.linalg.norm(expected, axis=-1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_encoder_kernels_reject_unknown_modes():
    with pytest.raises(ValueError, match="allowed"):
        layer_norm_kernel(64, 1e-12, "Q4F16")
    with pytest.raises(ValueError, match="allowed"):
        pool_normalize_kernel(64, "max", True)
