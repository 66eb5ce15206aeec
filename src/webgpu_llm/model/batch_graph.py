"""The batched decode step (continuous batching): N sequences' next tokens in one pass.

Row r of a step is the next token of its own sequence: its position, its rows of the
page table, its slot's sampler state (penalty counts, prompt and grammar masks, logit
bias). The forward pass is the decode step's, each kernel taking N rows: on GPUs the GEMVs
load each weight unit once and use it for every row, and every row's arithmetic is the single-sequence kernel's, in the same order, so a greedy
answer in a batch equals the same request alone. Built on a `ModelGraph`: the weights,
activations (N <= the prefill chunk) and KV cache are the graph's; the per-row inputs
(`batch_params`, kernels/batch_params.wgsl), fed-back tokens, logits and sampler state
per slot are here. Dispatch lists are made once per N.
"""

from __future__ import annotations

from ..gpu.device import Buffer, BufferUsage, Dispatch
from ..kernels import attention_cpu, attention_decode, embed, gemv, sample
from ..kernels.step_params import batch_params_size
from .graph import ACTIVATION, HISTORY_CAPACITY, MAX_TOP_LOGPROBS, PAGE_SIZE, ModelGraph

LOGPROB_ROW_BYTES = (1 + 2 * MAX_TOP_LOGPROBS) * 4


class BatchingNotSupported(ValueError):
    """A model whose layers the batched step does not cover (it says which, and what to do)."""


def unsupported_reason(graph: ModelGraph, capacity: int) -> str | None:
    a = graph.arch
    if any(layer.window for layer in a.layers):
        return "sliding-window attention layers (their KV ring is one sequence's)"
    if a.attention_post_norm or a.mlp_post_norm:
        return "post-norms (Gemma)"
    if a.final_softcap:
        return "a final logit soft-cap"
    if capacity > graph.sizes.chunk:
        return f"a batch of {capacity} rows with a prefill chunk of {graph.sizes.chunk} (activations hold a chunk)"
    return None


