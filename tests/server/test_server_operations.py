"""Operations, in-process over a fake site (no engine): /health, /metrics, the API key, CORS,
--max-concurrency, the request log, and the refusal to serve off loopback without a key."""

import asyncio
import logging

import httpx
import pytest
from starlette.testclient import TestClient

from server_cases import FAKE_MODEL_ID
from webgpu_llm import cli
from webgpu_llm.protocol.errors import UnknownModelError
from webgpu_llm.server import app as server_app
from webgpu_llm.server import engines
from webgpu_llm.server.app import build_app
from webgpu_llm.server.settings import ServerSettings

KEY = "sk-test-7f3a"


def make_app(fake_site, **options):
    return build_app(ServerSettings(cache_root=fake_site / "cache", model=FAKE_MODEL_ID, web_dir=fake_site / "web",
                                    **options))


def test_health_and_metrics(fake_site):
    client = TestClient(make_app(fake_site))
    assert client.get("/health").json() == {"status": "ok"}
    client.post("/v1/chat/completions", content=b"[1]")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = metrics.text
    assert 'webgpu_llm_requests_total{route="/health",status="200"} 1' in text
    assert 'webgpu_llm_requests_total{route="/v1/chat/completions",status="400"} 1' in text
    for name in ("webgpu_llm_prompt_tokens_total", "webgpu_llm_completion_tokens_total", "webgpu_llm_queue_length",
                 'webgpu_llm_time_to_first_token_seconds_bucket{le="+Inf"}'):
        assert f"\n{name} " in text, name


def test_api_key_guards_the_api_and_metrics_only(fake_site):
    client = TestClient(make_app(fake_site, api_key=KEY))
    for path in ("/v1/models", "/metrics"):
        response = client.get(path)
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
        assert client.get(path, headers={"authorization": "Bearer wrong"}).status_code == 401
        assert client.get(path, headers={"authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get("/health").status_code == 200 and client.get("/").status_code == 200


def test_cors_origins(fake_site):
    client = TestClient(make_app(fake_site, api_key=KEY, cors_origins=("https://app.example",)))
    preflight = client.options("/v1/models", headers={"origin": "https://app.example",
                                                      "access-control-request-method": "GET",
                                                      "access-control-request-headers": "authorization"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    other = client.get("/health", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_requests_past_max_concurrency_get_429(fake_site, monkeypatch):
    release = asyncio.Event()

    async def slow_get(self, model_id):
        await release.wait()
        raise UnknownModelError("released")  # what the held request answers does not matter

    monkeypatch.setattr(engines.EnginePool, "get", slow_get)
    app = make_app(fake_site, max_concurrency=1)
    body = {"model": FAKE_MODEL_ID, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
            held = asyncio.create_task(client.post("/v1/chat/completions", json=body))
            await asyncio.sleep(0.2)
            refused = await client.post("/v1/chat/completions", json=body)
            metrics = (await client.get("/metrics")).text
            release.set()
            return refused, (await held), metrics

    refused, held, metrics = asyncio.run(scenario())
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert "\nwebgpu_llm_requests_in_flight 1\n" in metrics and "\nwebgpu_llm_queue_length 1\n" in metrics
    assert held.status_code == 404


def test_each_request_is_logged_with_its_timing(fake_site, caplog):
    client = TestClient(make_app(fake_site))
    with caplog.at_level(logging.INFO, logger="webgpu_llm.server"):
        client.post("/v1/completions", content=b"{")
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("POST /v1/completions"))
    assert line.startswith("POST /v1/completions 400 ") and line.endswith(" ms")


@pytest.fixture
def started(monkeypatch):
    calls = []
    monkeypatch.setattr(server_app, "run", lambda app, settings: calls.append(settings))
    return calls


def test_a_public_host_needs_an_api_key(fake_site, started, capsys, monkeypatch):
    monkeypatch.delenv("WEBGPU_LLM_API_KEY", raising=False)
    args = ["serve", "--models", str(fake_site / "cache"), "--model", FAKE_MODEL_ID, "--host", "0.0.0.0"]
    assert cli.main(args) == 2 and not started
    assert "--api-key" in capsys.readouterr().err
    assert cli.main([*args, "--api-key", KEY, "--cors-origin", "*", "--max-concurrency", "3"]) == 0
    assert (started[0].api_key, started[0].cors_origins, started[0].max_concurrency) == (KEY, ("*",), 3)
