"""`webgpu-llm bench --profile`: GPU time per dispatch kind of one decode step (and, with
--concurrency N, of the batched step at 1 and N rows).

Each dispatch of the decode step runs in a pass of its own between timestamp
writes (NativeDevice.time_dispatches); a kind is a dispatch label without its
layer ("L3.qkv" -> "qkv"), summed over layers; the median of several runs of
the step is kept per dispatch. Bytes are those of the weight and KV-cache
buffers a dispatch reads (activations are small next to them when decoding),
so GB/s compares a kind with the copy kernel of the same run: the roofline.
In a batched step the weights count once (what a step must read at least) and
the keys once per row, so a kind's GB/s there is what batching makes of it.
A pass per dispatch costs a few microseconds of its own (H200: ~5 us), so small
kernels look slower here than inside a step; the large ones are what it is for.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass

from ..engine.batching import BatchScheduler
from ..engine.runner import ModelRunner, SamplingSetup
from ..kernels.step_params import BatchRow, pack_batch

_LAYER = re.compile(r"^L\d+\.")


@dataclass
class KindProfile:
    kind: str
    dispatches: int  # per decode step
    microseconds: float  # per decode step, all its dispatches
    bytes_read: int  # weights and KV rows read, per decode step
    gb_s: float
    copy_fraction: float  # gb_s over the copy kernel's


@dataclass
class StepProfile:
    position: int  # the query's position: keys 0..position are read
    total_microseconds: float
    kinds: list[KindProfile]
    rows: int = 0  # a batched step's rows (bench --concurrency), 0 for the runner's own decode step

    def to_dict(self) -> dict:
        return asdict(self)

    def format(self) -> str:
        step = f"batched step of {self.rows} row{'s' if self.rows > 1 else ''}" if self.rows else "decode step"
        lines = [f"profile of one {step} at position {self.position}: {self.total_microseconds:,.0f} us of "
                 f"GPU time in {sum(k.dispatches for k in self.kinds)} dispatches (a pass each)",
                 f"  {'kind':<22}{'n':>4}{'us':>10}{'share':>8}{'MiB':>9}{'GB/s':>9}{'of copy':>9}"]
        for k in self.kinds:
            lines.append(f"  {k.kind:<22}{k.dispatches:>4}{k.microseconds:>10,.1f}"
                         f"{100 * k.microseconds / self.total_microseconds:>7.1f}%{k.bytes_read / 2**20:>9,.1f}"
                         f"{k.gb_s:>9,.0f}{100 * k.copy_fraction:>8.1f}%")
        return "\n".join(lines)


def _bytes_read(dispatch, weights: set[int], kv: set[int], kv_bytes_per_buffer: int) -> int:
    """Weights bound, plus the keys' K/V rows for attention (rope_kv binds the caches to write one row)."""
    reads_keys = "attention" in dispatch.label
    total = 0
    for buffer in dispatch.bind_group.buffers.values():
        if id(buffer) in weights:
            total += buffer.size
        elif id(buffer) in kv and reads_keys:
            total += kv_bytes_per_buffer
    return total


def profile_decode_step(runner: ModelRunner, position: int, copy_bytes_per_s: float, repeats: int = 5) -> StepProfile:
    """Time each dispatch of a decode step whose query is at `position` (the KV cache holds
    whatever is there: the timing does not depend on the values)."""
    _check_position(runner, position)
    runner.device.write_buffer(runner.graph.params, 0, SamplingSetup().step_params(position, 1, 0).pack())
    return _profile(runner, runner.graph.decode_dispatches, position, copy_bytes_per_s, repeats, rows=0)


def profile_batched_step(scheduler: BatchScheduler, rows: int, position: int, copy_bytes_per_s: float,
                         repeats: int = 5) -> StepProfile:
    """Time each dispatch of the scheduler's batched step for `rows` rows, every row's query at
    `position` in its own slot's pages. Call it while no request runs (it writes the step's params)."""
    runner, graph = scheduler.runner, scheduler.graph
    _check_position(runner, position)
    if scheduler.rows or scheduler.in_flight:
        raise RuntimeError("profile_batched_step needs an idle scheduler; requests are decoding")
    table = [BatchRow(position, slot.table_base, slot.index) for slot in scheduler.slots[:rows]]
    samplers = [SamplingSetup().step_params(position, 1, 0) for _ in table]
    runner.device.write_buffer(graph.params, 0, pack_batch(table, samplers, graph.capacity))
    return _profile(runner, graph.dispatches(rows), position, copy_bytes_per_s, repeats, rows=rows)


def _check_position(runner: ModelRunner, position: int) -> None:
    if not 0 <= position < runner.sizes.context:
        raise ValueError(f"position {position} outside the context window of {runner.sizes.context}")


def _profile(runner: ModelRunner, dispatches, position: int, copy_bytes_per_s: float, repeats: int,
             rows: int) -> StepProfile:
    """Median GPU time of each dispatch over `repeats` runs, summed per kind; each of the step's
    queries (`rows`, or the one of a decode step: rows 0) reads keys 0..position."""
    graph, device, config = runner.graph, runner.device, runner.config
    runs = [device.time_dispatches(dispatches) for _ in range(repeats + 1)][1:]  # the first warms up
    seconds = [statistics.median(run[i] for run in runs) for i in range(len(dispatches))]
    weights = {id(b) for b in graph.weights.values()}
    kv = {id(b) for b in graph.k_cache + graph.v_cache}
    # Keys 0..position of one layer's K or V, for each query: rows of KVH * head_dim f32.
    queries = max(rows, 1)
    kv_bytes = queries * (position + 1) * config.num_key_value_heads * config.head_dim * 4
    kinds: dict[str, list] = {}
    for dispatch, s in zip(dispatches, seconds):
        kind = _LAYER.sub("", dispatch.label.removeprefix("batch."))
        entry = kinds.setdefault(kind, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += s
        nbytes = _bytes_read(dispatch, weights, kv, kv_bytes)
        entry[2] += nbytes // config.vocab_size * queries if kind == "embed" else nbytes  # a table row each
    out = []
    for kind, (n, s, nbytes) in sorted(kinds.items(), key=lambda item: -item[1][1]):
        gb_s = nbytes / s / 1e9 if s > 0 else 0.0
        out.append(KindProfile(kind, n, s * 1e6, nbytes, gb_s, gb_s * 1e9 / copy_bytes_per_s))
    return StepProfile(position, sum(seconds) * 1e6, out, rows)
