"""`webgpu-llm bench --profile`: GPU time per dispatch kind of one decode step.

Each dispatch of the decode step runs in a pass of its own between timestamp
writes (NativeDevice.time_dispatches); a kind is a dispatch label without its
layer ("L3.qkv" -> "qkv"), summed over layers; the median of several runs of
the step is kept per dispatch. Bytes are those of the weight and KV-cache
buffers a dispatch reads (activations are small next to them when decoding),
so GB/s compares a kind with the copy kernel of the same run: the roofline.
A pass per dispatch costs a few microseconds of its own (H200: ~5 us), so small
kernels look slower here than inside a step; the large ones are what it is for.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass

from ..engine.runner import ModelRunner, SamplingSetup

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

    def to_dict(self) -> dict:
        return asdict(self)

    def format(self) -> str:
        lines = [f"profile of one decode step at position {self.position}: {self.total_microseconds:,.0f} us of "
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
    graph, device, config = runner.graph, runner.device, runner.config
    if not 0 <= position < runner.sizes.context:
        raise ValueError(f"position {position} outside the context window of {runner.sizes.context}")
    device.write_buffer(graph.params, 0, SamplingSetup().step_params(position, 1, 0).pack())
    dispatches = graph.decode_dispatches
    runs = [device.time_dispatches(dispatches) for _ in range(repeats + 1)][1:]  # the first warms up
    seconds = [statistics.median(run[i] for run in runs) for i in range(len(dispatches))]
    weights = {id(b) for b in graph.weights.values()}
    kv = {id(b) for b in graph.k_cache + graph.v_cache}
    # Keys 0..position of one layer's K or V: rows of KVH * head_dim f32.
    kv_bytes = (position + 1) * config.num_key_value_heads * config.head_dim * 4
    kinds: dict[str, list] = {}
    for dispatch, s in zip(dispatches, seconds):
        kind = _LAYER.sub("", dispatch.label)
        entry = kinds.setdefault(kind, [0, 0.0, 0])
        entry[0] += 1
        entry[1] += s
        nbytes = _bytes_read(dispatch, weights, kv, kv_bytes)
        entry[2] += nbytes // config.vocab_size if kind == "embed" else nbytes  # one row of the table
    out = []
    for kind, (n, s, nbytes) in sorted(kinds.items(), key=lambda item: -item[1][1]):
        gb_s = nbytes / s / 1e9 if s > 0 else 0.0
        out.append(KindProfile(kind, n, s * 1e6, nbytes, gb_s, gb_s * 1e9 / copy_bytes_per_s))
    return StepProfile(position, sum(seconds) * 1e6, out)
