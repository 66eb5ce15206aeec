"""`Tokenizer`: HF tokenizer.json (BPE models) in pure Python.

encode: added tokens split out of the raw text -> normalizer -> normalized
added tokens -> pre-tokenizer -> BPE per word -> post-processor (only with
`add_special_tokens`). This is the order HF `tokenizers`' `Tokenizer::encode`
follows; offsets, padding and truncation are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from .added_tokens import AddedToken, AddedTokenMatcher, Segment, Spans
from .bpe import BytePairModel
from .byte_level import byte_level_to_bytes
from .decoders import build_decoder, parse_byte_fallback_token
from .errors import TokenizerError
from .normalizers import build_normalizer
from .post_processors import build_post_processor
from .pre_tokenizers import build_pre_tokenizer

SUPPORTED_MODELS = ("BPE",)


def _component_types(spec: dict | None) -> list[dict]:
    """A decoder/pre-tokenizer spec flattened through its Sequence nesting."""
    if spec is None:
        return []
    children = spec.get("decoders") or spec.get("pretokenizers")
    if spec.get("type") == "Sequence" and children is not None:
        return [leaf for child in children for leaf in _component_types(child)]
    return [spec]


class Tokenizer:
    """A BPE tokenizer read from HF's tokenizer.json format."""

    def __init__(self, spec: dict):
        model_spec = spec.get("model") or {}
        model_type = model_spec.get("type", "BPE" if "merges" in model_spec else None)
        if model_type not in SUPPORTED_MODELS:
            raise TokenizerError(
                f"tokenizer model type {model_type!r} is not supported; supported: {', '.join(SUPPORTED_MODELS)} "
                "(byte-level BPE and SentencePiece-style BPE with byte fallback)"
            )
        self._model = BytePairModel.from_spec(model_spec)
        self._normalizer = build_normalizer(spec.get("normalizer"))
        self._pre_tokenizer_spec = spec.get("pre_tokenizer")
        self._pre_tokenizer = build_pre_tokenizer(self._pre_tokenizer_spec)
        self._post_processor = build_post_processor(spec.get("post_processor"))
        self._decoder_spec = spec.get("decoder")
        self._decoder = build_decoder(self._decoder_spec)
        self._added_tokens = [AddedToken.from_spec(entry) for entry in spec.get("added_tokens") or []]
        self._build_vocabulary()
        self._build_added_token_matchers()

    @classmethod
    def from_file(cls, path: str | Path) -> "Tokenizer":
        return cls.from_str(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_str(cls, json_text: str) -> "Tokenizer":
        try:
            spec = json.loads(json_text)
        except json.JSONDecodeError as error:
            raise TokenizerError(f"tokenizer.json is not valid JSON: {error}") from error
        return cls.from_dict(spec)

    @classmethod
    def from_dict(cls, spec: dict) -> "Tokenizer":
        if not isinstance(spec, dict):
            raise TokenizerError(f"tokenizer.json must hold a JSON object, got {type(spec).__name__}")
        return cls(spec)

    def _build_vocabulary(self) -> None:
        self._token_to_id: dict[str, int] = dict(self._model.vocab)
        for token in self._added_tokens:
            self._token_to_id[token.content] = token.id
        self._id_to_token: dict[int, str] = {token_id: token for token, token_id in self._model.vocab.items()}
        for token in self._added_tokens:
            self._id_to_token[token.id] = token.content
        self._added_token_ids = frozenset(token.id for token in self._added_tokens)
        self._special_token_ids = frozenset(token.id for token in self._added_tokens if token.special)
        self._token_bytes_cache: dict[int, bytes] = {}
        leaves = _component_types(self._decoder_spec) + _component_types(self._pre_tokenizer_spec)
        self._byte_level = any(leaf.get("type") == "ByteLevel" for leaf in leaves)
        self._space_marker = next((leaf.get("replacement", "▁") for leaf in leaves if leaf.get("type") == "Metaspace"),
                                  None)
        for leaf in leaves:
            pattern = leaf.get("pattern") or {}
            if leaf.get("type") == "Replace" and leaf.get("content") == " " and "String" in pattern:
                self._space_marker = pattern["String"]

    def _build_added_token_matchers(self) -> None:
        raw, normalized = {}, {}
        for token in self._added_tokens:
            if token.normalized and self._normalizer is not None:
                # HF matches normalized added tokens by their normalized content.
                normalized[self._normalizer(token.content)] = token
            elif token.normalized:
                normalized[token.content] = token
            else:
                raw[token.content] = token
        self._raw_matcher = AddedTokenMatcher(raw)
        self._normalized_matcher = AddedTokenMatcher(normalized)

    # -- encode ---------------------------------------------------------------

    def _segments(self, text: str, literal_spans: Spans) -> list[Segment]:
        segments: list[Segment] = []
        offset = 0
        for token_id, piece, at_start in self._raw_matcher.split(text, True, literal_spans):
            start, offset = offset, offset + len(piece)
            if token_id is not None:
                segments.append((token_id, piece, at_start))
                continue
            normalized = self._normalizer(piece) if self._normalizer is not None else piece
            # Offsets do not survive normalization: text touching a literal span is literal throughout.
            literal = ((0, len(normalized)),) if any(a < offset and start < b for a, b in literal_spans) else ()
            segments.extend(self._normalized_matcher.split(normalized, at_start, literal))
        return segments

    def encode(self, text: str, add_special_tokens: bool = True, literal_spans: Spans = ()) -> list[int]:
        """Token ids of `text`; `add_special_tokens` applies the post-processor (e.g. BOS).

        Within `literal_spans` ((start, stop) character ranges) special-token strings are
        tokenized as the text they spell, as HF's `encode_special_tokens` does for the whole text."""
        ids: list[int] = []
        for token_id, piece, at_start in self._segments(text, tuple(literal_spans)):
            if token_id is not None:
                ids.append(token_id)
                continue
            if not piece:
                continue  # HF pre-tokenizers never see empty splits (no prefix space for "")
            words = [(piece, at_start)] if self._pre_tokenizer is None else self._pre_tokenizer([(piece, at_start)])
            for word, _ in words:
                if word:
                    ids.extend(self._model.tokenize(word))
        if add_special_tokens and self._post_processor is not None:
            ids = self._post_processor(ids)
        return ids

    # -- decode ---------------------------------------------------------------

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        """Text of `ids` as HF `decode` gives it; unknown ids are skipped as in HF."""
        tokens = []
        for token_id in ids:
            token = self._id_to_token.get(token_id)
            if token is None or (skip_special_tokens and token_id in self._special_token_ids):
                continue
            tokens.append(token)
        if self._decoder is None:
            return " ".join(tokens)
        return "".join(self._decoder(tokens))

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes token `token_id` stands for (byte-level and byte-fallback aware)."""
        cached = self._token_bytes_cache.get(token_id)
        if cached is not None:
            return cached
        token = self._id_to_token.get(token_id)
        if token is None:
            raise TokenizerError(f"token id {token_id} is not in the vocabulary (0..{self.vocab_size - 1})")
        result = self._raw_token_bytes(token_id, token)
        self._token_bytes_cache[token_id] = result
        return result

    def _raw_token_bytes(self, token_id: int, token: str) -> bytes:
        if token_id in self._added_token_ids:
            return token.encode("utf-8")
        if self._byte_level:
            as_bytes = byte_level_to_bytes(token)
            return as_bytes if as_bytes is not None else token.encode("utf-8")
        byte = parse_byte_fallback_token(token) if self._model.byte_fallback else None
        if byte is not None:
            return bytes([byte])
        if self._space_marker is not None:
            token = token.replace(self._space_marker, " ")
        return token.encode("utf-8")

    # -- vocabulary -----------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of ids: one more than the largest token id (model vocab and added tokens)."""
        return max(self._id_to_token) + 1 if self._id_to_token else 0

    def token_to_id(self, token: str) -> int | None:
        return self._token_to_id.get(token)

    def id_to_token(self, token_id: int) -> str | None:
        return self._id_to_token.get(token_id)

    @property
    def special_token_ids(self) -> frozenset[int]:
        return self._special_token_ids

    @property
    def is_byte_level(self) -> bool:
        return self._byte_level
