"""system_fingerprint: in every chunk, kept by the fold, read back by from_dict."""

from webgpu_llm.protocol import (ChatCompletion, ChatCompletionChunk, ChunkChoice, CompletionChoice, CompletionChunk,
                                 Delta, fold_chat_chunks, fold_completion_chunks)

FINGERPRINT = "fp_0123456789"


def test_chat_chunks_and_their_fold_carry_the_fingerprint():
    chunks = [ChatCompletionChunk("c", 1, "m", [ChunkChoice(0, Delta("assistant", "Hi"), None, None)],
                                  system_fingerprint=FINGERPRINT),
              ChatCompletionChunk("c", 1, "m", [ChunkChoice(0, Delta(None, None), None, "stop")],
                                  system_fingerprint=FINGERPRINT)]
    assert all(chunk.to_dict()["system_fingerprint"] == FINGERPRINT for chunk in chunks)
    reply = fold_chat_chunks(chunks).to_dict()
    assert reply["system_fingerprint"] == FINGERPRINT
    assert ChatCompletion.from_dict(reply).system_fingerprint == FINGERPRINT


def test_completion_fold_carries_the_fingerprint():
    chunk = CompletionChunk("c", 1, "m", [CompletionChoice(0, "x", None, "length")], system_fingerprint=FINGERPRINT)
    assert fold_completion_chunks([chunk]).system_fingerprint == FINGERPRINT
    assert CompletionChunk.from_dict(chunk.to_dict()).system_fingerprint == FINGERPRINT
