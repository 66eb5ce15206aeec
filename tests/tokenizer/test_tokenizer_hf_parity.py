"""Our pure-Python tokenizer gives HF `tokenizers`' ids and text on every tokenizer shape."""

import pytest
from tokenizer_cases import CORPUS, TOKENIZER_JSONS, fuzz_corpus, load_pair, texts_for

NAMES = sorted(TOKENIZER_JSONS)


def _first_mismatch(pairs):
    return next(((text, want, got) for text, want, got in pairs if want != got), None)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("add_special_tokens", [False, True])
def test_encode_matches_hf(name, add_special_tokens):
    hf, ours = load_pair(name)
    results = [(text, hf.encode(text, add_special_tokens=add_special_tokens).ids,
                ours.encode(text, add_special_tokens=add_special_tokens)) for text in texts_for(name)]
    assert _first_mismatch(results) is None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("skip_special_tokens", [False, True])
def test_decode_matches_hf(name, skip_special_tokens):
    hf, ours = load_pair(name)
    results = []
    for text in texts_for(name):
        ids = hf.encode(text).ids
        results.append((text, hf.decode(ids, skip_special_tokens=skip_special_tokens),
                        ours.decode(ids, skip_special_tokens=skip_special_tokens)))
    assert _first_mismatch(results) is None


def _round_trip_texts(name, ours):
    """Corpus texts that can survive encode -> decode: none of the added tokens that
    strip spaces, and every byte in the vocabulary (HF drops bytes it lacks)."""
    from webgpu_llm.tokenizer.byte_level import BYTE_TO_CHAR

    texts = CORPUS + fuzz_corpus()
    if ours.is_byte_level:
        texts = [text for text in texts
                 if all(ours.token_to_id(BYTE_TO_CHAR[byte]) is not None for byte in text.encode())]
    return texts


@pytest.mark.parametrize("name", ["smollm2_gguf", "llama3_style"])
def test_byte_level_decode_round_trips(name):
    _, ours = load_pair(name)
    texts = _round_trip_texts(name, ours)
    assert len(texts) > 100
    decoded = [ours.decode(ours.encode(text, add_special_tokens=False)) for text in texts]
    assert decoded == texts


def test_qwen2_round_trip_is_nfc():
    import unicodedata

    _, ours = load_pair("qwen2_style")
    texts = _round_trip_texts("qwen2_style", ours)
    assert [ours.decode(ours.encode(text)) for text in texts] == [unicodedata.normalize("NFC", t) for t in texts]


def test_sentencepiece_decode_round_trips():
    _, ours = load_pair("sentencepiece_style")
    # The decoder strips the one space the normalizer prepended, so text that itself
    # starts with a space loses it, and every segment after a special token gains one (HF does both).
    texts = [text for text in _round_trip_texts("sentencepiece_style", ours)
             if not text.startswith(" ") and "<|" not in text]
    assert len(texts) > 100
    assert [ours.decode(ours.encode(text, add_special_tokens=False)) for text in texts] == texts


def test_decode_of_arbitrary_ids_matches_hf():
    """Ids that do not come from encode: split multi-byte chars, lone byte tokens, specials in the middle."""
    import random

    rng = random.Random(7)
    for name in NAMES:
        hf, ours = load_pair(name)
        size = ours.vocab_size
        for _ in range(150):
            ids = [rng.randrange(size) for _ in range(rng.randint(1, 8))]
            assert ours.decode(ids, skip_special_tokens=False) == hf.decode(ids, skip_special_tokens=False), (name, ids)


@pytest.mark.parametrize("name", NAMES)
def test_vocabulary_lookups_match_hf(name):
    hf, ours = load_pair(name)
    vocab = hf.get_vocab(with_added_tokens=True)
    assert ours.vocab_size == max(vocab.values()) + 1
    assert all(ours.token_to_id(token) == token_id for token, token_id in vocab.items())
    assert all(ours.id_to_token(token_id) == hf.id_to_token(token_id) for token_id in range(ours.vocab_size))
    assert ours.token_to_id("definitely not a token \u2603\u2603") is None
    assert ours.id_to_token(ours.vocab_size + 5) is None
    special = {token.content for token in hf.get_added_tokens_decoder().values() if token.special}
    assert ours.special_token_ids == frozenset(vocab[content] for content in special)


@pytest.mark.parametrize("ignore_merges", [True, False])
@pytest.mark.parametrize("merges", [[["b", "c"], ["a", "b"], ["ab", "c"]], ["b c", "a b", "ab c"]])
def test_ignore_merges_emits_a_whole_word_found_in_the_vocab(ignore_merges, merges):
    """'abc' is in the vocab but the merges alone stop at ['a', 'bc']."""
    import json

    from tokenizers import Tokenizer as HFTokenizer

    from webgpu_llm.tokenizer import Tokenizer

    spec = {"version": "1.0", "added_tokens": [], "normalizer": None, "post_processor": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": ignore_merges,
                      "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "bc": 4, "ab": 5, "abc": 6},
                      "merges": merges}}
    text = json.dumps(spec)
    hf, ours = HFTokenizer.from_str(text), Tokenizer.from_str(text)
    for sample in ["abc", "abc abcc cab", "ab"]:
        assert ours.encode(sample) == hf.encode(sample).ids
    assert ours.encode("abc") == ([6] if ignore_merges else [0, 4])
