"""Past one engine: several `webgpu-llm serve` replicas behind nginx (Debian's, run with
deploy/nginx.conf as shipped, only its ports and paths changed). Requests through the
balancer reach both replicas and get the answers one server gives, streams come through
as they are generated, and a replica that goes away is skipped."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from server_cases import MODEL_ID, QUESTION
from server_support import free_port, running_server

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
# Greedy, the end-of-turn token (id 2) suppressed so that every answer has its tokens.
GREEDY = {"model": MODEL_ID, "messages": QUESTION, "max_tokens": 8, "temperature": 0, "logit_bias": {"2": -100}}


def nginx_config(listen: int, replicas: list[str]) -> str:
    """deploy/nginx.conf with its listening port and its two upstream servers replaced."""
    text = CONFIG.read_text()
    for shipped, actual in [("127.0.0.1:8000", f"127.0.0.1:{listen}"),
                            ("127.0.0.1:8001", replicas[0]), ("127.0.0.1:8002", replicas[1])]:
        assert text.count(shipped) == 1, f"{CONFIG} no longer names {shipped} once"
        text = text.replace(shipped, actual)
    return text


@contextlib.contextmanager
def running_nginx(config: str, prefix: Path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "nginx is missing: `make test` installs Debian's nginx-light"
    (prefix / "tmp").mkdir(parents=True)
    (prefix / "nginx.conf").write_text(config)
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", "nginx.conf", "-g", "daemon off;"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(url: str, process: subprocess.Popen, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{process.stdout.read()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2):
                return
        time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer {url} within {timeout_s} s")


def chat_requests_answered(replica: str) -> int:
    with urllib.request.urlopen(f"{replica}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('webgpu_llm_requests_total{route="/v1/chat/completions",status="200"}'))


@pytest.fixture(scope="module")
def cluster(model_cache, smollm2, tmp_path_factory):
    """Two replicas and nginx in front of them; `stop_second` takes the second replica away."""
    with contextlib.ExitStack() as stack:
        second = contextlib.ExitStack()  # closed by the test that takes the replica away
        stack.enter_context(second)
        replicas = [stack.enter_context(running_server(model_cache)), second.enter_context(running_server(model_cache))]
        port = free_port()
        config = nginx_config(port, [r.removeprefix("http://") for r in replicas])
        nginx = stack.enter_context(running_nginx(config, tmp_path_factory.mktemp("nginx")))
        balancer = f"http://127.0.0.1:{port}"
        wait_for(balancer + "/health", nginx)
        yield {"balancer": balancer, "replicas": replicas, "stop_second": second.close,
               "client": openai.OpenAI(base_url=balancer + "/v1", api_key="none", max_retries=0, timeout=300),
               "direct": openai.OpenAI(base_url=replicas[0] + "/v1", api_key="none", max_retries=0,
                                       timeout=300)}


def test_concurrent_requests_reach_both_replicas_with_the_answers_of_one(cluster):
    alone = cluster["direct"].chat.completions.create(**GREEDY).choices[0].message.content
    assert "Paris" in alone
    before = [chat_requests_answered(r) for r in cluster["replicas"]]

    def ask(stream: bool) -> str:
        client = cluster["client"]
        if not stream:
            return client.chat.completions.create(**GREEDY).choices[0].message.content
        chunks = client.chat.completions.create(stream=True, **GREEDY)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, [False, True, False, True]))
    assert answers == [alone] * 4
    served = [chat_requests_answered(r) - b for r, b in zip(cluster["replicas"], before)]
    assert sum(served) == 4 and min(served) >= 1, f"requests per replica: {served}"


def test_a_stream_comes_through_as_it_is_generated(cluster):
    """nginx buffers a response unless told not to: the tokens must not arrive all at the end."""
    arrivals = []
    started = time.monotonic()
    request = {**GREEDY, "max_tokens": 24}
    for chunk in cluster["client"].chat.completions.create(stream=True, **request):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
    assert len(arrivals) >= 8
    # Decoding 24 tokens takes a good part of a second here; a buffered answer arrives at once
    # (its first and last pieces within milliseconds), whatever the time to the first token.
    assert arrivals[-1] - arrivals[0] > 0.1, (
        f"the first token came at {arrivals[0]:.2f} s, the last at {arrivals[-1]:.2f} s: buffered")


def test_requests_go_on_when_a_replica_is_gone(cluster):
    """Last in this module: it stops the second replica; nginx sees a refused connection and
    sends each request to the first."""
    replicas = cluster["replicas"]
    gone = replicas[1]
    with urllib.request.urlopen(f"{gone}/health", timeout=5):
        pass
    cluster["stop_second"]()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{gone}/health", timeout=5)
    before = chat_requests_answered(replicas[0])
    for _ in range(3):
        reply = cluster["client"].chat.completions.create(**GREEDY)
        assert "Paris" in reply.choices[0].message.content
    assert chat_requests_answered(replicas[0]) - before == 3
