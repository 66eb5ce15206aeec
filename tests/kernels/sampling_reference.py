"""Slow numpy reference of the sampler spec in `kernels/sample.wgsl`.

Penalties follow HF transformers (repetition) and OpenAI (frequency,
presence) in the kernel's order; the choice is made in float64 with the
kernel's RNG (`uniform_draw`), so the GPU must agree except on draws that
land within float32 rounding of a CDF boundary.
"""

from __future__ import annotations

import numpy as np

from webgpu_llm.kernels.sample import uniform_draw
from webgpu_llm.kernels.step_params import FLAG_LOGIT_BIAS, StepParams


def processed_logits(logits, bias, counts, prompt_ids, p: StepParams) -> np.ndarray:
    """Steps 1-3 in float32, op by op as the kernel does them. (V,) -> (V,)"""
    x = np.asarray(logits, np.float32).copy()
    if p.flags & FLAG_LOGIT_BIAS:
        x = x + np.asarray(bias, np.float32)
    counts = np.asarray(counts, np.uint32)
    seen = counts > 0
    seen[list(prompt_ids)] = True
    rep = np.float32(p.repetition_penalty)
    if rep != 1:
        x = np.where(seen, np.where(x > 0, x / rep, x * rep), x).astype(np.float32)
    x = x - counts.astype(np.float32) * np.float32(p.frequency_penalty)
    return (x - np.where(counts > 0, np.float32(p.presence_penalty), np.float32(0))).astype(np.float32)


def kept_tokens(processed, p: StepParams) -> np.ndarray:
    """Boolean (V,): the top-k set, then within it the top-p nucleus; boundary ties kept."""
    x = np.asarray(processed, np.float64)
    keep = np.ones(x.shape, bool)
    if 0 < p.top_k < x.size:
        keep = x >= np.sort(x)[::-1][p.top_k - 1]
    if p.top_p < 1:
        weights = np.where(keep, np.exp((x - x.max()) / p.temperature), 0.0)
        need = np.float32(p.top_p) * weights.sum()
        for value in np.unique(x[keep])[::-1]:  # distinct logits, largest first
            if weights[x >= value].sum() >= need:
                return keep & (x >= value)
    return keep


def chosen_token(processed, p: StepParams) -> int:
    """Greedy (lowest id wins ties) or the inverse-CDF draw in token-id order."""
    x = np.asarray(processed, np.float64)
    if p.temperature <= 0:
        return int(np.argmax(x))  # argmax returns the first, i.e. lowest, id
    weights = np.where(kept_tokens(x, p), np.exp((x - x.max()) / p.temperature), 0.0)
    cdf = np.cumsum(weights)
    u = uniform_draw(p.seed, p.seed_hi, p.step)
    return int(np.argmax(cdf > u * cdf[-1]))


def draw_margin(processed, p: StepParams) -> float:
    """Distance of u * total from the nearest CDF boundary, relative to the total."""
    x = np.asarray(processed, np.float64)
    weights = np.where(kept_tokens(x, p), np.exp((x - x.max()) / p.temperature), 0.0)
    cdf = np.concatenate([[0.0], np.cumsum(weights)])
    u = uniform_draw(p.seed, p.seed_hi, p.step)
    return float(np.min(np.abs(cdf - u * cdf[-1])) / cdf[-1])


def log_softmax(processed) -> np.ndarray:
    x = np.asarray(processed, np.float64)
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())


def top_logprobs(processed, n: int) -> list[tuple[int, float]]:
    """The n largest (id, logprob), logprob descending then id ascending."""
    lp = log_softmax(processed)
    order = sorted(range(lp.size), key=lambda i: (-float(np.float32(processed[i])), i))
    return [(i, float(lp[i])) for i in order[:n]]
