"""The engine: OpenAI-style chat and text completions over one loaded model."""

from .engine import AsyncEngine, Engine

__all__ = ["AsyncEngine", "Engine"]
