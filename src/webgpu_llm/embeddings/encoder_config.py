"""A BERT-family encoder's config and its MLC parameter list (stdlib only).

The artifact's `mlc-chat-config.json` has `model_type: "bert"`, a `model_config`
with HF BertConfig's fields, and what sentence-transformers adds on top:
`pooling` ("mean" or "cls") and `normalize` (L2, the Normalize module).
Parameter names are HF's, except that each layer's query/key/value are fused
into `attention.self.qkv` (weight rows q then k then v, as MLC fuses them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

MODEL_TYPE = "bert"
POOLING_MODES = ("mean", "cls")
ACTIVATIONS = ("gelu",)  # HF's "gelu" is the exact erf form


class EncoderConfigError(ValueError):
    """An encoder config this engine does not run."""


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    hidden_act: str = "gelu"
    pooling: str = "mean"
    normalize: bool = True
    max_length: int = 512  # tokens per input, [CLS] and [SEP] included (sentence-transformers' max_seq_length)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings", "type_vocab_size", "max_length"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise EncoderConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.hidden_size % self.num_attention_heads:
            raise EncoderConfigError(f"hidden_size {self.hidden_size} is not a multiple of "
                                     f"num_attention_heads {self.num_attention_heads}")
        if self.hidden_act not in ACTIVATIONS:
            raise EncoderConfigError(f"hidden_act {self.hidden_act!r}; allowed: {ACTIVATIONS}")
        if self.pooling not in POOLING_MODES:
            raise EncoderConfigError(f"pooling {self.pooling!r}; allowed: {POOLING_MODES}")
        if self.max_length > self.max_position_embeddings:
            raise EncoderConfigError(f"max_length {self.max_length} exceeds max_position_embeddings "
                                     f"{self.max_position_embeddings}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_hf(cls, hf: Mapping[str, Any], *, pooling: str, normalize: bool, max_length: int) -> "EncoderConfig":
        if hf.get("model_type") != MODEL_TYPE:
            raise EncoderConfigError(f"model_type {hf.get('model_type')!r}: only {MODEL_TYPE!r} encoders are run")
        if hf.get("position_embedding_type", "absolute") != "absolute":
            raise EncoderConfigError(f"position_embedding_type {hf['position_embedding_type']!r}: only absolute")
        try:
            return cls(**{name: hf[name] for name in _HF_FIELDS}, hidden_act=hf.get("hidden_act", "gelu"),
                       pooling=pooling, normalize=normalize, max_length=max_length)
        except KeyError as e:
            raise EncoderConfigError(f"config.json has no {e.args[0]!r}") from None

    def model_config(self) -> dict[str, Any]:
        """The `model_config` of mlc-chat-config.json."""
        return {name: getattr(self, name) for name in (*_HF_FIELDS, "hidden_act")}

    @classmethod
    def from_chat_config(cls, chat: Mapping[str, Any]) -> "EncoderConfig":
        if chat.get("model_type") != MODEL_TYPE:
            raise EncoderConfigError(f"model_type {chat.get('model_type')!r} is not an encoder ({MODEL_TYPE!r})")
        model = chat.get("model_config") or {}
        try:
            return cls(**{name: model[name] for name in _HF_FIELDS}, hidden_act=model.get("hidden_act", "gelu"),
                       pooling=chat.get("pooling", "mean"), normalize=bool(chat.get("normalize", True)),
                       max_length=int(chat.get("context_window_size", model["max_position_embeddings"])))
        except KeyError as e:
            raise EncoderConfigError(f"mlc-chat-config.json model_config has no {e.args[0]!r}") from None


_HF_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
              "max_position_embeddings", "type_vocab_size", "layer_norm_eps")


def layer_prefix(i: int) -> str:
    return f"encoder.layer.{i}."


def parameter_shapes(config: EncoderConfig) -> dict[str, tuple[int, ...]]:
    """Every MLC parameter of the encoder: {name: shape}, in the order they are written."""
    d, f = config.hidden_size, config.intermediate_size
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (config.vocab_size, d),
        "embeddings.position_embeddings.weight": (config.max_position_embeddings, d),
        "embeddings.token_type_embeddings.weight": (config.type_vocab_size, d),
        "embeddings.LayerNorm.weight": (d,),
        "embeddings.LayerNorm.bias": (d,),
    }
    for i in range(config.num_hidden_layers):
        p = layer_prefix(i)
        shapes |= {
            p + "attention.self.qkv.weight": (3 * d, d),
            p + "attention.self.qkv.bias": (3 * d,),
            p + "attention.output.dense.weight": (d, d),
            p + "attention.output.dense.bias": (d,),
            p + "attention.output.LayerNorm.weight": (d,),
            p + "attention.output.LayerNorm.bias": (d,),
            p + "intermediate.dense.weight": (f, d),
            p + "intermediate.dense.bias": (f,),
            p + "output.dense.weight": (d, f),
            p + "output.dense.bias": (d,),
            p + "output.LayerNorm.weight": (d,),
            p + "output.LayerNorm.bias": (d,),
        }
    return shapes


def is_encoder_folder(folder) -> bool:
    """Whether an MLC folder (a pathlib.Path) holds an encoder (its chat config says model_type "bert")."""
    import json

    try:
        return json.loads((folder / "mlc-chat-config.json").read_text("utf-8")).get("model_type") == MODEL_TYPE
    except (OSError, ValueError, AttributeError):
        return False
