"""Rebuild HF tokenizer.json / tokenizer_config.json from a GGUF file's vocabulary.

GGUF stores the vocabulary as `tokenizer.ggml.*` arrays (see llama.cpp
`gguf-py/gguf/constants.py`); this turns them back into the HF format our
pure-Python tokenizer and HF `tokenizers` both read.
- `tokenizer.ggml.model == "gpt2"`: byte-level BPE; the pre-tokenizer comes
  from `tokenizer.ggml.pre`, as llama.cpp's `llama-vocab.cpp` chooses its regexes.
- `tokenizer.ggml.model == "llama"`: SentencePiece BPE with byte fallback; GGUF
  has no merges, so they are derived from vocabulary + scores the way HF's
  `convert_slow_tokenizer.SentencePieceExtractor` does.
"""

from __future__ import annotations

from typing import Any

from webgpu_llm.tokenizer import TokenizerError

# llama.cpp token types (gguf `TokenType`).
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 4, 5, 6

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def _byte_level(use_regex: bool) -> dict:
    return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": use_regex}


def _regex_then_bytes(pattern: str) -> dict:
    split = {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}
    return {"type": "Sequence", "pretokenizers": [split, _byte_level(use_regex=False)]}


# tokenizer.ggml.pre -> (pre_tokenizer, normalizer, ignore_merges), as HF's own files for those models set them.
PRE_TOKENIZERS: dict[str, tuple[dict, dict | None, bool]] = {
    "default": (_byte_level(use_regex=True), None, False),
    "gpt-2": (_byte_level(use_regex=True), None, False),
    "smollm": ({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                      _byte_level(use_regex=True)]}, None, False),
    "llama-bpe": (_regex_then_bytes(LLAMA3_PATTERN), None, True),
    "llama3": (_regex_then_bytes(LLAMA3_PATTERN), None, True),
    "qwen2": (_regex_then_bytes(QWEN2_PATTERN), {"type": "NFC"}, False),
}


def _field(reader, key: str, default: Any = None) -> Any:
    field = reader.fields.get(key)
    return default if field is None else field.contents()


