"""The batched sampler (one workgroup per row of a batched decode step) against the
unbatched sampler run on each row alone: the same bits, row by row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from kernel_harness import STORAGE, run_kernel
from webgpu_llm.gpu.device import BufferCopy, BufferUsage, Dispatch
from webgpu_llm.kernels.sample import (LOGPROB_ROW, SAMPLE_WORKGROUPS, sample_kernel, sample_workgroups,
                                       token_masks)
from webgpu_llm.kernels.step_params import (FLAG_GRAMMAR, FLAG_LOGIT_BIAS, FLAG_LOGPROBS, BatchRow, StepParams,
                                            pack_batch)

CAPACITY = 4  # BATCH: rows and sequence slots
HISTORY = 5  # history_capacity of every slot
UNTOUCHED = 0xDEADBEEF


@dataclass
class SlotState:
    """One sequence slot's sampler state (the unbatched kernel's buffers)."""

    bias: np.ndarray  # (V,) f32
    counts: np.ndarray  # (V,) u32
    prompt_ids: list[int] = field(default_factory=list)
    allowed: list[int] | None = None  # the grammar's tokens; None: all

    def masks(self, vocab: int) -> np.ndarray:
        return np.array(token_masks(self.prompt_ids, vocab, self.allowed), np.uint32)  # (2 * MASK_WORDS,)


def random_slots(vocab: int, rng) -> list[SlotState]:
    """CAPACITY slots, each with its own bias, nonzero counts and prompt; slot 3 has a grammar."""
    slots = []
    for s in range(CAPACITY):
        counts = np.where(rng.random(vocab) < 0.2, rng.integers(1, 5, vocab), 0).astype(np.uint32)
        prompt = sorted(set(rng.integers(0, vocab, 150).tolist()))
        slots.append(SlotState((rng.standard_normal(vocab) * 2).astype(np.float32), counts, prompt))
    slots[3].allowed = sorted(rng.choice(vocab, 37, replace=False).tolist())
    return slots


def run_alone(device, subgroups, logits, params: StepParams, slot: SlotState) -> dict[str, np.ndarray]:
    """The unbatched sampler on one row with its slot's state."""
    vocab = len(logits)
    inputs = {"logits": logits, "logit_bias": slot.bias, "generated_counts": slot.counts,
              "token_masks": slot.masks(vocab), "tokens": np.full(1, UNTOUCHED, np.uint32),
              "history": np.full(HISTORY, UNTOUCHED, np.uint32)}
    outputs = {"processed": (np.float32, (vocab,)), "logprob_out": (np.uint32, (HISTORY, LOGPROB_ROW))}
    return run_kernel(device, sample_kernel(vocab, subgroups), inputs, outputs, SAMPLE_WORKGROUPS, params,
                      read=["generated_counts", "tokens", "history"])


def run_batched(device, subgroups, logits, rows: list[BatchRow], samplers: list[StepParams],
                slots: list[SlotState], workgroups=None) -> dict[str, np.ndarray]:
    """One batched sampler dispatch over len(rows) rows; returns every buffer but `batch` and `logits`.

    Binding 0 is the BatchParams uniform `batch`, which kernel_harness.run_kernel does not bind."""
    n, vocab = logits.shape
    variant = sample_kernel(vocab, subgroups, CAPACITY)
    arrays = {
        "logits": logits,                                                              # (N, V)
        "logit_bias": np.stack([s.bias for s in slots]),                               # (BATCH, V)
        "generated_counts": np.stack([s.counts for s in slots]),                       # (BATCH, V)
        "token_masks": np.stack([s.masks(vocab) for s in slots]),                      # (BATCH, 2 * MASK_WORDS)
        "processed": np.full((CAPACITY, vocab), UNTOUCHED, np.uint32).view(np.float32),  # (BATCH, V)
        "tokens": np.full(CAPACITY, UNTOUCHED, np.uint32),                             # (BATCH,)
        "history": np.full((CAPACITY, HISTORY), UNTOUCHED, np.uint32),                 # (BATCH, HISTORY)
        "logprob_out": np.full((CAPACITY, LOGPROB_ROW), UNTOUCHED, np.uint32),         # (BATCH, LOGPROB_ROW)
    }
    buffers = {}
    for name, array in arrays.items():
        buffers[name] = device.create_buffer(array.nbytes, STORAGE, name)
        device.write_buffer(buffers[name], 0, np.ascontiguousarray(array).tobytes())
    params = pack_batch(rows, samplers, CAPACITY)
    buffers["batch"] = device.create_buffer(len(params), BufferUsage.UNIFORM | BufferUsage.COPY_DST, "batch")
    device.write_buffer(buffers["batch"], 0, params)
    pipeline = device.create_pipeline(variant)
    group = device.create_bind_group(pipeline, buffers)
    wanted = [name for name in arrays if name != "logits"]
    staging = {name: device.create_buffer(arrays[name].nbytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, name)
               for name in wanted}
    copies = [BufferCopy(buffers[name], 0, staging[name], 0, arrays[name].nbytes) for name in wanted]
    device.submit([Dispatch(pipeline, group, workgroups or sample_workgroups(n))], copies)
    result = {name: np.frombuffer(device.read_buffer_sync(staging[name]), arrays[name].dtype)
              .reshape(arrays[name].shape) for name in wanted}
    for b in list(buffers.values()) + list(staging.values()):
        device.destroy_buffer(b)
    return result


