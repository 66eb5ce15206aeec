"""The stdlib WordPiece tokenizer against HF `tokenizers` on all-MiniLM-L6-v2's tokenizer.json,
and on variants of it (cased, accents kept or stripped without lowercasing)."""

from __future__ import annotations

import json
import random

import pytest
from tokenizers import Tokenizer as HFTokenizer

from webgpu_llm.convert.embedded_encoder import encoder_source_folder
from webgpu_llm.embeddings.wordpiece import WordPieceConfigError, WordPieceTokenizer

MAX_LENGTH = 256

TEXTS = [
    "Hello, world!", "The quick brown fox jumps over the lazy dog.", "", "   ", "a",
    "Café déjà vu — naïve résumé, Ångström, façade", "ÀÉÎÕÜ àéîõü ñ Ç",
    "日本語のテキスト and 中文字符 mixed 한국어 텍스트", "𠀀𠀁 CJK extension B",
    "[CLS] mask [MASK] x[SEP]y [PAD][UNK]", "[mask] is not special when lowercased in the text",
    "supercalifragilisticexpialidocious antidisestablishmentarianism", "a" * 100, "b" * 101,
    "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷", "tab\there\nnewline\r\nreturn\u2028line\u2029para\x0bvt\x0cff\x85nel",
    "İstanbul ǅ ß ﬁ ﬀ Σίσυφος ΣΊΣΥΦΟΣ", "$100+50=^_^ <tag> {x} [y] (z) @user #hash ~tilde `tick` |pipe|",
    "\u200bzero\u200dwidth\u00adsoft\ufeffbom", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝", "Ελληνικά Русский العربية हिन्दी עברית ไทย",
    "don't stop-believing... it's 3.14159 or 2,718!", "e-mail: someone@example.com, url https://x.org/a?b=c",
    "¿Qué? ¡Sí! «guillemets» „quotes“ 『brackets』 。、", "\x00nul\ufffdreplacement\x7fdel",
    "combining: e\u0301 a\u0308 n\u0303 \u0301alone", "numbers 1234567890 ١٢٣ ①②③ ½ ²",
    "ＦＵＬＬＷＩＤＴＨ ｆｕｌｌ", "word " * 300,
]


def random_texts(count: int, seed: int = 7) -> list[str]:
    """Strings drawn from ASCII, Latin-1, combining marks, punctuation, CJK, controls and astral planes."""
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x300, 0x36F), (0x2000, 0x206F), (0x3000, 0x303F),
              (0x4E00, 0x4E80), (0x0, 0x1F), (0x1F300, 0x1F64F), (0x370, 0x3FF), (0x400, 0x4FF)]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 40)):
            lo, hi = rng.choice(ranges)
            chars.append(chr(rng.randint(lo, hi)) if rng.random() < 0.6 else rng.choice(" abcdefghij,.'"))
        texts.append("".join(chars))
    return texts


def tokenizer_spec(**normalizer) -> dict:
    spec = json.loads((encoder_source_folder() / "tokenizer.json").read_text())
    spec["normalizer"].update(normalizer)
    spec["truncation"] = spec["padding"] = None
    return spec


@pytest.mark.parametrize("normalizer", [{}, {"lowercase": False}, {"lowercase": False, "strip_accents": True},
                                        {"strip_accents": False}, {"handle_chinese_chars": False}],
                         ids=["minilm", "cased", "cased-stripped", "accents-kept", "no-cjk-split"])
def test_wordpiece_matches_hf_tokenizers(normalizer):
    spec = tokenizer_spec(**normalizer)
    hf = HFTokenizer.from_str(json.dumps(spec))
    hf.enable_truncation(MAX_LENGTH)
    ours = WordPieceTokenizer.from_dict(spec, MAX_LENGTH)
    mismatched = [(text, hf.encode(text).ids, ours.encode(text))
                  for text in TEXTS + random_texts(300) if hf.encode(text).ids != ours.encode(text)]
    assert not mismatched, mismatched[:3]


def test_truncation_keeps_cls_and_sep():
    ours = WordPieceTokenizer.from_dict(tokenizer_spec(), 8)
    ids = ours.encode("one two three four five six seven eight nine")
    assert len(ids) == 8 and ids[0] == ours.cls_id and ids[-1] == ours.sep_id


def test_refuses_a_bpe_tokenizer():
    with pytest.raises(WordPieceConfigError, match="expected WordPiece"):
        WordPieceTokenizer.from_dict({"model": {"type": "BPE", "vocab": {}, "merges": []}}, 16)
