"""What `webgpu-llm serve` was started with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..weights.cache import models_dir

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY_BYTES = 4 << 20  # a chat request is text; 4 MiB is far beyond any context window


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    host: str = "127.0.0.1"  # loopback only unless asked: the API has no authentication
    port: int = DEFAULT_PORT
    model: str | None = None  # default model: an id or an MLC folder; None: the embedded default
    cache_root: Path | None = None  # models live in <cache_root>/models/<id>; None: WEBGPU_LLM_CACHE or ~/.cache
    pyodide_dir: Path | None = None  # Pyodide's npm files; None: /pyodide/ answers 404
    xgrammar_dir: Path | None = None  # web-xgrammar's lib/ (the browser's grammar engine); None: 404
    examples_dir: Path | None = None  # pages served at /examples/ (same origin as /lib/); None: 404
    adapter: str | None = None  # substring of the WebGPU adapter name for the native engines
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    web_dir: Path = WEB_DIR  # the JS client (served at /lib/) with the chat app in app/ (served at /)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")

    @property
    def models_folder(self) -> Path:
        """The folder whose subfolders are the cached models."""
        return models_dir(self.cache_root)

    @property
    def app_dir(self) -> Path:
        return self.web_dir / "app"
