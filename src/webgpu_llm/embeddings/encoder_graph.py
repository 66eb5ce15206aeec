"""A BERT encoder on the GPU: a batch of token-id sequences -> one embedding each (stdlib only).

    embed (word + position + type) -> LayerNorm                         -> hidden (T, D)
    per layer:  matmul qkv -> + bias -> attention (padding-masked)       -> attn (T, D)
                matmul o_proj -> LayerNorm(+ bias + hidden)              -> hidden
                matmul up -> + bias, GELU                                -> ffn (T, F)
                matmul down -> LayerNorm(+ bias + hidden)                -> hidden
    pool (mean over each input's tokens, or [CLS]) -> L2 normalize      -> pooled (B, D)

T = B x L: the batch's inputs padded to its longest, L. Pipelines are made at
load; activation buffers come from the device's pool, sized for the largest batch
so far (their bind groups are remade only when they grow). One batch is one
submit: one encoder, one compute pass, 2 + 8 x layers + 1 dispatches.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..gpu.device import Buffer, BufferCopy, BufferUsage, Device, Dispatch
from ..kernels import matmul
from ..kernels.bias_activation import bias_activation_kernel, bias_activation_workgroups
from ..kernels.encoder_attention import encoder_attention_kernel, encoder_attention_workgroups
from ..kernels.encoder_embed import encoder_embed_kernel, encoder_embed_workgroups
from ..kernels.encoder_params import EncoderParams
from ..kernels.layer_norm import layer_norm_kernel, layer_norm_workgroups
from ..kernels.pool_normalize import pool_normalize_kernel, pool_normalize_workgroups
from ..kernels.step_params import StepParams
from ..model.weight_formats import WeightFormats
from .encoder_config import EncoderConfig, layer_prefix

ACTIVATION_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC
UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST
READ_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST
F32, U32 = 4, 4


@dataclass
class _Activations:
    """Buffers for up to `rows` tokens in up to `batch` inputs."""

    rows: int
    batch: int
    buffers: dict[str, Buffer]
    bind_groups: dict[str, object]


class EncoderGraph:
    def __init__(self, device: Device, config: EncoderConfig, weights: dict[str, Buffer], quantization: str):
        self.device, self.config, self.weights = device, config, weights
        formats = WeightFormats.of(quantization)
        if formats.matrix_quantized:
            raise ValueError(f"{quantization}: the encoder reads 16-bit weights (q0f16, q0f32)")
        c, cpu, vec = config, device.info.adapter_type == "CPU", formats.vector
        d, f = c.hidden_size, c.intermediate_size
        variants = {
            "embed": encoder_embed_kernel(c.vocab_size, d, vec),
            "embed_norm": layer_norm_kernel(d, c.layer_norm_eps, vec),
            "qkv": matmul.matmul_kernel(3 * d, d, formats.matrix, cpu=cpu),
            "qkv_bias": bias_activation_kernel(3 * d, vec),
            "attention": encoder_attention_kernel(c.num_attention_heads, c.head_dim),
            "o_proj": matmul.matmul_kernel(d, d, formats.matrix, cpu=cpu),
            "up": matmul.matmul_kernel(f, d, formats.matrix, cpu=cpu),
            "up_gelu": bias_activation_kernel(f, vec, gelu=True),
            "down": matmul.matmul_kernel(d, f, formats.matrix, cpu=cpu),
            "residual_norm": layer_norm_kernel(d, c.layer_norm_eps, vec, input_bias=True, residual=True),
            "pool": pool_normalize_kernel(d, c.pooling, c.normalize),
        }
        self.variants = variants
        self.pipelines = {name: device.create_pipeline(v) for name, v in variants.items()}
        self.params = device.create_buffer(EncoderParams.SIZE, UNIFORM_USAGE, "encoder-params")
        self.step_params = device.create_buffer(StepParams.SIZE, UNIFORM_USAGE, "encoder-step-params")
        self._activations: _Activations | None = None

    # ------------------------------------------------------------ buffers
    def _ensure_capacity(self, rows: int, batch: int) -> _Activations:
        current = self._activations
        if current is not None and current.rows >= rows and current.batch >= batch:
            return current
        rows = max(rows, current.rows if current else 0)
        batch = max(batch, current.batch if current else 0)
        self.release()
        d, f, pool = self.config.hidden_size, self.config.intermediate_size, self.device.pool
        sizes = {"tokens": rows * U32, "hidden": rows * d * F32, "qkv": rows * 3 * d * F32,
                 "attn": rows * d * F32, "proj": rows * d * F32, "ffn": rows * f * F32,
                 "lengths": batch * U32, "pooled": batch * d * F32}
        buffers = {name: pool.acquire(size, ACTIVATION_USAGE, f"encoder-{name}") for name, size in sizes.items()}
        buffers["readback"] = pool.acquire(batch * d * F32, READ_USAGE, "encoder-readback")
        self._activations = _Activations(rows, batch, buffers, {})
        return self._activations

    def release(self) -> None:
        """Activation buffers back to the pool (weights stay)."""
        if self._activations is not None:
            for buffer in self._activations.buffers.values():
                self.device.pool.release(buffer)
            self._activations = None

    def _bind(self, acts: _Activations, key: str, pipeline: str, **buffers: Buffer):
        group = acts.bind_groups.get(key)
        if group is None:
            group = acts.bind_groups[key] = self.device.create_bind_group(self.pipelines[pipeline], buffers)
        return group

    # ------------------------------------------------------------ one batch
    def _dispatches(self, acts: _Activations, seq_len: int, batch: int) -> list[Dispatch]:
        rows, a, w, v = seq_len * batch, acts.buffers, self.weights, self.variants
        params, step = {"params": self.params}, {"params": self.step_params}
        out: list[Dispatch] = []

        def run(key: str, pipeline: str, workgroups, **buffers: Buffer) -> None:
            out.append(Dispatch(self.pipelines[pipeline], self._bind(acts, key, pipeline, **buffers), workgroups, key))

        def product(key: str, name: str, x: Buffer, y: Buffer, weight: str) -> None:
            run(key, name, matmul.matmul_workgroups(v[name], rows), **step, x=x, weight=w[weight + ".weight"], y=y)

        def residual_norm(key: str, stem: str, norm: str) -> None:
            run(key, "residual_norm", layer_norm_workgroups(rows), **params, x=a["proj"],
                x_bias=w[stem + ".bias"], gamma=w[norm + ".weight"], beta=w[norm + ".bias"], out=a["hidden"])

        run("embed", "embed", encoder_embed_workgroups(v["embed"], rows), **params, tokens=a["tokens"],
            word=w["embeddings.word_embeddings.weight"], position=w["embeddings.position_embeddings.weight"],
            token_type=w["embeddings.token_type_embeddings.weight"], out=a["proj"])
        run("embed_norm", "embed_norm", layer_norm_workgroups(rows), **params, x=a["proj"],
            gamma=w["embeddings.LayerNorm.weight"], beta=w["embeddings.LayerNorm.bias"], out=a["hidden"])
        for i in range(self.config.num_hidden_layers):
            p = layer_prefix(i)
            product(f"{p}qkv", "qkv", a["hidden"], a["qkv"], p + "attention.self.qkv")
            run(f"{p}qkv_bias", "qkv_bias", bias_activation_workgroups(v["qkv_bias"], rows), **params,
                bias=w[p + "attention.self.qkv.bias"], y=a["qkv"])
            run(f"{p}attention", "attention", encoder_attention_workgroups(v["attention"], rows), **params,
                qkv=a["qkv"], lengths=a["lengths"], out=a["attn"])
            product(f"{p}o_proj", "o_proj", a["attn"], a["proj"], p + "attention.output.dense")
            residual_norm(f"{p}attention_norm", p + "attention.output.dense", p + "attention.output.LayerNorm")
            product(f"{p}up", "up", a["hidden"], a["ffn"], p + "intermediate.dense")
            run(f"{p}up_gelu", "up_gelu", bias_activation_workgroups(v["up_gelu"], rows), **params,
                bias=w[p + "intermediate.dense.bias"], y=a["ffn"])
            product(f"{p}down", "down", a["ffn"], a["proj"], p + "output.dense")
            residual_norm(f"{p}output_norm", p + "output.dense", p + "output.LayerNorm")
        run("pool", "pool", pool_normalize_workgroups(batch), **params, hidden=a["hidden"], lengths=a["lengths"],
            out=a["pooled"])
        return out

    async def encode(self, sequences: list[list[int]]) -> list[list[float]]:
        """One embedding (hidden_size floats) per sequence of token ids, as one GPU batch."""
        seq_len, batch = max(len(s) for s in sequences), len(sequences)
        acts = self._ensure_capacity(seq_len * batch, batch)
        padded = [token for s in sequences for token in (*s, *([0] * (seq_len - len(s))))]
        self.device.write_buffer(acts.buffers["tokens"], 0, struct.pack(f"<{len(padded)}I", *padded))
        self.device.write_buffer(acts.buffers["lengths"], 0, struct.pack(f"<{batch}I", *map(len, sequences)))
        self.device.write_buffer(self.params, 0, EncoderParams(seq_len, batch).pack())
        self.device.write_buffer(self.step_params, 0, StepParams(num_tokens=seq_len * batch).pack())
        nbytes = batch * self.config.hidden_size * F32
        self.device.submit(self._dispatches(acts, seq_len, batch),
                           [BufferCopy(acts.buffers["pooled"], 0, acts.buffers["readback"], 0, nbytes)])
        raw = await self.device.read_buffer(acts.buffers["readback"], 0, nbytes)
        values = struct.unpack(f"<{batch * self.config.hidden_size}f", raw)
        d = self.config.hidden_size
        return [list(values[i * d:(i + 1) * d]) for i in range(batch)]
