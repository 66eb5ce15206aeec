"""webgpu-llm: LLM inference on WebGPU, in the browser and natively.

Browser-side modules import only the standard library (DESIGN.md, decision 1).
"""

__version__ = "0.1.0"

from .embeddings import AsyncEmbeddingEngine, EmbeddingEngine
from .engine import AsyncEngine, Engine

__all__ = ["AsyncEmbeddingEngine", "AsyncEngine", "EmbeddingEngine", "Engine", "__version__"]
