"""The raw SSE body of a streamed reply, read with httpx: the `openai` client reads a stream
without its final `data: [DONE]` just as well, so only the bytes themselves can show it."""

import json

import httpx
import pytest

from server_cases import MODEL_ID, QUESTION


@pytest.mark.parametrize("path, fields, chunk_object", [
    ("/v1/chat/completions", {"messages": QUESTION}, "chat.completion.chunk"),
    ("/v1/completions", {"prompt": "The capital of France is"}, "text_completion"),
], ids=["chat", "completions"])
def test_stream_is_data_events_then_done(server_url, path, fields, chunk_object):
    body = {"model": MODEL_ID, **fields, "max_tokens": 2, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    reply = httpx.post(server_url + path, json=body, timeout=300)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/event-stream")
    *events, done, after = reply.content.split(b"\n\n")
    assert (done, after) == (b"data: [DONE]", b""), reply.content[-200:]
    assert all(e.startswith(b"data: {") for e in events), events
    chunks = [json.loads(e.removeprefix(b"data: ")) for e in events]
    assert {c["object"] for c in chunks} == {chunk_object}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 2
