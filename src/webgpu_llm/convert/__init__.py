"""Native-only: GGUF and Hugging Face safetensors -> MLC artifacts (uses numpy)."""
