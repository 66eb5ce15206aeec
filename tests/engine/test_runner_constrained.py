"""Decode under a grammar mask, one step behind, on the real model (runner level).

The matchers here are small GrammarMatcher implementations (a fixed token
sequence, a fixed set): they pin down what the runner must do with any
grammar engine's mask. The engines themselves are tested in tests/grammar/.
"""

import asyncio
import struct

import numpy as np

from webgpu_llm.engine.jobs import chat_prompt_ids
from webgpu_llm.engine.runner import Constraint, SamplingSetup
from webgpu_llm.grammar.matcher import GrammarMatcher, mask_words

QUESTION = [{"role": "user", "content": "Write one sentence about the sea."}]


class AllowedSets(GrammarMatcher):
    """Step i allows `allowed(i)` (a set of ids, None = every id); complete after `length` tokens."""

    def __init__(self, vocab: int, allowed, length: int | None = None):
        self.vocab, self.allowed, self.length = vocab, allowed, length
        self.accepted: list[int] = []

    def accept_token(self, token: int) -> bool:
        ok = self._allows(len(self.accepted), token)
        self.accepted.append(token)
        return ok

    def _allows(self, step: int, token: int) -> bool:
        chosen = self.allowed(step)
        return chosen is None or token in chosen

    async def write_next_mask(self, device, buffer, offset: int) -> None:
        chosen = self.allowed(len(self.accepted))
        words = [0xFFFFFFFF] * mask_words(self.vocab) if chosen is None else [0] * mask_words(self.vocab)
        for token in chosen or ():
            words[token >> 5] |= 1 << (token & 31)
        device.write_buffer(buffer, offset, struct.pack(f"<{len(words)}I", *words))

    def rollback(self, count: int) -> None:
        del self.accepted[len(self.accepted) - count:]

    def is_terminated(self) -> bool:
        return self.length is not None and len(self.accepted) >= self.length


def run(runner, prompt, sampling, max_new, constraint=None) -> list[int]:
    async def go():
        return [s.token async for s in runner.generate(prompt, sampling, max_new, constraint)]
    return asyncio.run(go())


def setup(engine):
    model = engine.engine.model
    return model, model.runner, chat_prompt_ids(model, QUESTION), model.config.vocab_size


def test_a_mask_allowing_every_token_gives_the_unconstrained_tokens(engine):
    model, runner, prompt, vocab = setup(engine)
    for sampling in (SamplingSetup(), SamplingSetup(temperature=0.8, top_p=0.9, seed=3)):
        free = run(runner, prompt, sampling, 10)
        constraint = Constraint(AllowedSets(vocab, lambda step: None))
        constrained = run(runner, prompt, SamplingSetup(**{**sampling.__dict__, "grammar": True}), 10, constraint)
        assert constrained == free
        assert constraint.masks == 10 and not constraint.terminated


def test_a_forced_sequence_comes_out_exactly_greedy_and_sampled_then_ends(engine):
    model, runner, prompt, vocab = setup(engine)
    target = model.tokenizer.encode(" zebra 42 purple umbrella", add_special_tokens=False)
    greedy = run(runner, prompt, SamplingSetup(), 6)
    assert greedy[: len(target)] != target
    for sampling in (SamplingSetup(grammar=True), SamplingSetup(temperature=1.0, seed=9, grammar=True)):
        constraint = Constraint(AllowedSets(vocab, lambda step: {target[step]}, len(target)))
        assert run(runner, prompt, sampling, 32, constraint) == target
        assert constraint.terminated and constraint.masks == len(target)
        assert runner.kv_tokens == prompt + target[:-1]  # the forward pass queued past the end is dropped


def test_each_step_takes_the_best_token_of_its_own_mask(engine):
    """Masks that change every step: the sampler of step s must read mask s, not s-1 or s+1."""
    model, runner, prompt, vocab = setup(engine)
    rng = np.random.default_rng(5)
    sets = [set(rng.choice(vocab, 40, replace=False).tolist()) for _ in range(8)]
    constraint = Constraint(AllowedSets(vocab, lambda step: sets[step], len(sets)))
    logits_seen = []

    async def go():
        out = []
        async for sampled in runner.generate(prompt, SamplingSetup(grammar=True), 8, constraint):
            logits_seen.append(np.array(await runner.read_logits(processed=True)))
            out.append(sampled.token)
        return out

    tokens = asyncio.run(go())
    assert len(tokens) == 8
    for step, token in enumerate(tokens):
        allowed = sorted(sets[step])
        assert token == allowed[int(np.argmax(logits_seen[step][allowed]))], step


def test_a_stop_token_ends_the_answer_without_feeding_the_matcher(engine):
    model, runner, prompt, vocab = setup(engine)
    stop = min(model.stop_token_ids)
    matcher = AllowedSets(vocab, lambda step: {stop} if step == 2 else None)
    constraint = Constraint(matcher, frozenset(model.stop_token_ids))
    tokens = run(runner, prompt, SamplingSetup(grammar=True), 10, constraint)
    assert len(tokens) == 3 and tokens[-1] == stop and len(matcher.accepted) == 2
    after = run(runner, prompt, SamplingSetup(), 6)  # the next request is unaffected
    assert after == run(runner, prompt, SamplingSetup(), 6)
