"""StreamingDetokenizer: its pieces add up to `decode`, and never show a broken character."""

import pytest
from tokenizer_cases import TOKENIZER_JSONS, load_pair, texts_for

from webgpu_llm.tokenizer import StreamingDetokenizer

NAMES = sorted(TOKENIZER_JSONS)


def _stream(tokenizer, ids, skip_special_tokens=False):
    detokenizer = StreamingDetokenizer(tokenizer, skip_special_tokens=skip_special_tokens)
    pieces = [detokenizer.push(token_id) for token_id in ids]
    return pieces, detokenizer.flush()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("skip_special_tokens", [False, True])
def test_stream_concatenation_equals_decode(name, skip_special_tokens):
    _, ours = load_pair(name)
    for text in texts_for(name):
        ids = ours.encode(text)
        pieces, tail = _stream(ours, ids, skip_special_tokens)
        assert "".join(pieces) + tail == ours.decode(ids, skip_special_tokens=skip_special_tokens), text


@pytest.mark.parametrize("name", NAMES)
def test_stream_never_shows_a_broken_character(name):
    _, ours = load_pair(name)
    held_back = 0
    for text in texts_for(name):
        if "\ufffd" in text:
            continue
        pieces, tail = _stream(ours, ours.encode(text))
        assert not any("\ufffd" in piece for piece in pieces), text
        assert not any(0xD800 <= ord(char) <= 0xDFFF for piece in pieces for char in piece)
        assert tail == ""
        held_back += sum(1 for piece in pieces if piece == "")
    # The corpus has emoji and CJK split over byte tokens, so some pushes must have been held back.
    assert held_back > 0


def test_stream_holds_a_split_character_until_complete():
    _, ours = load_pair("sentencepiece_style")
    ids = ours.encode("ok 🦜", add_special_tokens=False)
    byte_ids = [i for i in ids if ours.id_to_token(i).startswith("<0x")]
    assert len(byte_ids) == 4  # the emoji is not in the vocab: four byte-fallback tokens
    pieces, tail = _stream(ours, ids)
    assert pieces[-4:] == ["", "", "", "🦜"]
    assert "".join(pieces) == "ok 🦜" and tail == ""


def test_stream_flush_emits_an_incomplete_character_as_decode_does():
    _, ours = load_pair("sentencepiece_style")
    ids = ours.encode("a🦜", add_special_tokens=False)[:-1]  # drop the emoji's last byte
    pieces, tail = _stream(ours, ids)
    assert "".join(pieces) + tail == ours.decode(ids)
    assert tail.endswith("\ufffd")


def test_stream_strips_the_leading_sentencepiece_space_once():
    _, ours = load_pair("sentencepiece_style")
    ids = ours.encode("Hello world again", add_special_tokens=False)
    pieces, _ = _stream(ours, ids)
    assert pieces[0] == "Hello"[: len(pieces[0])] and "".join(pieces) == "Hello world again"
