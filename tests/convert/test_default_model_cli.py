"""The embedded default model and the `webgpu-llm` commands around it."""

import pytest

from webgpu_llm import cli
from webgpu_llm.convert.default_model import EMBEDDED_MODELS, ModelNotFoundError, resolve_model
from webgpu_llm.weights.cache import CACHE_ENV, folder_size, format_size


def test_models_lists_the_cache_with_sizes(smollm2_folder, model_cache, monkeypatch, capsys):
    folder = smollm2_folder("q4f16_1")
    monkeypatch.setenv(CACHE_ENV, str(model_cache))
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "SmolLM2-135M-Instruct-q4f16_1-MLC" in x)
    assert format_size(folder_size(folder)) in line
    assert 60 * 2**20 < folder_size(folder) < 120 * 2**20  # 135M params at ~4.5 bits + tokenizer


def test_resolve_finds_cached_and_folders_and_rejects_unknown(smollm2_folder, model_cache):
    folder = smollm2_folder("q4f16_1")
    assert resolve_model("SmolLM2-135M-Instruct-q4f16_1-MLC", model_cache) == folder
    assert resolve_model(str(folder), model_cache) == folder
    with pytest.raises(ModelNotFoundError, match="SmolLM2-135M-Instruct-q4f32_1-MLC"):
        resolve_model("Llama-9-Imaginary-MLC", model_cache)
    assert len(EMBEDDED_MODELS) == 8  # SmolLM2 and Gemma 3 270M in four schemes each


def test_cli_reports_bad_input_as_one_line_and_status_2(tmp_path, capsys):
    assert cli.main(["convert", str(tmp_path / "missing.gguf"), "--quantization", "q9",
                     "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "q4f16_1" in err
