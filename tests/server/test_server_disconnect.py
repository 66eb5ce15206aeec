"""A client that leaves stops its own generation, and only its own: non-streaming requests over a
real socket to uvicorn in this process (so the test can count the tokens the runner produced)."""

import json
import socket
import threading
import time
from contextlib import aclosing

import httpx
import pytest

from server_cases import MODEL_ID
from server_support import free_port
from webgpu_llm.engine.generation import GenerationControl

LONG = 200  # max_tokens of a request that would run for a long time, were it not stopped
TRIGGER = 4  # tokens generated before its client leaves


@pytest.fixture(scope="module")
def app_server(model_cache, smollm2):
    """(base URL, app) of uvicorn serving the app from a thread of this process, the model loaded."""
    import uvicorn

    from webgpu_llm.server.app import build_app
    from webgpu_llm.server.settings import ServerSettings

    app = build_app(ServerSettings(cache_root=model_cache, model=MODEL_ID))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ask(url, 1).status_code == 200  # loads the model
    yield url, app
    server.should_exit = True
    thread.join(30)


def ask(url: str, max_tokens: int) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", timeout=600, json={
        "model": MODEL_ID, "messages": [{"role": "user", "content": "Count to one hundred."}],
        "max_tokens": max_tokens, "ignore_eos": True, "temperature": 0})


def send_and_leave(url: str, leave: threading.Event) -> None:
    """A non-streaming request over a raw socket, which closes once `leave` is set."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"model": MODEL_ID, "messages": [{"role": "user", "content": "Tell me a long story."}],
                       "max_tokens": LONG, "ignore_eos": True}).encode()
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body) + body)
        assert leave.wait(300), "the request never reached its tokens"


@pytest.fixture
def counted(app_server, monkeypatch):
    """Tokens per runner.generate call (one list per call), and the count of the running call at
    each GenerationControl.interrupt()."""
    runner = app_server[1].state.engines.loaded()[MODEL_ID].engine.model.runner
    calls: list[list[int]] = []
    at_interrupt: list[int] = []
    generate = runner.generate

    async def counting_generate(*args, **kwargs):
        tokens: list[int] = []
        calls.append(tokens)
        async with aclosing(generate(*args, **kwargs)) as inner:
            async for sampled in inner:
                tokens.append(sampled.token)
                yield sampled

    interrupt = GenerationControl.interrupt

    def recorded_interrupt(control):
        at_interrupt.append(len(calls[-1]) if calls else 0)
        interrupt(control)

    monkeypatch.setattr(runner, "generate", counting_generate)
    monkeypatch.setattr(GenerationControl, "interrupt", recorded_interrupt)
    return calls, at_interrupt


def wait_until(condition, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_client_that_leaves_frees_the_engine_within_one_step(app_server, counted):
    url, _ = app_server
    calls, at_interrupt = counted
    leave = threading.Event()
    client = threading.Thread(target=send_and_leave, args=(url, leave))
    client.start()
    wait_until(lambda: calls and len(calls[0]) >= TRIGGER)
    leave.set()
    client.join()
    wait_until(lambda: at_interrupt, 60)  # the server saw the disconnect
    after = ask(url, 3)  # served once the engine is free
    assert after.status_code == 200 and after.json()["usage"]["completion_tokens"] == 3
    assert len(at_interrupt) == 1
    assert len(calls[0]) <= at_interrupt[0] + 1 < LONG, (
        f"{len(calls[0])} tokens generated, {at_interrupt[0]} of them before the client left")


def test_a_queued_client_that_leaves_stops_only_its_own_request(app_server, counted):
    url, _ = app_server
    calls, at_interrupt = counted
    running: dict = {}
    first = threading.Thread(target=lambda: running.update(response=ask(url, 40)))
    first.start()
    wait_until(lambda: calls and len(calls[0]) >= 1)  # the first request holds the engine
    leave = threading.Event()
    queued = threading.Thread(target=send_and_leave, args=(url, leave))
    queued.start()
    time.sleep(0.5)  # its body is in, it waits for the engine
    leave.set()
    queued.join()
    wait_until(lambda: at_interrupt, 60)
    first.join()
    answer = running["response"].json()
    assert answer["choices"][0]["finish_reason"] == "length" and answer["usage"]["completion_tokens"] == 40
    assert ask(url, 2).status_code == 200  # queued behind the abandoned request, which is over now
    assert [len(tokens) for tokens in calls] == [40, 2], "the abandoned request reached the GPU"