def bits(a) -> np.ndarray:
    return np.asarray(a).view(np.uint32)


def assert_rows_match_alone(device, subgroups, logits, rows, samplers, slots, out):
    """Each row's token, its slot's processed logits, counts and history, and its logprob row
    are the unbatched kernel's bits; slots no row uses and rows past N are untouched."""
    for r, (row, params) in enumerate(zip(rows, samplers)):
        alone = run_alone(device, subgroups, logits[r], params, slots[row.slot])
        assert out["tokens"][r] == alone["tokens"][0], f"row {r}"
        np.testing.assert_array_equal(bits(out["processed"][row.slot]), bits(alone["processed"]), f"row {r}")
        np.testing.assert_array_equal(out["generated_counts"][row.slot], alone["generated_counts"], f"row {r}")
        np.testing.assert_array_equal(out["history"][row.slot], alone["history"], f"row {r}")
        if params.flags & FLAG_LOGPROBS:
            expected = alone["logprob_out"][params.step % HISTORY]
        else:
            expected = np.full(LOGPROB_ROW, UNTOUCHED, np.uint32)
        np.testing.assert_array_equal(out["logprob_out"][r], expected, f"row {r}")
    unused = sorted(set(range(CAPACITY)) - {row.slot for row in rows})
    for s in unused:
        np.testing.assert_array_equal(out["generated_counts"][s], slots[s].counts)
        np.testing.assert_array_equal(out["logit_bias"][s], slots[s].bias)
        assert np.all(bits(out["processed"][s]) == UNTOUCHED) and np.all(out["history"][s] == UNTOUCHED)
    for s, slot in enumerate(slots):  # inputs the kernel only reads
        np.testing.assert_array_equal(out["token_masks"][s], slot.masks(logits.shape[1]))
    assert np.all(out["tokens"][len(rows):] == UNTOUCHED)
    assert np.all(out["logprob_out"][len(rows):] == UNTOUCHED)


@pytest.mark.parametrize("vocab", [1000, 5003])
@pytest.mark.parametrize("steps", [(7, 3, 11), (0, 1000, 2)])
def test_each_row_equals_the_unbatched_sampler_on_its_slot(device, subgroups, vocab, steps):
    rng = np.random.default_rng(vocab + steps[0])
    slots = random_slots(vocab, rng)
    logits = (rng.standard_normal((3, vocab)) * 3).astype(np.float32)  # (N, V)
    rows = [BatchRow(pos=40, table_base=0, slot=2), BatchRow(pos=9, table_base=64, slot=0),
            BatchRow(pos=300, table_base=128, slot=3)]
    samplers = [
        # greedy over penalized, biased logits (nonzero counts, a prompt mask), with top-5 logprobs
        StepParams(step=steps[0], repetition_penalty=1.3, frequency_penalty=0.5, presence_penalty=0.7,
                   num_top_logprobs=5, flags=FLAG_LOGIT_BIAS | FLAG_LOGPROBS, history_capacity=HISTORY),
        # a seeded draw with temperature, top-k and top-p; its slot's bias is there but not flagged
        StepParams(step=steps[1], seed=12345 + vocab, seed_hi=7, temperature=0.8, top_k=50, top_p=0.9,
                   num_top_logprobs=20, flags=FLAG_LOGPROBS, history_capacity=HISTORY),
        # a grammar mask, a draw over it, penalties, no logprobs
        StepParams(step=steps[2], seed=99, temperature=1.0, top_p=0.95, frequency_penalty=0.3,
                   flags=FLAG_GRAMMAR | FLAG_LOGIT_BIAS, history_capacity=HISTORY),
    ]
    out = run_batched(device, subgroups, logits, rows, samplers, slots)
    assert_rows_match_alone(device, subgroups, logits, rows, samplers, slots, out)
    assert int(out["tokens"][2]) in slots[3].allowed


def test_one_row_and_a_dispatch_for_the_whole_capacity(device, subgroups):
    """Workgroups past N = batch.head.num_tokens leave every buffer alone (a dispatch recorded
    for the capacity serves a smaller batch)."""
    vocab = 777
    rng = np.random.default_rng(5)
    slots = random_slots(vocab, rng)
    logits = (rng.standard_normal((CAPACITY, vocab)) * 2).astype(np.float32)  # rows past N ignored
    rows = [BatchRow(pos=0, table_base=0, slot=1)]
    samplers = [StepParams(step=4, seed=3, temperature=1.0, top_k=20, frequency_penalty=0.2,
                           history_capacity=HISTORY)]
    out = run_batched(device, subgroups, logits, rows, samplers, slots, workgroups=(CAPACITY, 1, 1))
    assert_rows_match_alone(device, subgroups, logits, rows, samplers, slots, out)


def test_batched_variant_keys_and_dispatch():
    assert sample_kernel(1000, False, 4).key != sample_kernel(1000, False).key != sample_kernel(1000, False, 8).key
    assert sample_kernel(1000, False, 4).bindings[0] == "batch"
    assert sample_kernel(1000, False).bindings[0] == "params"
    assert sample_workgroups(3) == (3, 1, 1)
    with pytest.raises(ValueError):
        sample_workgroups(0)
    with pytest.raises(ValueError):
        sample_kernel(1000, False, -1)
