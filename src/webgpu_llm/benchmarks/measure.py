"""Timed runs: copy bandwidth (the roofline reference) and prefill/decode speed.

Wall-clock timing around submits that end in a readback, so the GPU work
is complete when the clock stops. Same adapter, same run.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..engine.runner import ModelRunner, SamplingSetup
from ..gpu.device import BufferCopy, BufferUsage, Device, Dispatch
from ..kernels.copy import copy_kernel, copy_workgroups


@dataclass
class BenchResult:
    model: str
    quantization: str
    adapter: str
    prompt_tokens: int
    decode_tokens: int
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    dispatches_per_decode_step: int
    bytes_read_per_token: int
    copy_bandwidth_gb_s: float  # read + write counted, as a device copy reports it
    roofline_fraction: float  # (bytes read per token * tokens/s) / copy bandwidth
    schema: Any = None  # benchmarks/structured.SchemaDecode with --json-schema
    prefill_sweep: dict[int, float] = field(default_factory=dict)  # more prompt lengths: tokens/s
    depth: int = 0  # with --depth: tokens of context before the timed decode
    decode_at_depth_tokens_per_s: float = 0.0
    profile: Any = None  # benchmarks/profile.StepProfile with --profile
    concurrency: Any = None  # benchmarks/concurrency.ConcurrencyResult with --concurrency N > 1
    batch_profiles: list = field(default_factory=list)  # StepProfiles of the batched step, 1 and N rows

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.schema is not None:
            out["schema"]["fraction_of_free_decode"] = self.schema_fraction
        if self.concurrency is not None:
            out["concurrency"]["speedup"] = self.concurrency.speedup
        return out

    @property
    def schema_fraction(self) -> float:
        return self.schema.decode_tokens_per_s / self.decode_tokens_per_s if self.decode_tokens_per_s else 0.0

    def format(self) -> str:
        return "\n".join([
            f"model {self.model} ({self.quantization}) on {self.adapter}",
            f"prefill: {self.prompt_tokens} tokens at {self.prefill_tokens_per_s:,.1f} tokens/s",
            f"decode:  {self.decode_tokens} tokens at {self.decode_tokens_per_s:,.1f} tokens/s, "
            f"{self.dispatches_per_decode_step} dispatches per step",
            f"roofline: {self.bytes_read_per_token / 2**20:,.1f} MiB read per token; copy kernel "
            f"{self.copy_bandwidth_gb_s:,.0f} GB/s; decode reaches {100 * self.roofline_fraction:.1f}%",
        ] + [f"prefill: {n} tokens at {speed:,.1f} tokens/s" for n, speed in self.prefill_sweep.items()] + (
            [f"decode after {self.depth} tokens of context: {self.decode_at_depth_tokens_per_s:,.1f} tokens/s"]
            if self.depth else []) + ([] if self.schema is None else [
            f"json schema: decode {self.schema.decoded_tokens} tokens at {self.schema.decode_tokens_per_s:,.1f} "
            f"tokens/s ({100 * self.schema_fraction:.1f}% of free decode), mask "
            f"{self.schema.mask_ms_per_token:.3f} ms/token on the CPU, compiled in {self.schema.grammar_init_s:.3f} s",
        ]) + ([] if self.profile is None else [self.profile.format()])
            + ([] if self.concurrency is None else [self.concurrency.format()])
            + [p.format() for p in self.batch_profiles])


def _sync(device: Device) -> None:
    """Wait for all submitted work: a tiny copy into a mapped buffer."""
    probe = device.__dict__.get("_bench_probe")
    if probe is None:
        probe = device._bench_probe = (device.create_buffer(4, BufferUsage.STORAGE | BufferUsage.COPY_SRC),
                                       device.create_buffer(4, BufferUsage.MAP_READ | BufferUsage.COPY_DST))
    device.submit([], [BufferCopy(probe[0], 0, probe[1], 0, 4)])
    asyncio.run(device.read_buffer(probe[1]))


def copy_bandwidth(device: Device, repeats: int = 20) -> float:
    """Bytes per second moved by the copy kernel, read + write counted."""
    nbytes = min(512 * 2**20, device.limits.max_storage_buffer_binding_size, device.limits.max_buffer_size // 2)
    nbytes -= nbytes % 16
    usage = BufferUsage.STORAGE | BufferUsage.COPY_DST
    src, dst = device.create_buffer(nbytes, usage, "copy-src"), device.create_buffer(nbytes, usage, "copy-dst")
    variant = copy_kernel(nbytes)
    pipeline = device.create_pipeline(variant)
    group = device.create_bind_group(pipeline, {"src": src, "dst": dst})
    dispatch = Dispatch(pipeline, group, copy_workgroups(nbytes, device.limits.max_compute_workgroups_per_dimension))
    device.submit([dispatch])  # warm-up
    _sync(device)
    started = time.perf_counter()
    device.submit([dispatch] * repeats)
    _sync(device)
    elapsed = time.perf_counter() - started
    device.destroy_buffer(src)
    device.destroy_buffer(dst)
    return 2 * nbytes * repeats / elapsed


async def _timed_generation(runner: ModelRunner, prompt: list[int], decode_tokens: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = last = started
    count = 0
    async for _ in runner.generate(prompt, SamplingSetup(), decode_tokens):
        count += 1
        last = time.perf_counter()
        if count == 1:
            first = last
    return first - started, last - first


def decode_speed(runner: ModelRunner, prompt_tokens: int, decode_tokens: int, vocab: int,
                 rounds: int = 3) -> tuple[float, float]:
    """(prefill tokens/s, decode tokens/s), best of `rounds` after a warm-up."""
    rng = random.Random(0)
    best_prefill = best_decode = 0.0
    for round_index in range(rounds + 1):
        runner.reset()  # no KV reuse between rounds: every round prefills the whole prompt
        prompt = [rng.randrange(vocab) for _ in range(prompt_tokens)]
        prefill_s, decode_s = asyncio.run(_timed_generation(runner, prompt, decode_tokens))
        if round_index == 0:
            continue  # warm-up: pipeline compilation, first-touch allocations
        best_prefill = max(best_prefill, prompt_tokens / prefill_s)
        best_decode = max(best_decode, (decode_tokens - 1) / decode_s)
    return best_prefill, best_decode
