"""The native model cache: `~/.cache/webgpu-llm/models/<model_id>/`.

Overridable with WEBGPU_LLM_CACHE. Each model is an MLC folder; listing
reads only folder names and file sizes. (In the browser the cache is the
Cache API or IndexedDB, handled in JS.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "WEBGPU_LLM_CACHE"
CHAT_CONFIG = "mlc-chat-config.json"


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "webgpu-llm"


def models_dir(root: Path | None = None) -> Path:
    return (root or cache_dir()) / "models"


@dataclass(frozen=True)
class CachedModel:
    model_id: str
    path: Path
    size_bytes: int


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def list_cached_models(root: Path | None = None) -> list[CachedModel]:
    folder = models_dir(root)
    if not folder.is_dir():
        return []
    return [CachedModel(p.name, p, folder_size(p))
            for p in sorted(folder.iterdir()) if (p / CHAT_CONFIG).is_file()]


def format_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
