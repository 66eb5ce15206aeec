"""webgpu-llm: LLM inference on WebGPU, in the browser and natively.

Browser-side modules import only the standard library (DESIGN.md, decision 1).
"""

__version__ = "0.1.0"

from .engine import AsyncEngine, Engine

__all__ = ["AsyncEngine", "Engine", "__version__"]
