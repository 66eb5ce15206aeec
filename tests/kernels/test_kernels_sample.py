"""The GPU sampler against the numpy reference in sampling_reference.py."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from sampling_reference import chosen_token, draw_margin, kept_tokens, log_softmax, processed_logits, top_logprobs
from webgpu_llm.kernels.sample import (GPU_WORKGROUP, LOGPROB_ROW, MAX_TOP_LOGPROBS, SAMPLE_WORKGROUPS, WORKGROUP,
                                       sample_kernel, sampler_workgroup, token_masks, uniform_draw)
from webgpu_llm.kernels.step_params import FLAG_GRAMMAR, FLAG_LOGIT_BIAS, FLAG_LOGPROBS, StepParams

UNTOUCHED = 0xDEADBEEF
RNG = np.random.default_rng(7)
LOGITS_1000 = (RNG.standard_normal(1000) * 3).astype(np.float32)  # (1000,)


def run_sampler(device, subgroups, logits, params: StepParams, *, bias=None, counts=None, prompt_ids=(),
                allowed=None, workgroup=256) -> dict[str, np.ndarray]:
    """One sampler dispatch; returns processed, logprob_out, generated_counts, tokens, history."""
    vocab = len(logits)
    capacity = params.history_capacity
    inputs = {
        "logits": np.asarray(logits, np.float32),                                   # (V,)
        "logit_bias": np.zeros(vocab, np.float32) if bias is None else np.asarray(bias, np.float32),
        "generated_counts": np.zeros(vocab, np.uint32) if counts is None else np.asarray(counts, np.uint32),
        "token_masks": np.array(token_masks(prompt_ids, vocab, allowed), np.uint32),  # (2, ceil(V/32))
        "tokens": np.full(1, UNTOUCHED, np.uint32),
        "history": np.full(capacity, UNTOUCHED, np.uint32),                         # (capacity,)
    }
    outputs = {"processed": (np.float32, (vocab,)), "logprob_out": (np.uint32, (capacity, LOGPROB_ROW))}
    variant = sample_kernel(vocab, subgroups, workgroup=workgroup)
    return run_kernel(device, variant, inputs, outputs, SAMPLE_WORKGROUPS, params,
                      read=["generated_counts", "tokens", "history"])


def sampled(device, subgroups, logits, params, **kw) -> int:
    return int(run_sampler(device, subgroups, logits, params, **kw)["tokens"][0])


@pytest.mark.parametrize("vocab", [1000, 49152 + 3])
def test_greedy_is_argmax_lowest_id_wins_ties_and_outputs_are_written(device, subgroups, vocab):
    logits = np.random.default_rng(vocab).standard_normal(vocab).astype(np.float32)
    top = vocab - 2  # near the end: the last, partial stride must be read
    logits[[top, 17, top - 1]] = 9.0
    counts = np.zeros(vocab, np.uint32)
    counts[17] = 4
    params = StepParams(temperature=0.0, step=12, history_capacity=5)
    out = run_sampler(device, subgroups, logits, params, counts=counts)
    assert out["tokens"][0] == 17  # the lowest of three tied ids
    expected_history = np.full(5, UNTOUCHED, np.uint32)
    expected_history[12 % 5] = 17
    np.testing.assert_array_equal(out["history"], expected_history)
    expected_counts = counts.copy()
    expected_counts[17] += 1
    np.testing.assert_array_equal(out["generated_counts"], expected_counts)
    np.testing.assert_array_equal(out["processed"], logits)


def test_greedy_ties_between_signed_zeros_go_to_the_lowest_id(device, subgroups):
    logits = np.full(300, -1.0, np.float32)
    logits[[5, 250]] = [0.0, -0.0]
    logits[2] = -0.0
    assert sampled(device, subgroups, logits, StepParams()) == 2


def test_logit_bias_removes_and_forces_tokens_only_when_flagged(device, subgroups):
    best = int(np.argmax(LOGITS_1000))
    second = int(np.argsort(LOGITS_1000)[-2])
    bias = np.zeros(1000, np.float32)
    bias[best] = -100.0
    on = StepParams(flags=FLAG_LOGIT_BIAS)
    assert sampled(device, subgroups, LOGITS_1000, on, bias=bias) == second
    assert sampled(device, subgroups, LOGITS_1000, StepParams(), bias=bias) == best  # flag off: ignored
    bias[777] = 100.0
    for seed in range(3):
        sampling = StepParams(temperature=1.0, seed=seed, flags=FLAG_LOGIT_BIAS)
        assert sampled(device, subgroups, LOGITS_1000, sampling, bias=bias) == 777


def test_penalties_change_processed_logits_like_the_reference(device, subgroups):
    rng = np.random.default_rng(3)
    vocab = 1000
    counts = np.where(rng.random(vocab) < 0.2, rng.integers(1, 5, vocab), 0).astype(np.uint32)
    prompt_ids = sorted(set(rng.integers(0, vocab, 150).tolist()))
    bias = rng.standard_normal(vocab).astype(np.float32)
    params = StepParams(repetition_penalty=1.3, frequency_penalty=0.5, presence_penalty=0.7,
                        flags=FLAG_LOGIT_BIAS)
    out = run_sampler(device, subgroups, LOGITS_1000, params, bias=bias, counts=counts, prompt_ids=prompt_ids)
    expected = processed_logits(LOGITS_1000, bias, counts, prompt_ids, params)
    assert np.count_nonzero(expected != LOGITS_1000 + bias) > 200  # the penalties did act
    # f32 ops in the same order; a driver may fuse count * frequency into an FMA.
    np.testing.assert_allclose(out["processed"], expected, rtol=2e-7, atol=2e-6)
    assert out["tokens"][0] == np.argmax(expected)


@pytest.mark.parametrize("penalty, expected", [("repetition", [1.0, -4.0, 4.0, -4.0]),
                                                ("frequency", [2.0, -2.0, 4.0, -3.5]),
                                                ("presence", [2.0, -2.0, 4.0, -2.5])])
def test_each_penalty_alone(device, subgroups, penalty, expected):
    # tokens: 0 in prompt only, 1 in prompt only, 2 untouched, 3 generated 3 times
    logits = np.array([2.0, -2.0, 4.0, -2.0], np.float32)
    values = {"repetition": dict(repetition_penalty=2.0), "frequency": dict(frequency_penalty=0.5),
              "presence": dict(presence_penalty=0.5)}[penalty]
    out = run_sampler(device, subgroups, logits, StepParams(**values), counts=[0, 0, 0, 3], prompt_ids=[0, 1])
    np.testing.assert_allclose(out["processed"], np.array(expected, np.float32), rtol=1e-6)


def test_top_k_one_equals_greedy(device, subgroups):
    best = int(np.argmax(LOGITS_1000))
    for seed in range(4):
        assert sampled(device, subgroups, LOGITS_1000, StepParams(temperature=1.5, top_k=1, seed=seed)) == best


def test_top_p_keeps_exactly_the_reference_nucleus(device, subgroups):
    # masses 0.30, 0.25, 0.20 | 0.15 | 0.10 spread thinly: with top_p 0.7 the
    # nucleus is the first three (0.75 >= 0.7, 0.55 < 0.7), far from any tie.
    vocab = 1000
    probs = np.full(vocab, 0.10 / (vocab - 4))
    probs[[400, 3, 999, 512]] = [0.30, 0.25, 0.20, 0.15]
    logits = np.log(probs).astype(np.float32)
    nucleus = {3, 400, 999}
    seen = set()
    for seed in range(40):
        params = StepParams(temperature=1.0, top_p=0.7, seed=seed, step=seed * 3)
        assert set(np.flatnonzero(kept_tokens(logits, params))) == nucleus
        token = sampled(device, subgroups, logits, params)
        assert token == chosen_token(logits, params)
        seen.add(token)
    assert seen == nucleus


def test_top_k_then_top_p_renormalizes_within_top_k(device, subgroups):
    # top_k=2 keeps {a: 0.30, b: 0.25}; within it a holds 0.545, so top_p 0.5 keeps only a.
    probs = np.full(500, 0.45 / 497)
    probs[[10, 20, 30]] = [0.30, 0.25, 0.0005]
    logits = np.log(probs).astype(np.float32)
    for seed in range(6):
        params = StepParams(temperature=1.0, top_k=2, top_p=0.5, seed=seed)
        assert sampled(device, subgroups, logits, params) == 10 == chosen_token(logits, params)


@pytest.mark.parametrize("vocab, temperature, top_k, top_p", [(1000, 1.0, 0, 1.0), (1000, 0.8, 50, 0.9),
                                                             (49152 + 3, 0.7, 40, 0.95)])
def test_seeded_draws_match_the_reference_inverse_cdf(device, subgroups, vocab, temperature, top_k, top_p):
    logits = (np.random.default_rng(vocab).standard_normal(vocab) * 2.5).astype(np.float32)
    pairs = [(seed * 7919 + 1, seed % 3, step) for seed in range(6) for step in (0, 1, 1000)]
    if vocab > 1000:
        pairs = pairs[::3]  # lavapipe runs one workgroup on one core: keep the test short
    chosen = set()
    for seed, seed_hi, step in pairs:
        params = StepParams(temperature=temperature, top_k=top_k, top_p=top_p, seed=seed, seed_hi=seed_hi,
                            step=step, history_capacity=4)
        if draw_margin(logits, params) < 1e-5:
            continue  # within f32 rounding of a boundary: either side is right
        token = sampled(device, subgroups, logits, params)
        assert token == chosen_token(logits, params), (seed, seed_hi, step)
        chosen.add(token)
    assert len(chosen) > 2


def test_seeds_differ_and_repeat_over_a_flat_distribution(device, subgroups):
    flat = np.zeros(1000, np.float32)
    tokens = [sampled(device, subgroups, flat, StepParams(temperature=1.0, seed=s)) for s in range(12)]
    assert len(set(tokens)) >= 10
    assert sampled(device, subgroups, flat, StepParams(temperature=1.0, seed=5)) == tokens[5]
    high = sampled(device, subgroups, flat, StepParams(temperature=1.0, seed=5, seed_hi=1))
    later = sampled(device, subgroups, flat, StepParams(temperature=1.0, seed=5, step=1))
    assert high != tokens[5] and later != tokens[5]
    assert high == int(uniform_draw(5, 1, 0) * 1000) and later == int(uniform_draw(5, 0, 1) * 1000)


def test_temperature_scales_the_distribution(device, subgroups):
    logits = np.array([2.0, 1.0, 0.0, -1.0] * 50, np.float32)  # (200,)
    differ = 0
    for seed in range(10):
        cold = StepParams(temperature=0.25, seed=seed, step=seed)
        hot = StepParams(temperature=4.0, seed=seed, step=seed)
        cold_token, hot_token = sampled(device, subgroups, logits, cold), sampled(device, subgroups, logits, hot)
        assert cold_token == chosen_token(logits, cold) and hot_token == chosen_token(logits, hot)
        assert logits[cold_token] == 2.0  # at 0.25 the 2.0 logits hold 98% of the mass
        differ += cold_token != hot_token
    assert differ >= 5


@pytest.mark.parametrize("wanted", [MAX_TOP_LOGPROBS, 5])
def test_logprobs_and_top_alternatives_match_log_softmax(device, subgroups, wanted):
    logits = LOGITS_1000.copy()
    logits[[600, 40]] = logits.max() + 1.0  # a tie at the top: lower id first
    logits[[11, 12, 13]] = np.sort(logits)[-8]  # a tie in the middle of the top 20
    params = StepParams(temperature=0.9, seed=11, step=6, history_capacity=4, num_top_logprobs=wanted,
                        flags=FLAG_LOGPROBS)
    out = run_sampler(device, subgroups, logits, params)
    token = int(out["tokens"][0])
    row = out["logprob_out"][6 % 4]  # (1 + 2 * MAX_TOP,) u32 words
    floats = row.view(np.float32)
    reference = log_softmax(logits)
    np.testing.assert_allclose(floats[0], reference[token], atol=2e-5)
    ids, lps = row[1::2], floats[2::2]
    expected = top_logprobs(logits, wanted)
    np.testing.assert_array_equal(ids[:wanted], [i for i, _ in expected])
    np.testing.assert_allclose(lps[:wanted], [lp for _, lp in expected], atol=2e-5)
    assert np.all(ids[wanted:] == 0xFFFFFFFF) and np.all(lps[wanted:] == -np.inf)
    assert np.all(out["logprob_out"][[0, 1, 3]] == 0)  # other steps' rows untouched


def test_logprobs_are_not_written_unless_asked(device, subgroups):
    out = run_sampler(device, subgroups, LOGITS_1000, StepParams(num_top_logprobs=20, history_capacity=2))
    assert np.all(out["logprob_out"] == 0)


@pytest.mark.parametrize("workgroup", [64, 1024])
def test_other_workgroup_sizes(device, subgroups, workgroup):
    vocab = 777
    logits = (np.random.default_rng(1).standard_normal(vocab) * 2).astype(np.float32)
    assert sampled(device, subgroups, logits, StepParams(), workgroup=workgroup) == np.argmax(logits)
    for seed in range(3):
        params = StepParams(temperature=1.0, top_k=20, top_p=0.8, seed=seed)
        assert sampled(device, subgroups, logits, params, workgroup=workgroup) == chosen_token(logits, params)


def test_uniform_draw_is_uniform_and_in_range():
    draws = [uniform_draw(123, 0, step) for step in range(20000)]
    assert all(0.0 <= u < 1.0 for u in draws)
    assert abs(sum(draws) / len(draws) - 0.5) < 0.01
    histogram = np.histogram(draws, bins=10, range=(0, 1))[0]
    assert histogram.min() > 1800
    assert uniform_draw(1, 0, 0) != uniform_draw(0, 1, 0) != uniform_draw(0, 0, 1)


def test_sample_kernel_rejects_bad_sizes():
    with pytest.raises(ValueError):
        sample_kernel(0, False)
    with pytest.raises(ValueError):
        sample_kernel(1000, False, workgroup=96)
    assert sample_kernel(1000, True).key != sample_kernel(1000, False).key


# ---- grammar mask (row 1 of token_masks, under FLAG_GRAMMAR) ----

def masked_reference(logits, allowed) -> np.ndarray:
    """The reference sees only allowed tokens: the others are -inf (never kept, zero mass)."""
    out = np.full(len(logits), -np.inf, np.float32)
    out[list(allowed)] = np.asarray(logits, np.float32)[list(allowed)]
    return out


def test_grammar_mask_greedy_picks_the_best_allowed_token_and_only_when_flagged(device, subgroups):
    vocab = 49152 + 3
    logits = (np.random.default_rng(3).standard_normal(vocab) * 3).astype(np.float32)
    order = np.argsort(-logits)
    allowed = [int(order[5]), int(order[900]), vocab - 1]  # the best allowed is the 6th best overall
    on = StepParams(flags=FLAG_GRAMMAR)
    out = run_sampler(device, subgroups, logits, on, allowed=allowed)
    assert int(out["tokens"][0]) == int(order[5])
    assert np.all(out["processed"][np.setdiff1d(np.arange(vocab), allowed)] < -1e38)
    np.testing.assert_array_equal(out["processed"][allowed], logits[allowed])
    assert sampled(device, subgroups, logits, StepParams(), allowed=allowed) == int(order[0])  # flag off


def test_grammar_mask_outranks_logit_bias_and_penalties(device, subgroups):
    logits = LOGITS_1000.copy()
    allowed = [3, 500, 999]
    bias = np.zeros(1000, np.float32)
    bias[int(np.argmax(logits))] = 100.0  # a forced token the grammar does not allow
    counts = np.zeros(1000, np.uint32)
    counts[allowed] = 50  # allowed tokens pushed far down by penalties stay choosable
    params = StepParams(flags=FLAG_GRAMMAR | FLAG_LOGIT_BIAS, frequency_penalty=2.0, presence_penalty=2.0)
    token = sampled(device, subgroups, logits, params, allowed=allowed, bias=bias, counts=counts)
    assert token == allowed[int(np.argmax(logits[allowed]))]


@pytest.mark.parametrize("top_k, top_p", [(0, 1.0), (200, 0.9), (2, 1.0)])
def test_grammar_mask_draws_follow_the_reference_over_allowed_tokens(device, subgroups, top_k, top_p):
    vocab = 1000
    logits = (np.random.default_rng(11).standard_normal(vocab) * 2).astype(np.float32)
    allowed = sorted(np.random.default_rng(12).choice(vocab, 37, replace=False).tolist())
    reference = masked_reference(logits, allowed)
    chosen = set()
    for seed in range(24):
        params = StepParams(temperature=0.9, top_k=top_k, top_p=top_p, seed=seed * 31 + 5, step=seed,
                            flags=FLAG_GRAMMAR, history_capacity=2)
        token = sampled(device, subgroups, logits, params, allowed=allowed)
        assert token in allowed
        if draw_margin(reference, params) >= 1e-5:
            assert token == chosen_token(reference, params), seed
        chosen.add(token)
    assert len(chosen) >= (2 if top_k == 2 else 4)


def test_grammar_mask_with_one_allowed_token_draws_it_at_any_seed(device, subgroups):
    flat = np.zeros(1000, np.float32)  # every masked token ties with the allowed one before the mask
    for seed in range(8):
        params = StepParams(temperature=1.0, top_k=500, seed=seed, flags=FLAG_GRAMMAR)
        assert sampled(device, subgroups, flat, params, allowed=[777]) == 777


def test_sampler_workgroup_grows_on_gpus_within_the_device_limit():
    assert sampler_workgroup(True, 1024) == WORKGROUP  # CPU adapters keep the tested default
    assert sampler_workgroup(False, 1024) == GPU_WORKGROUP
    assert sampler_workgroup(False, 768) == 512  # a power of two the device allows
    assert sampler_workgroup(False, 256) == 256  # WebGPU's default limit
