"""Embeddings: BERT-family encoders on the GPU behind OpenAI's `embeddings.create`.

Browser-side (stdlib only): the WordPiece tokenizer, the encoder config, the GPU
graph and the engine; the converter lives in `convert/encoder_conversion.py`.
"""

from .engine import AsyncEmbeddingEngine, EmbeddingEngine

__all__ = ["AsyncEmbeddingEngine", "EmbeddingEngine"]
