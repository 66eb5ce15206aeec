"""The real SmolLM2 tokenizer, shared by the grammar tests (no GPU needed)."""

import json

import pytest


@pytest.fixture(scope="session")
def smollm2_model(smollm2_folder):
    """(Tokenizer, embedding rows, stop ids) of the embedded SmolLM2-135M-Instruct."""
    from webgpu_llm.tokenizer import Tokenizer

    folder = smollm2_folder("q4f16_1")
    config = json.loads((folder / "mlc-chat-config.json").read_text())
    stop_ids = list(config["conv_template"]["stop_token_ids"])
    return Tokenizer.from_file(folder / "tokenizer.json"), config["vocab_size"], stop_ids
