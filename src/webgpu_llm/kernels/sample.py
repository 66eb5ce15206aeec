"""The GPU sampler (`sample.wgsl`): variant, dispatch size, and its RNG in Python.

One workgroup picks the next token from the LM head's logits and writes it
where the next step's embedding lookup reads it (DESIGN.md, decision 5); a
batched decode step runs one such workgroup per row (`sample_kernel(batch=...)`).
`uniform_draw` is bit-for-bit the kernel's draw, so the engine and the tests
can predict which token a seed picks.
"""

from __future__ import annotations

from collections.abc import Iterable

from .specialize import KernelVariant

SAMPLE_WORKGROUPS = (1, 1, 1)  # one workgroup over the whole vocabulary
WORKGROUP = 256  # CPU adapters, whose invocations run a few SIMD lanes at a time
# GPUs: one workgroup walks the whole vocabulary with loads that wait on memory, so more
# invocations keep more of them in flight (the 8B shape's 128,256 logits took 341 us on an
# H100 at 256).
GPU_WORKGROUP = 1024
MAX_TOP_LOGPROBS = 20  # OpenAI's limit on top_logprobs
LOGPROB_ROW = 1 + 2 * MAX_TOP_LOGPROBS  # f32/u32 slots per step in logprob_out
_MASK32 = 0xFFFFFFFF


def sampler_workgroup(cpu_adapter: bool, max_invocations: int) -> int:
    """The sampler's workgroup size on an adapter: WORKGROUP on CPUs, else the largest power
    of two up to GPU_WORKGROUP that the device allows."""
    if cpu_adapter:
        return WORKGROUP
    size = WORKGROUP
    while size * 2 <= min(GPU_WORKGROUP, max_invocations):
        size *= 2
    return size


def sample_kernel(vocab: int, subgroups: bool, batch: int = 0, *, workgroup: int = WORKGROUP) -> KernelVariant:
    """The sampler for a vocabulary of `vocab` tokens; `workgroup` must be a power of two.

    `batch` >= 1: the batched sampler of a batched decode step, for up to `batch` rows and
    `batch` sequence slots (BatchParams at binding 0; layouts in sample.wgsl), dispatched
    as sample_workgroups(rows); each row's results are the unbatched kernel's bit for bit."""
    if vocab < 1:
        raise ValueError(f"vocab must be >= 1, got {vocab}")
    if workgroup < 1 or workgroup & (workgroup - 1) or workgroup > 1024:
        raise ValueError(f"workgroup must be a power of two in 1..1024, got {workgroup}")
    if batch < 0:
        raise ValueError(f"batch must be >= 0 (0: unbatched), got {batch}")
    batching = dict(BATCHED=True, BATCH=batch) if batch else dict(BATCHED=False)
    return KernelVariant.of("sample.wgsl", VOCAB=vocab, WORKGROUP=workgroup, MAX_TOP=MAX_TOP_LOGPROBS,
                            SUBGROUPS=bool(subgroups), **batching)


def sample_workgroups(rows: int) -> tuple[int, int, int]:
    """A batched sampler's dispatch: one workgroup per row of the step (rows >= 1)."""
    if rows < 1:
        raise ValueError(f"a batched step samples rows >= 1, got {rows}")
    return (rows, 1, 1)


def mask_words(vocab: int) -> int:
    """u32 words in one row of the `token_masks` bitsets."""
    return (vocab + 31) // 32


def token_bits(token_ids: Iterable[int], vocab: int) -> list[int]:
    """One `token_masks` row: bit i % 32 of word i // 32 set for each token id given."""
    words = [0] * mask_words(vocab)
    for t in token_ids:
        if not 0 <= t < vocab:
            raise ValueError(f"token id {t} outside the vocabulary 0..{vocab - 1}")
        words[t >> 5] |= 1 << (t & 31)
    return words


def token_masks(prompt_ids: Iterable[int], vocab: int, allowed: Iterable[int] | None = None) -> list[int]:
    """Both `token_masks` rows: the prompt's tokens, then the grammar's allowed tokens
    (all of them when `allowed` is None; the kernel reads row 1 only under FLAG_GRAMMAR)."""
    grammar = token_bits(range(vocab) if allowed is None else allowed, vocab)
    return token_bits(prompt_ids, vocab) + grammar


def pcg_hash(value: int) -> int:
    """PCG RXS-M-XS output of one LCG step on a u32 (as `pcg_hash` in sample.wgsl)."""
    state = (value * 747796405 + 2891336453) & _MASK32
    word = (((state >> ((state >> 28) + 4)) ^ state) * 277803737) & _MASK32
    return (word >> 22) ^ word


def uniform_draw(seed: int, seed_hi: int, step: int) -> float:
    """The kernel's u in [0, 1) for (seed low 32 bits, seed high 32 bits, step): 24 random bits."""
    h = pcg_hash(pcg_hash(pcg_hash(seed & _MASK32) ^ (seed_hi & _MASK32)) ^ (step & _MASK32))
    return (h >> 8) / 16777216.0
