"""What `webgpu-llm serve` was started with."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..weights.cache import models_dir

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY_BYTES = 4 << 20  # a chat request is text; 4 MiB is far beyond any context window
# One engine answers one request at a time; past this many running or waiting, a request gets a 429.
DEFAULT_MAX_CONCURRENCY = 16
API_KEY_ENV = "WEBGPU_LLM_API_KEY"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    host: str = "127.0.0.1"  # loopback only unless asked; any other host needs an api_key
    port: int = DEFAULT_PORT
    model: str | None = None  # default model: an id or an MLC folder; None: the embedded default
    cache_root: Path | None = None  # models live in <cache_root>/models/<id>; None: WEBGPU_LLM_CACHE or ~/.cache
    pyodide_dir: Path | None = None  # Pyodide's npm files; None: /pyodide/ answers 404
    xgrammar_dir: Path | None = None  # web-xgrammar's lib/ (the browser's grammar engine); None: 404
    examples_dir: Path | None = None  # pages served at /examples/ (same origin as /lib/); None: 404
    adapter: str | None = None  # substring of the WebGPU adapter name for the native engines
    prefill_chunk_size: int | None = None  # tokens per prefill submit; None: each model's own
    max_batch: int = 1  # requests of one model decoding together (continuous batching); 1: one at a time
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    api_key: str | None = None  # /v1/ and /metrics need `Authorization: Bearer <api_key>`; None: open
    cors_origins: tuple[str, ...] = ()  # origins whose pages may call the API (CORS); "*" for any
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # generation requests running or waiting, at most
    web_dir: Path = WEB_DIR  # the JS client (served at /lib/) with the chat app in app/ (served at /)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")
        if self.prefill_chunk_size is not None and self.prefill_chunk_size < 1:
            raise ValueError(f"prefill_chunk_size must be at least 1, got {self.prefill_chunk_size}")
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {self.max_batch}")
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("the API key is empty; give a non-empty key, or none on a loopback host")
        if self.api_key is None and not is_loopback(self.host):
            raise ValueError(f"host {self.host!r} is reachable from other machines, so the API needs a key: "
                             f"give --api-key KEY (or set ${API_KEY_ENV}); clients then send "
                             "`Authorization: Bearer KEY`. Without a key, bind 127.0.0.1")

    @property
    def models_folder(self) -> Path:
        """The folder whose subfolders are the cached models."""
        return models_dir(self.cache_root)

    @property
    def app_dir(self) -> Path:
        return self.web_dir / "app"


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1); names other than localhost are not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