def _added_tokens(tokens: list[str], token_types: list[int]) -> list[dict]:
    """CONTROL tokens become special added tokens, USER_DEFINED ones plain added tokens."""
    added = []
    for token_id, (content, token_type) in enumerate(zip(tokens, token_types)):
        if token_type in (TOKEN_CONTROL, TOKEN_USER_DEFINED):
            special = token_type == TOKEN_CONTROL
            added.append({"id": token_id, "content": content, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": not special, "special": special})
    return added


def _model(vocab: dict[str, int], merges: list[list[str]], **options: Any) -> dict:
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": vocab, "merges": merges}
    model.update(options)
    return model


def _byte_level_tokenizer_json(reader, tokens: list[str], token_types: list[int]) -> dict:
    pre_name = _field(reader, "tokenizer.ggml.pre", "default")
    if pre_name not in PRE_TOKENIZERS:
        raise TokenizerError(f"GGUF tokenizer.ggml.pre {pre_name!r} is not supported; "
                             f"supported: {', '.join(sorted(PRE_TOKENIZERS))}")
    pre_tokenizer, normalizer, ignore_merges = PRE_TOKENIZERS[pre_name]
    merges = [merge.split(" ", 1) for merge in _field(reader, "tokenizer.ggml.merges", [])]
    vocab = {token: token_id for token_id, token in enumerate(tokens)}
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": _added_tokens(tokens, token_types), "normalizer": normalizer,
            "pre_tokenizer": pre_tokenizer, "post_processor": _bos_post_processor(reader, tokens, byte_level=True),
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": _model(vocab, merges, ignore_merges=ignore_merges)}


def sentencepiece_merges(tokens: list[str], scores: list[float], token_types: list[int]) -> list[list[str]]:
    """Merges implied by a SentencePiece BPE vocabulary: every split of a token into two
    tokens, ordered by the merged token's score (higher first), then by the parts' ids,
    as HF `SentencePieceExtractor.extract` orders them."""
    mergeable = {token: token_id for token_id, token in enumerate(tokens)
                 if token_types[token_id] in (TOKEN_NORMAL, TOKEN_USER_DEFINED)}
    candidates = []
    for token, token_id in mergeable.items():
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in mergeable and right in mergeable:
                candidates.append((-scores[token_id], mergeable[left], mergeable[right], left, right))
    candidates.sort()
    return [[left, right] for _, _, _, left, right in candidates]


def _sentencepiece_tokenizer_json(reader, tokens: list[str], token_types: list[int]) -> dict:
    scores = _field(reader, "tokenizer.ggml.scores") or [-float(i) for i in range(len(tokens))]
    vocab = {token: token_id for token_id, token in enumerate(tokens)}
    unk_id = _field(reader, "tokenizer.ggml.unknown_token_id")
    add_space_prefix = bool(_field(reader, "tokenizer.ggml.add_space_prefix", True))
    replace_space = {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
    steps = ([{"type": "Prepend", "prepend": "▁"}] if add_space_prefix else []) + [replace_space]
    decoders = [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}] + ([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if add_space_prefix else [])
    model = _model(vocab, sentencepiece_merges(tokens, scores, token_types), byte_fallback=True, fuse_unk=True,
                   unk_token=tokens[unk_id] if unk_id is not None else None)
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": _added_tokens(tokens, token_types),
            "normalizer": {"type": "Sequence", "normalizers": steps}, "pre_tokenizer": None,
            "post_processor": _bos_post_processor(reader, tokens, byte_level=False),
            "decoder": {"type": "Sequence", "decoders": decoders}, "model": model}


def _bos_post_processor(reader, tokens: list[str], byte_level: bool) -> dict | None:
    """A TemplateProcessing adding BOS when `tokenizer.ggml.add_bos_token` says so (HF Llama style)."""
    bos_id = _field(reader, "tokenizer.ggml.bos_token_id")
    add_bos = bool(_field(reader, "tokenizer.ggml.add_bos_token", not byte_level))
    if not add_bos or bos_id is None:
        return {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True} if byte_level else None
    bos = tokens[bos_id]
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


def _tokenizer_config(reader, tokens: list[str]) -> dict:
    def token_for(key: str) -> str | None:
        token_id = _field(reader, f"tokenizer.ggml.{key}_token_id")
        return tokens[token_id] if token_id is not None and 0 <= token_id < len(tokens) else None

    is_byte_level = _field(reader, "tokenizer.ggml.model") == "gpt2"
    config = {"bos_token": token_for("bos"), "eos_token": token_for("eos"), "pad_token": token_for("padding"),
              "unk_token": token_for("unknown"),
              "add_bos_token": bool(_field(reader, "tokenizer.ggml.add_bos_token", not is_byte_level)),
              "add_eos_token": bool(_field(reader, "tokenizer.ggml.add_eos_token", False)),
              "clean_up_tokenization_spaces": False, "tokenizer_class": "PreTrainedTokenizerFast"}
    chat_template = _field(reader, "tokenizer.chat_template")
    if chat_template is not None:
        config["chat_template"] = chat_template
    architecture = _field(reader, "general.architecture")
    context_length = _field(reader, f"{architecture}.context_length") if architecture else None
    if context_length is not None:
        config["model_max_length"] = int(context_length)
    return config


def tokenizer_files_from_gguf(reader) -> dict[str, dict]:
    """`{"tokenizer.json": ..., "tokenizer_config.json": ...}` from a `gguf.GGUFReader`."""
    model_name = _field(reader, "tokenizer.ggml.model")
    tokens = list(_field(reader, "tokenizer.ggml.tokens", []))
    token_types = list(_field(reader, "tokenizer.ggml.token_type") or [TOKEN_NORMAL] * len(tokens))
    if model_name == "gpt2":
        tokenizer_json = _byte_level_tokenizer_json(reader, tokens, token_types)
    elif model_name == "llama":
        tokenizer_json = _sentencepiece_tokenizer_json(reader, tokens, token_types)
    else:
        raise TokenizerError(f"GGUF tokenizer.ggml.model {model_name!r} is not supported; supported: gpt2 "
                             "(byte-level BPE), llama (SentencePiece BPE)")
    return {"tokenizer.json": tokenizer_json, "tokenizer_config.json": _tokenizer_config(reader, tokens)}


def tokenizer_info_from_gguf(reader) -> dict:
    """MLC's `tokenizer_info` block for mlc-chat-config.json."""
    model_name = _field(reader, "tokenizer.ggml.model")
    if model_name == "gpt2":
        return {"token_postproc_method": "byte_level", "prepend_space_in_encode": False,
                "strip_space_in_decode": False}
    if model_name == "llama":
        add_space_prefix = bool(_field(reader, "tokenizer.ggml.add_space_prefix", True))
        return {"token_postproc_method": "byte_fallback", "prepend_space_in_encode": add_space_prefix,
                "strip_space_in_decode": add_space_prefix}
    raise TokenizerError(f"GGUF tokenizer.ggml.model {model_name!r} is not supported; supported: gpt2, llama")
