"""Pure-Python tokenizers read from HF tokenizer.json (standard library only: runs in Pyodide).

Supported: BPE models, both byte-level (GPT-2, Llama 3, Qwen2, SmolLM2) and
SentencePiece-style with byte fallback (Llama 2, Mistral, Gemma).
"""

from .errors import TokenizerError
from .streaming import StreamingDetokenizer
from .tokenizer import Tokenizer

__all__ = ["Tokenizer", "StreamingDetokenizer", "TokenizerError"]
