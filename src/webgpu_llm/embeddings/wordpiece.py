"""BERT's WordPiece tokenizer, read from `tokenizer.json` (stdlib only).

Follows HF `tokenizers`: `normalizers/bert.rs` (BertNormalizer), `pre_tokenizers/bert.rs`
(BertPreTokenizer), `models/wordpiece/mod.rs` (greedy longest match first) and the
TemplateProcessing post-processor `[CLS] $A [SEP]`. Special tokens that are not
normalized (`[CLS]`, `[MASK]`, ...) are found in the raw text first, as HF does.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..tokenizer.added_tokens import AddedToken, AddedTokenMatcher

# CJK Unified Ideographs and their extensions: BertNormalizer puts spaces around each one.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
               (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


class WordPieceConfigError(ValueError):
    """A tokenizer.json this tokenizer does not read (not WordPiece, no [CLS]/[SEP], ...)."""


@dataclass(frozen=True, slots=True)
class BertNormalization:
    clean_text: bool = True
    handle_chinese_chars: bool = True
    strip_accents: bool = True
    lowercase: bool = True

    @classmethod
    def from_spec(cls, spec: dict | None) -> "BertNormalization":
        if spec is None:
            return cls(False, False, False, False)
        if spec.get("type") != "BertNormalizer":
            raise WordPieceConfigError(f"normalizer {spec.get('type')!r}: only BertNormalizer is read")
        lowercase = bool(spec.get("lowercase", True))
        strip = spec.get("strip_accents")
        return cls(bool(spec.get("clean_text", True)), bool(spec.get("handle_chinese_chars", True)),
                   lowercase if strip is None else bool(strip), lowercase)

    def __call__(self, text: str) -> str:
        if self.clean_text:
            text = "".join(" " if _is_bert_whitespace(c) else c for c in text if not _is_removed(c))
        if self.handle_chinese_chars:
            text = "".join(f" {c} " if _is_cjk(c) else c for c in text)
        if self.strip_accents:  # NFD, then drop the combining marks
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        # Character by character, as Rust's char::to_lowercase: no final-sigma rule (str.lower has one).
        return "".join(c.lower() for c in text) if self.lowercase else text


def _is_bert_whitespace(c: str) -> bool:
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_removed(c: str) -> bool:
    """NUL, U+FFFD and control, format, private-use and surrogate characters (tab, newline and
    return are whitespace instead); unassigned code points (Cn) stay, as HF keeps them."""
    if c in "\t\n\r":
        return False
    return c in "\0\ufffd" or unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")


def _is_cjk(c: str) -> bool:
    code = ord(c)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def _is_punctuation(c: str) -> bool:
    """ASCII punctuation (which includes $, +, <, ^, ...) or any Unicode P* character."""
    return (c.isascii() and not c.isalnum() and c.isprintable() and not c.isspace()) or \
        unicodedata.category(c).startswith("P")


def bert_pre_tokenize(text: str) -> list[str]:
    """Split on whitespace (dropped) and around each punctuation character (kept alone)."""
    words: list[str] = []
    for chunk in text.split():
        start = 0
        for i, c in enumerate(chunk):
            if _is_punctuation(c):
                if start < i:
                    words.append(chunk[start:i])
                words.append(c)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class WordPieceTokenizer:
    def __init__(self, vocab: dict[str, int], *, unk_token: str, prefix: str, max_chars_per_word: int,
                 normalize: BertNormalization, cls_token: str, sep_token: str, pad_token: str,
                 added: list[AddedToken], max_length: int):
        for name in (unk_token, cls_token, sep_token, pad_token):
            if name not in vocab:
                raise WordPieceConfigError(f"the vocabulary has no {name!r}")
        self.vocab, self.prefix, self.max_chars_per_word = vocab, prefix, max_chars_per_word
        self.normalize = normalize
        self.unk_id, self.cls_id, self.sep_id, self.pad_id = (vocab[unk_token], vocab[cls_token],
                                                              vocab[sep_token], vocab[pad_token])
        self.max_length = max_length  # [CLS] and [SEP] included
        self._raw_added = AddedTokenMatcher({t.content: t for t in added if not t.normalized})
        self._normalized_added = AddedTokenMatcher({t.content: t for t in added if t.normalized})

    @classmethod
    def from_file(cls, path: str | Path, max_length: int) -> "WordPieceTokenizer":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), max_length)

    @classmethod
    def from_dict(cls, spec: dict, max_length: int) -> "WordPieceTokenizer":
        model = spec.get("model") or {}
        if model.get("type") != "WordPiece":
            raise WordPieceConfigError(f"tokenizer model {model.get('type')!r}: expected WordPiece")
        if (spec.get("pre_tokenizer") or {}).get("type") not in ("BertPreTokenizer", None):
            raise WordPieceConfigError(f"pre-tokenizer {spec['pre_tokenizer'].get('type')!r}: "
                                       "only BertPreTokenizer is read")
        cls_token, sep_token = _template_tokens(spec.get("post_processor"))
        pad = (spec.get("padding") or {}).get("pad_token", "[PAD]")
        return cls(model["vocab"], unk_token=model.get("unk_token", "[UNK]"),
                   prefix=model.get("continuing_subword_prefix", "##"),
                   max_chars_per_word=int(model.get("max_input_chars_per_word", 100)),
                   normalize=BertNormalization.from_spec(spec.get("normalizer")),
                   cls_token=cls_token, sep_token=sep_token, pad_token=pad,
                   added=[AddedToken.from_spec(t) for t in spec.get("added_tokens", [])], max_length=max_length)

    def encode(self, text: str) -> list[int]:
        """[CLS] + WordPiece ids of `text` + [SEP], truncated to `max_length` (the end is cut)."""
        ids: list[int] = []
        for token_id, raw, at_start in self._raw_added.split(text, True):
            if token_id is not None:
                ids.append(token_id)
                continue
            for inner_id, piece, _ in self._normalized_added.split(self.normalize(raw), at_start):
                ids.extend([inner_id] if inner_id is not None else self._word_ids(piece))
        return [self.cls_id, *ids[: self.max_length - 2], self.sep_id]

    def _word_ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in bert_pre_tokenize(text):
            ids.extend(self.wordpiece(word))
        return ids

    def wordpiece(self, word: str) -> list[int]:
        """Greedy longest match first; a word with any unmatchable rest is one [UNK]."""
        if len(word) > self.max_chars_per_word:
            return [self.unk_id]
        ids, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    start = end
                    break
            else:
                return [self.unk_id]
        return ids


def _template_tokens(post_processor: dict | None) -> tuple[str, str]:
    """The special tokens around a single sequence: `[CLS] $A [SEP]` (TemplateProcessing or BertProcessing)."""
    if post_processor is None:
        raise WordPieceConfigError("tokenizer.json has no post_processor; an encoder needs [CLS] ... [SEP]")
    kind = post_processor.get("type")
    if kind == "BertProcessing":
        return post_processor["cls"][0], post_processor["sep"][0]
    if kind == "TemplateProcessing":
        single = post_processor.get("single", [])
        specials = [part["SpecialToken"]["id"] for part in single if "SpecialToken" in part]
        if len(single) == 3 and "Sequence" in single[1] and len(specials) == 2:
            return specials[0], specials[1]
    raise WordPieceConfigError(f"post_processor {kind!r} is not of the form [CLS] $A [SEP]")
