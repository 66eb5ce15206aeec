"""The engine runs off the server's event loop: while a long prompt prefills on lavapipe (a submit
runs its shaders on the CPU for many seconds), /health and /v1/models answer at once, and a
queued stream gets its headers before the running request ends."""

import statistics
import threading
import time

import httpx
import pytest

from server_cases import MODEL_ID
from server_support import running_server

# Many short user turns, as in the report (1,000 turns, ~5,000 tokens); 36 (~480 tokens) keep the
# test short. Prefilled in chunks of 128, as the report's prompt was in chunks of 2,048: a submit
# behind a running one waits for it on lavapipe, which is what held the event loop.
MANY_TURNS = [{"role": "user", "content": f"Note {i}: remember it."} for i in range(36)]
ROUTE_LIMIT_S = 0.050
# A shared 2-core CI machine delays a few answers past the limit whatever the server does; an
# event loop that waited on the GPU would stall every answer for the whole prefill (seconds).
SHARE_WITHIN_LIMIT = 0.95
STALL_S = 1.0
CHUNK = 128


@pytest.fixture(scope="module")
def chunked_server(model_cache, smollm2):
    with running_server(model_cache, model=MODEL_ID, extra_args=["--prefill-chunk-size", str(CHUNK)]) as url:
        yield url


def test_routes_answer_while_a_long_prompt_prefills(chunked_server):
    server_url = chunked_server
    long_answer: dict = {}
    queued: dict = {}

    def long_request():
        started = time.perf_counter()
        response = httpx.post(server_url + "/v1/chat/completions", timeout=600, json={
            "model": MODEL_ID, "messages": MANY_TURNS, "max_tokens": 2, "temperature": 0})
        long_answer.update(response=response, seconds=time.perf_counter() - started)

    def queued_stream():
        started = time.perf_counter()
        with httpx.stream("POST", server_url + "/v1/chat/completions", timeout=600, json={
                "model": MODEL_ID, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2,
                "stream": True}) as stream:
            queued.update(status=stream.status_code, headers_s=time.perf_counter() - started,
                          long_running=worker.is_alive())
            queued["body"] = stream.read().decode()

    warm_up = httpx.post(server_url + "/v1/chat/completions", timeout=600, json={
        "model": MODEL_ID, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    assert warm_up.status_code == 200  # the model is loaded: what follows waits on the GPU only
    worker = threading.Thread(target=long_request)
    worker.start()
    time.sleep(1.0)  # the long request is on the engine now
    streamer = threading.Thread(target=queued_stream)
    streamer.start()
    latencies: list[float] = []
    with httpx.Client(base_url=server_url, timeout=60) as client:
        while worker.is_alive():
            for path in ("/health", "/v1/models"):
                started = time.perf_counter()
                assert client.get(path).status_code == 200
                latencies.append(time.perf_counter() - started)
            time.sleep(0.1)
    worker.join()
    streamer.join()
    response = long_answer["response"]
    assert response.status_code == 200, response.text
    assert response.json()["usage"]["prompt_tokens"] > 3 * CHUNK
    assert len(latencies) >= 20, f"only {len(latencies)} polls during a {long_answer['seconds']:.1f} s request"
    assert queued["status"] == 200 and queued["long_running"], (
        f"the queued stream's headers came after {queued['headers_s']:.1f} s, when the running request had ended")
    assert queued["body"].endswith("data: [DONE]\n\n")
    print(f"{len(latencies)} polls in {long_answer['seconds']:.1f} s, median {1000 * statistics.median(latencies):.1f} ms, "
          f"max {1000 * max(latencies):.1f} ms; queued stream's headers after {queued['headers_s']:.2f} s")
    slow = [round(1000 * s, 1) for s in latencies if s >= ROUTE_LIMIT_S]
    assert len(slow) <= (1 - SHARE_WITHIN_LIMIT) * len(latencies), (
        f"{len(slow)} of {len(latencies)} answers took >= {1000 * ROUTE_LIMIT_S:.0f} ms: {slow}")
    assert max(latencies) < STALL_S, f"a route stalled for {max(latencies):.2f} s"
