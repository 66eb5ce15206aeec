"""Native-only: what `webgpu-llm bench` runs (decode/prefill speed, copy bandwidth)."""