class BatchDecodeGraph:
    def __init__(self, graph: ModelGraph, capacity: int):
        reason = unsupported_reason(graph, capacity)
        if reason is not None:
            raise BatchingNotSupported(f"continuous batching does not support {reason}; "
                                       f"use a batch of 1 (--max-batch 1)")
        if graph.sizes.sequences < capacity:
            raise ValueError(f"the graph has page tables for {graph.sizes.sequences} sequences, "
                             f"a batch of {capacity} needs as many")
        self.graph, self.capacity = graph, capacity
        self._pooled: list[Buffer] = []
        self._lists: dict[int, tuple[Dispatch, ...]] = {}
        self._make_buffers()

    def _buffer(self, name: str, nbytes: int, usage=ACTIVATION) -> Buffer:
        buffer = self.graph.device.pool.acquire(nbytes, usage, f"batch-{name}")
        self._pooled.append(buffer)
        setattr(self, name, buffer)
        return buffer

    def _make_buffers(self) -> None:
        c, b, f32 = self.graph.config, self.capacity, 4
        self._buffer("params", batch_params_size(b), BufferUsage.UNIFORM | BufferUsage.COPY_DST)
        self._buffer("tokens", b * 4)                                            # (N,) u32 fed back
        self._buffer("logits", b * c.vocab_size * f32)                           # (N, V)
        self._buffer("logit_bias", b * c.vocab_size * f32)                       # (slots, V)
        self._buffer("generated_counts", b * c.vocab_size * 4)                   # (slots, V) u32
        self._buffer("token_masks", b * 2 * sample.mask_words(c.vocab_size) * 4)  # (slots, 2, V/32)
        self._buffer("processed", b * c.vocab_size * f32)                        # (slots, V)
        self._buffer("history", b * HISTORY_CAPACITY * 4)                        # (slots, cap)
        self._buffer("logprob_out", b * LOGPROB_ROW_BYTES)                       # (N, 1 + 2 top)
        if not self.graph.cpu_adapter:
            chunks = attention_decode.max_chunks(self.graph.sizes.context)
            h = c.num_attention_heads
            self._buffer("partial_out", b * h * chunks * c.head_dim * f32)
            self._buffer("partial_max", b * h * chunks * f32)
            self._buffer("partial_sum", b * h * chunks * f32)

    def release(self) -> None:
        for buffer in self._pooled:
            self.graph.device.pool.release(buffer)
        self._pooled.clear()
        self._lists.clear()

    # ------------------------------------------------------------ state offsets (bytes)
    def vocab_row(self, slot: int) -> int:
        return slot * self.graph.config.vocab_size * 4

    def mask_row(self, slot: int) -> int:
        return slot * 2 * sample.mask_words(self.graph.config.vocab_size) * 4

    # ------------------------------------------------------------ dispatches
    def dispatches(self, n: int) -> tuple[Dispatch, ...]:
        """The step for n rows (1..capacity), made once per n."""
        if not 1 <= n <= self.capacity:
            raise ValueError(f"a batched step of {n} rows; allowed 1..{self.capacity}")
        if n not in self._lists:
            out = [self._embed(n)]
            for i in range(self.graph.config.num_hidden_layers):
                out += self._layer(i, n)
            self._lists[n] = tuple(out + self._head(n))
        return self._lists[n]

    def _gemv(self, x: Buffer, stem: str, y: Buffer, n_out: int, k: int, rows: int, label: str,
              norm_weight: str | None = None, **epilogue) -> Dispatch:
        g = self.graph
        buffers = {"params": self.params, "x": x, "y": y, **g._weight(stem)}
        norm = {}
        if norm_weight is not None:
            buffers["norm_weight"] = g.weights[norm_weight]
            norm = {"norm": g.formats.vector, "eps": g.config.rms_norm_eps}
        variant = gemv.gemv_kernel(n_out, k, g.formats.matrix, g.subgroups, cpu=g.cpu_adapter, batched=self.capacity,
                                   **norm, **epilogue)
        return g._dispatch(variant, buffers, gemv.gemv_workgroups(variant, rows), label)

    def _embed(self, n: int) -> Dispatch:
        g, c = self.graph, self.graph.config
        variant = embed.embed_kernel(c.vocab_size, c.hidden_size, g.formats.matrix, g.arch.embedding_scale)
        buffers = {"params": self.params, "tokens": self.tokens, "out": g.hidden, **g._weight(g.arch.embedding)}
        return g._dispatch(variant, buffers, embed.embed_workgroups(variant, n), "batch.embed")

    def _attention(self, i: int, n: int) -> list[Dispatch]:
        g, c, a = self.graph, self.graph.config, self.graph.arch
        kv = {"k_cache": g.k_cache[i], "v_cache": g.v_cache[i], "page_table": g.page_table}
        out = [g.rope_dispatch(i, n, self.params, batch=self.capacity, label="batch.")]
        scores = dict(softcap=a.attention_softcap, scale=a.scale(c))
        buffers = {"params": self.params, "q": g.q, "out": g.attn_out, **kv}
        if g.cpu_adapter:
            variant = attention_cpu.attention_cpu_kernel(c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                                                         PAGE_SIZE, batch=self.capacity, **scores)
            return out + [g._dispatch(variant, buffers, attention_cpu.attention_cpu_workgroups(variant, n),
                                      f"batch.L{i}.attention")]
        buffers |= {"partial_out": self.partial_out, "partial_max": self.partial_max,
                    "partial_sum": self.partial_sum}
        for entry in ("partial", "merge"):
            variant = attention_decode.attention_decode_kernel(
                entry, c.num_attention_heads, c.num_key_value_heads, c.head_dim, PAGE_SIZE, g.sizes.context,
                g.subgroups, batch=self.capacity, **scores)
            out.append(g._dispatch(variant, buffers, attention_decode.attention_decode_workgroups(variant, rows=n),
                                   f"batch.L{i}.attention_{entry}"))
        return out

    def _layer(self, i: int, n: int) -> list[Dispatch]:
        g, c, a = self.graph, self.graph.config, self.graph.arch
        p, d = f"{a.layer_prefix}.{i}", c.hidden_size
        qkv = c.q_size + 2 * c.kv_size
        return [
            self._gemv(g.hidden, f"{p}.{a.qkv}", g.qkv, qkv, d, n, f"batch.L{i}.qkv",
                       norm_weight=f"{p}.{a.attention_norm}.weight"),
            *self._attention(i, n),
            self._gemv(g.attn_out, f"{p}.{a.attention_out}", g.hidden, d, c.q_size, n, f"batch.L{i}.o_proj",
                       accumulate=True),
            self._gemv(g.hidden, f"{p}.mlp.gate_up_proj", g.act, c.intermediate_size, d, n, f"batch.L{i}.gate_up",
                       norm_weight=f"{p}.{a.mlp_norm}.weight", swiglu=True, activation=a.activation),
            self._gemv(g.act, f"{p}.mlp.down_proj", g.hidden, d, c.intermediate_size, n, f"batch.L{i}.down_proj",
                       accumulate=True),
        ]

    def _head(self, n: int) -> list[Dispatch]:
        """The LM head over every row (the final norm fused), then one sampler workgroup per row."""
        g, c, a = self.graph, self.graph.config, self.graph.arch
        stem = a.embedding if c.tie_word_embeddings else "lm_head"
        head = self._gemv(g.hidden, stem, self.logits, c.vocab_size, c.hidden_size, n, "batch.lm_head",
                          norm_weight=f"{a.final_norm}.weight")
        sampler = sample.sample_kernel(c.vocab_size, g.subgroups, batch=self.capacity, workgroup=g.sampler_workgroup)
        buffers = {"batch": self.params, "logits": self.logits, "logit_bias": self.logit_bias,
                   "generated_counts": self.generated_counts, "token_masks": self.token_masks,
                   "processed": self.processed, "tokens": self.tokens, "history": self.history,
                   "logprob_out": self.logprob_out}
        return [head, g._dispatch(sampler, {name: buffers[name] for name in sampler.bindings}, (n, 1, 1),
                                  "batch.sample")]
