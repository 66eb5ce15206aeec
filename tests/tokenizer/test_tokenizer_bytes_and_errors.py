"""token_bytes, regex translation details, and the errors unsupported files raise."""

import json

import pytest
from tokenizer_cases import CORPUS, load_pair, llama3_style_json, sentencepiece_style_json

from webgpu_llm.tokenizer import Tokenizer, TokenizerError
from webgpu_llm.tokenizer.onig_regex import compile_oniguruma

PLAIN_TEXTS = [text for text in CORPUS if "<|" not in text and "\x1d" not in text]


@pytest.mark.parametrize("name", ["smollm2_gguf", "llama3_style", "qwen2_style"])
def test_byte_level_token_bytes_concatenate_to_the_utf8_text(name):
    _, ours = load_pair(name)
    for text in PLAIN_TEXTS:
        if name == "qwen2_style" and not text.isascii():
            continue  # NFC may change non-ASCII text
        ids = ours.encode(text, add_special_tokens=False)
        assert b"".join(ours.token_bytes(i) for i in ids) == text.encode("utf-8"), text


def test_sentencepiece_token_bytes_follow_byte_fallback_and_spaces():
    _, ours = load_pair("sentencepiece_style")
    for text in PLAIN_TEXTS:
        ids = ours.encode(text, add_special_tokens=False)
        expected = ((" " + text) if text else text).encode("utf-8")  # the normalizer prepends one space
        assert b"".join(ours.token_bytes(i) for i in ids) == expected, text
    assert ours.token_bytes(ours.token_to_id("<0xE2>")) == b"\xe2"
    assert ours.token_bytes(ours.token_to_id("<s>")) == b"<s>"


def test_token_bytes_of_an_unknown_id_raises():
    _, ours = load_pair("llama3_style")
    with pytest.raises(TokenizerError, match="not in the vocabulary"):
        ours.token_bytes(ours.vocab_size + 3)


def test_oniguruma_whitespace_is_unicode_white_space_not_python_isspace():
    pattern = compile_oniguruma(r"\s+")
    # U+001C..U+001F are whitespace to Python's re but not to Oniguruma (nor HF).
    assert pattern.fullmatch("\x1c") is None
    assert pattern.fullmatch(" \t\n\r\x0b\x0c\u00a0\u3000\u2028\x85") is not None


def test_oniguruma_unicode_properties_translate():
    letters_numbers = compile_oniguruma(r"[^\s\p{L}\p{N}]+")
    assert letters_numbers.fullmatch("!?.,") is not None
    assert letters_numbers.search("日本ß½٣") is None  # letters, No and Arabic-Indic digits excluded
    assert compile_oniguruma(r"\P{L}+").fullmatch("12 !") is not None
    assert compile_oniguruma(r"\x{1F600}").fullmatch("😀") is not None
    assert compile_oniguruma(r"(?i:'s|'ll)").fullmatch("'LL") is not None


def _with(base_json: str, **changes) -> dict:
    spec = json.loads(base_json)
    for path, value in changes.items():
        target = spec
        *parents, last = path.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return spec


@pytest.mark.parametrize("change, named, supported", [
    ({"model__type": "WordPiece"}, "WordPiece", "BPE"),
    ({"pre_tokenizer": {"type": "BertPreTokenizer"}}, "BertPreTokenizer", "ByteLevel"),
    ({"normalizer": {"type": "BertNormalizer"}}, "BertNormalizer", "NFC"),
    ({"decoder": {"type": "CTC"}}, "CTC", "ByteFallback"),
    ({"post_processor": {"type": "Fancy"}}, "Fancy", "TemplateProcessing"),
    ({"model__continuing_subword_prefix": "##"}, "continuing_subword_prefix", "supported"),
    ({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": r"\p{Greek}"}, "behavior": "Isolated"}},
     "Greek", "general categories"),
    ({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"}}, "Sideways", "Isolated"),
])
def test_unsupported_features_raise_a_helpful_error(change, named, supported):
    spec = _with(llama3_style_json(), **change)
    with pytest.raises(TokenizerError) as raised:
        Tokenizer.from_dict(spec).encode("some text")
    assert named in str(raised.value) and supported in str(raised.value)


def test_invalid_json_raises_tokenizer_error():
    with pytest.raises(TokenizerError, match="not valid JSON"):
        Tokenizer.from_str("{not json")


def test_unk_without_byte_fallback_matches_hf():
    """Chars missing from the vocab become one fused unk token per run, as HF's fuse_unk does."""
    from tokenizers import Tokenizer as HFTokenizer

    for fuse in (True, False):
        spec = _with(sentencepiece_style_json(), model__byte_fallback=False, model__fuse_unk=fuse)
        text = json.dumps(spec)
        hf, ours = HFTokenizer.from_str(text), Tokenizer.from_str(text)
        for sample in ["x 🦜🦜 y", "日本語 ok", "🦜", "a🦜b🦜🦜c"]:
            assert ours.encode(sample) == hf.encode(sample).ids, (fuse, sample)
        assert ours.encode("🦜🦜", add_special_tokens=False).count(ours.token_to_id("<unk>")) == (1 if fuse else 2)
