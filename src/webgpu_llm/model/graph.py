"""The generic decoder graph: a family's `Architecture` as WebGPU dispatches.

Everything is made here, once, at load: activation buffers, the paged KV
cache, pipelines, bind groups, and the dispatch lists. A decode step is
`decode_dispatches` replayed as-is; a prefill chunk of T tokens is
`prefill_dispatches(T)` (the same bind groups, workgroup counts from T).
Per layer, reading like the math (architecture.py has the optional parts):

    h   = h + o_proj(attention(rope(qkv_proj(norm(h)))))
    h   = h + down_proj(act(gate(norm(h))) * up(norm(h)))

with the residual adds fused into o_proj/down_proj (ACCUMULATE), the gated
activation fused into the gate_up product, and, when decoding, each RMSNorm
fused into the GEMV that reads it (NORM): 7 dispatches per layer. A family
with post-norms (Gemma) writes o_proj/down_proj into `proj` and adds its
normalized rows to h (rms_norm ACCUMULATE): 9 per layer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..gpu.device import Buffer, BufferUsage, Device, Dispatch
from ..kernels import (attention_cpu, attention_decode, attention_prefill, embed, gemv, matmul, rms_norm,
                       rope_kv_append, sample, softcap)
from ..kernels.step_params import StepParams
from .architecture import Architecture, AttentionLayer
from .config import ModelConfig
from .weight_formats import WeightFormats

ACTIVATION = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST
PAGE_SIZE = 16
HISTORY_CAPACITY = 64  # token history ring read back by the CPU, steps behind
MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True)
class GraphSizes:
    context: int  # KV positions available
    chunk: int  # largest prefill chunk
    sequences: int = 1  # page tables: sequences decoding together (continuous batching), each its own

    @property
    def pages(self) -> int:
        return -(-self.context // PAGE_SIZE)

    def layer_pages(self, layer: AttentionLayer) -> int:
        """Pages of one layer's cache. A windowed layer keeps a ring: the keys of a chunk's
        queries span window + chunk - 1 positions, which touch at most one page more than
        they fill, so older pages can be reused."""
        if not layer.window:
            return self.pages
        return min(self.pages, -(-(layer.window + self.chunk - 1) // PAGE_SIZE) + 1)


class ModelGraph:
    def __init__(self, device: Device, config: ModelConfig, arch: Architecture, weights: dict[str, Buffer],
                 formats: WeightFormats, sizes: GraphSizes):
        self.device, self.config, self.arch = device, config, arch
        self.weights, self.formats, self.sizes = weights, formats, sizes
        self.subgroups = device.features.subgroups
        self.cpu_adapter = device.info.adapter_type == "CPU"  # GEMV row blocks are sized for it
        self.sampler_workgroup = sample.sampler_workgroup(self.cpu_adapter,
                                                          device.limits.max_compute_invocations_per_workgroup)
        self._pooled: list[Buffer] = []
        self._bind_groups: dict = {}
        self._prefill_lists: dict[tuple[int, bool], tuple[Dispatch, ...]] = {}
        self._make_buffers()
        self.decode_dispatches = tuple(self._record(1))
        # With a grammar the step is split: the forward pass is queued at once, the
        # sampler only once the CPU has written the mask (DESIGN.md, decision 8).
        self.decode_forward = self.decode_dispatches[:-1]
        self.sample_dispatches = self.decode_dispatches[-1:]

    # ------------------------------------------------------------ buffers
    def _buffer(self, name: str, nbytes: int, usage=ACTIVATION) -> Buffer:
        buffer = self.device.pool.acquire(nbytes, usage, name)
        self._pooled.append(buffer)
        setattr(self, name, buffer)
        return buffer

    def _make_buffers(self) -> None:
        c, s = self.config, self.sizes
        f32 = 4
        qkv = c.q_size + 2 * c.kv_size
        self._buffer("params", StepParams.SIZE, BufferUsage.UNIFORM | BufferUsage.COPY_DST)
        self._buffer("tokens", s.chunk * 4)                                 # (T,) u32
        self._buffer("hidden", s.chunk * c.hidden_size * f32)               # (T, D) residual stream
        self._buffer("normed", s.chunk * c.hidden_size * f32)               # (T, D)
        if self.arch.attention_post_norm or self.arch.mlp_post_norm:
            self._buffer("proj", s.chunk * c.hidden_size * f32)             # (T, D) before its post-norm
        self._buffer("qkv", s.chunk * qkv * f32)                            # (T, (H + 2 KVH) Dh)
        self._buffer("q", s.chunk * c.q_size * f32)                         # (T, H, Dh) rotated
        self._buffer("attn_out", s.chunk * c.q_size * f32)                  # (T, H Dh)
        self._buffer("act", s.chunk * c.intermediate_size * f32)            # (T, F)
        self._buffer("logits", c.vocab_size * f32)                          # (V,)
        if not self.cpu_adapter:  # split-K decode attention's partials; CPU adapters run attention_cpu.wgsl
            chunks = attention_decode.max_chunks(s.context)
            self._buffer("partial_out", c.num_attention_heads * chunks * c.head_dim * f32)  # (H, chunks, Dh)
            self._buffer("partial_max", c.num_attention_heads * chunks * f32)               # (H, chunks)
            self._buffer("partial_sum", c.num_attention_heads * chunks * f32)               # (H, chunks)
        self.inv_freq = {rope: self._buffer(f"inv_freq_{i}", len(self._frequencies(rope)) * f32)  # (Dh/2,) per rope
                         for i, rope in enumerate(self.arch.ropes)}
        self._buffer("page_table", s.sequences * s.pages * 4)          # (sequences, pages) u32: logical -> physical
        row_bytes = c.num_key_value_heads * PAGE_SIZE * c.head_dim * f32  # one page: (KVH, PAGE, Dh)
        self.layer_pages = [s.layer_pages(layer) for layer in self.arch.layers]
        self.k_cache = [self._buffer(f"k_cache_{i}", n * row_bytes) for i, n in enumerate(self.layer_pages)]
        self.v_cache = [self._buffer(f"v_cache_{i}", n * row_bytes) for i, n in enumerate(self.layer_pages)]
        # Sampler state (per request), see kernels/sample.wgsl.
        self._buffer("logit_bias", c.vocab_size * f32)                      # (V,)
        self._buffer("generated_counts", c.vocab_size * 4)                  # (V,) u32
        self._buffer("token_masks", 2 * sample.mask_words(c.vocab_size) * 4)  # (2, V/32) u32 bits
        self._buffer("processed", c.vocab_size * f32)                       # (V,) processed logits
        self._buffer("history", HISTORY_CAPACITY * 4)                       # (cap,) u32 token ring
        self._buffer("logprob_out", HISTORY_CAPACITY * (1 + 2 * MAX_TOP_LOGPROBS) * f32)
        self._write_constants()

    def _frequencies(self, rope) -> list[float]:
        return rope_kv_append.inv_freq(self.config.head_dim, rope.base, rope.scaling_dict)

    def _write_constants(self) -> None:
        for rope, buffer in self.inv_freq.items():
            values = self._frequencies(rope)
            self.device.write_buffer(buffer, 0, struct.pack(f"<{len(values)}f", *values))
        # One sequence: logical page p is physical page p. Batched sequences (model/batch_graph.py)
        # get their own rows of the table, written as their pages are handed out.
        pages = self.sizes.pages
        self.device.write_buffer(self.page_table, 0, struct.pack(f"<{pages}I", *range(pages)))

    def release(self) -> None:
        """Give every activation and KV-cache buffer back to the device's pool (unload)."""
        for buffer in self._pooled:
            self.device.pool.release(buffer)
        self._pooled.clear()
        self._prefill_lists.clear()
        self._bind_groups.clear()
        self.decode_dispatches = self.decode_forward = self.sample_dispatches = ()

    def kv_reusable(self, prefix: int, written_end: int) -> bool:
        """Whether the cache still holds what a query at position `prefix` attends to, after
        positions up to `written_end` - 1 were written: a windowed layer's ring has reused
        the pages of positions more than its size behind the last one written."""
        for layer, pages in zip(self.arch.layers, self.layer_pages):
            if layer.window and written_end > 0:
                oldest_needed = max(0, prefix - layer.window + 1)
                if oldest_needed // PAGE_SIZE <= (written_end - 1) // PAGE_SIZE - pages:
                    return False
        return True

    # ------------------------------------------------------------ dispatches
    def _dispatch(self, variant, buffers: dict[str, Buffer], workgroups, label: str) -> Dispatch:
        pipeline = self.device.create_pipeline(variant)
        key = (variant.key, tuple(id(buffers[n]) for n in variant.bindings))
        group = self._bind_groups.get(key)
        if group is None:
            group = self._bind_groups[key] = self.device.create_bind_group(
                pipeline, {n: buffers[n] for n in variant.bindings})
        return Dispatch(pipeline, group, tuple(workgroups), label)

    def _weight(self, stem: str) -> dict[str, Buffer]:
        """A matrix's buffers under the names the product kernels bind."""
        if self.formats.matrix_quantized:
            return {"q_weight": self.weights[f"{stem}.q_weight"], "q_scale": self.weights[f"{stem}.q_scale"]}
        return {"weight": self.weights[f"{stem}.weight"]}

    def _product(self, x: Buffer, stem: str, y: Buffer, n: int, k: int, t: int, label: str,
                 norm_weight: str | None = None, **epilogue) -> Dispatch:
        """y = x W^T for one matrix: GEMV when decoding (optionally RMS-normalizing x with
        `norm_weight` first), tiled matmul for prefill."""
        buffers = {"params": self.params, "x": x, "y": y, **self._weight(stem)}
        if t == 1:
            norm = {}
            if norm_weight is not None:
                buffers["norm_weight"] = self.weights[norm_weight]
                norm = {"norm": self.formats.vector, "eps": self.config.rms_norm_eps}
            variant = gemv.gemv_kernel(n, k, self.formats.matrix, self.subgroups, cpu=self.cpu_adapter, **norm,
                                       **epilogue)
            return self._dispatch(variant, buffers, gemv.gemv_workgroups(variant), label)
        variant = matmul.matmul_kernel(n, k, self.formats.matrix, cpu=self.cpu_adapter, **epilogue)
        return self._dispatch(variant, buffers, matmul.matmul_workgroups(variant, t), label)

    def _norm(self, weight: str, t: int, label: str, x: Buffer | None = None, out: Buffer | None = None,
              accumulate: bool = False) -> Dispatch:
        c = self.config
        variant = rms_norm.rms_norm_kernel(c.hidden_size, c.rms_norm_eps, self.formats.vector, self.subgroups,
                                           accumulate=accumulate)
        buffers = {"params": self.params, "x": x or self.hidden, "weight": self.weights[weight],
                   "out": out or self.normed}
        return self._dispatch(variant, buffers, rms_norm.rms_norm_workgroups(t), label)

    def rope_dispatch(self, i: int, t: int, params: Buffer, batch: int = 0, label: str = "") -> Dispatch:
        """Layer i's rope_kv_append for t tokens reading `params` (a batched step's BatchParams
        with `batch`, its capacity: model/batch_graph.py)."""
        c, a = self.config, self.arch
        layer, p = a.layers[i], f"{a.layer_prefix}.{i}.self_attn"
        rope = rope_kv_append.rope_kv_append_kernel(
            c.num_attention_heads, c.num_key_value_heads, c.head_dim, PAGE_SIZE,
            layer_pages=self.layer_pages[i] if layer.window else 0, vector=self.formats.vector, bias=a.qkv_bias,
            qk_norm=a.qk_norm, eps=c.rms_norm_eps, rope_scaling=layer.rope.scaling_dict, batch=batch)
        extra = {}
        if a.qkv_bias:
            extra["qkv_bias"] = self.weights[f"{a.layer_prefix}.{i}.{a.qkv}.bias"]
        if a.qk_norm:
            extra |= {"q_norm": self.weights[f"{p}.q_norm.weight"], "k_norm": self.weights[f"{p}.k_norm.weight"]}
        buffers = {"params": params, "qkv": self.qkv, "inv_freq": self.inv_freq[layer.rope], "q": self.q,
                   "k_cache": self.k_cache[i], "v_cache": self.v_cache[i], "page_table": self.page_table, **extra}
        return self._dispatch(rope, buffers, rope_kv_append.rope_kv_append_workgroups(rope, t), f"{label}L{i}.rope_kv")

    def _attention(self, i: int, t: int) -> list[Dispatch]:
        c, s, a = self.config, self.sizes, self.arch
        layer = a.layers[i]
        ring = self.layer_pages[i] if layer.window else 0
        kv = {"k_cache": self.k_cache[i], "v_cache": self.v_cache[i], "page_table": self.page_table}
        out = [self.rope_dispatch(i, t, self.params)]
        scores = dict(layer_pages=ring, window=layer.window, softcap=a.attention_softcap, scale=a.scale(c))
        if self.cpu_adapter:  # one kernel for prefill and decode, no barriers (attention_cpu.wgsl)
            variant = attention_cpu.attention_cpu_kernel(c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                                                         PAGE_SIZE, decode=t == 1, **scores)
            buffers = {"params": self.params, "q": self.q, "out": self.attn_out, **kv}
            return out + [self._dispatch(variant, buffers, attention_cpu.attention_cpu_workgroups(variant, t),
                                         f"L{i}.attention")]
        if t > 1:
            variant = attention_prefill.attention_prefill_kernel(c.num_attention_heads, c.num_key_value_heads,
                                                                 c.head_dim, PAGE_SIZE, **scores)
            buffers = {"params": self.params, "q": self.q, "out": self.attn_out, **kv}
            return out + [self._dispatch(variant, buffers, attention_prefill.attention_prefill_workgroups(variant, t),
                                         f"L{i}.attention")]
        partials = {"partial_out": self.partial_out, "partial_max": self.partial_max, "partial_sum": self.partial_sum}
        for entry in ("partial", "merge"):
            variant = attention_decode.attention_decode_kernel(
                entry, c.num_attention_heads, c.num_key_value_heads, c.head_dim, PAGE_SIZE, s.context,
                self.subgroups, **scores)
            buffers = {"params": self.params, "q": self.q, "out": self.attn_out, **kv, **partials}
            grid = attention_decode.attention_decode_workgroups(variant)
            out.append(self._dispatch(variant, buffers, grid, f"L{i}.attention_{entry}"))
        return out

    def _normed_product(self, norm: str, stem: str, y: Buffer, n: int, t: int, label: str,
                        **epilogue) -> list[Dispatch]:
        """y = norm(h) W^T: decoding fuses the RMSNorm into the GEMV (one dispatch);
        prefill normalizes all T rows once, then runs the tiled product."""
        c = self.config
        if t == 1:
            return [self._product(self.hidden, stem, y, n, c.hidden_size, t, label, norm_weight=norm, **epilogue)]
        return [self._norm(norm, t, f"{label}.norm"),
                self._product(self.normed, stem, y, n, c.hidden_size, t, label, **epilogue)]

    def _residual_product(self, x: Buffer, stem: str, k: int, t: int, label: str,
                          post_norm: str | None) -> list[Dispatch]:
        """h += x W^T, or h += post_norm(x W^T) (Gemma), whose norm adds the rows into h."""
        d = self.config.hidden_size
        if post_norm is None:
            return [self._product(x, stem, self.hidden, d, k, t, label, accumulate=True)]
        return [self._product(x, stem, self.proj, d, k, t, label),
                self._norm(post_norm, t, f"{label}.post_norm", x=self.proj, out=self.hidden, accumulate=True)]

    def _layer(self, i: int, t: int) -> list[Dispatch]:
        c, a, p = self.config, self.arch, f"{self.arch.layer_prefix}.{i}"
        qkv = c.q_size + 2 * c.kv_size
        post = {"attention": a.attention_post_norm, "mlp": a.mlp_post_norm}
        post = {k: v and f"{p}.{v}.weight" for k, v in post.items()}
        return [
            *self._normed_product(f"{p}.{a.attention_norm}.weight", f"{p}.{a.qkv}", self.qkv, qkv, t, f"L{i}.qkv"),
            *self._attention(i, t),
            *self._residual_product(self.attn_out, f"{p}.{a.attention_out}", c.q_size, t, f"L{i}.o_proj",
                                    post["attention"]),
            *self._normed_product(f"{p}.{a.mlp_norm}.weight", f"{p}.mlp.gate_up_proj", self.act,
                                  c.intermediate_size, t, f"L{i}.gate_up", swiglu=True, activation=a.activation),
            *self._residual_product(self.act, f"{p}.mlp.down_proj", c.intermediate_size, t, f"L{i}.down_proj",
                                    post["mlp"]),
        ]

    def _head(self, t: int) -> list[Dispatch]:
        """The LM head on the last row, with the final norm fused into it, then the sampler."""
        c, a = self.config, self.arch
        stem = a.embedding if c.tie_word_embeddings else "lm_head"
        variant = gemv.gemv_kernel(c.vocab_size, c.hidden_size, self.formats.matrix, self.subgroups,
                                   x_last_row=True, norm=self.formats.vector, eps=c.rms_norm_eps,
                                   cpu=self.cpu_adapter)
        buffers = {"params": self.params, "x": self.hidden, "y": self.logits,
                   "norm_weight": self.weights[f"{a.final_norm}.weight"], **self._weight(stem)}
        out = [self._dispatch(variant, buffers, gemv.gemv_workgroups(variant), "lm_head")]
        if self.arch.final_softcap:
            cap = softcap.softcap_kernel(c.vocab_size, self.arch.final_softcap)
            out.append(self._dispatch(cap, {"logits": self.logits}, softcap.softcap_workgroups(cap), "softcap"))
        sampler = sample.sample_kernel(c.vocab_size, self.subgroups, workgroup=self.sampler_workgroup)
        sampler_buffers = {name: getattr(self, name) for name in sampler.bindings}
        return out + [self._dispatch(sampler, sampler_buffers, sample.SAMPLE_WORKGROUPS, "sample")]

    def _embed(self, t: int) -> Dispatch:
        c = self.config
        variant = embed.embed_kernel(c.vocab_size, c.hidden_size, self.formats.matrix, self.arch.embedding_scale)
        buffers = {"params": self.params, "tokens": self.tokens, "out": self.hidden,
                   **self._weight(self.arch.embedding)}
        return self._dispatch(variant, buffers, embed.embed_workgroups(variant, t), "embed")

    def _record(self, t: int, with_head: bool = True) -> list[Dispatch]:
        dispatches = [self._embed(t)]
        for i in range(self.config.num_hidden_layers):
            dispatches += self._layer(i, t)
        return dispatches + self._head(t) if with_head else dispatches

    def prefill_dispatches(self, t: int, with_head: bool = True) -> tuple[Dispatch, ...]:
        """The dispatch list for a prefill chunk of t tokens (bind groups shared), made once per (t, head).

        Only the last chunk of a prompt needs the head (LM head + sampler):
        earlier chunks only fill the KV cache."""
        if not 1 <= t <= self.sizes.chunk:
            raise ValueError(f"prefill chunk of {t} tokens; allowed 1..{self.sizes.chunk}")
        if t == 1 and with_head:
            return self.decode_dispatches
        key = (t, with_head)
        if key not in self._prefill_lists:
            self._prefill_lists[key] = tuple(self._record(t, with_head))
        return self._prefill_lists[key]
