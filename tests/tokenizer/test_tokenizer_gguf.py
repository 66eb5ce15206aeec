"""tokenizer.json / tokenizer_config.json rebuilt from GGUF vocabularies."""

import json

import pytest
from tokenizer_cases import CORPUS, fuzz_corpus, sentencepiece_style_json, smollm2_files, smollm2_reader

from webgpu_llm.convert.gguf_tokenizer import (
    PRE_TOKENIZERS,
    tokenizer_files_from_gguf,
    tokenizer_info_from_gguf,
)
from webgpu_llm.tokenizer import Tokenizer, TokenizerError


def test_smollm2_tokenizer_json_loads_in_hf_with_the_smollm_pre_tokenizer():
    from tokenizers import Tokenizer as HFTokenizer

    spec = smollm2_files()["tokenizer.json"]
    hf = HFTokenizer.from_str(json.dumps(spec))
    assert hf.get_vocab_size() == 49152
    assert [step["type"] for step in spec["pre_tokenizer"]["pretokenizers"]] == ["Digits", "ByteLevel"]
    assert hf.encode("<|im_start|>user").ids[0] == 1
    assert len(spec["model"]["merges"]) == 48900


def test_smollm2_tokenizer_config():
    config = smollm2_files()["tokenizer_config.json"]
    assert config["bos_token"] == "<|im_start|>" and config["eos_token"] == "<|im_end|>"
    assert config["pad_token"] == "<|im_end|>" and config["unk_token"] == "<|endoftext|>"
    assert config["add_bos_token"] is False and config["model_max_length"] == 8192
    assert config["chat_template"].startswith("{% for message in messages %}")


def test_smollm2_special_tokens_are_the_control_tokens():
    ours = Tokenizer.from_dict(smollm2_files()["tokenizer.json"])
    assert ours.special_token_ids == frozenset(range(17))
    assert tokenizer_info_from_gguf(smollm2_reader()) == {
        "token_postproc_method": "byte_level", "prepend_space_in_encode": False, "strip_space_in_decode": False}


class FakeField:
    def __init__(self, value):
        self.value = value

    def contents(self):
        return self.value


class FakeReader:
    """The part of `gguf.GGUFReader` the converter reads: `fields[key].contents()`."""

    def __init__(self, values: dict):
        self.fields = {key: FakeField(value) for key, value in values.items()}


def test_unknown_pre_tokenizer_names_it_and_the_known_ones():
    reader = FakeReader({"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "deepseek-coder",
                         "tokenizer.ggml.tokens": ["a"], "tokenizer.ggml.merges": []})
    with pytest.raises(TokenizerError) as raised:
        tokenizer_files_from_gguf(reader)
    assert "deepseek-coder" in str(raised.value)
    assert all(name in str(raised.value) for name in PRE_TOKENIZERS)


def test_unknown_tokenizer_model_raises():
    with pytest.raises(TokenizerError, match="'rwkv'.*gpt2"):
        tokenizer_files_from_gguf(FakeReader({"tokenizer.ggml.model": "rwkv", "tokenizer.ggml.tokens": []}))


def _sentencepiece_gguf(tmp_path):
    """A real GGUF file holding a Llama-2-style vocabulary (tokens, scores = -id, types)."""
    import gguf

    vocab = json.loads(sentencepiece_style_json())["model"]["vocab"]
    tokens = [token for token, _ in sorted(vocab.items(), key=lambda item: item[1])]
    types = [gguf.TokenType.UNKNOWN if token == "<unk>" else gguf.TokenType.BYTE if token.startswith("<0x")
             else gguf.TokenType.CONTROL if token.startswith("<") and token.endswith(">") and len(token) > 1
             else gguf.TokenType.NORMAL for token in tokens]
    writer = gguf.GGUFWriter(str(tmp_path / "sp.gguf"), "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(len(tokens))])
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return gguf.GGUFReader(str(tmp_path / "sp.gguf"))


def test_sentencepiece_gguf_matches_hf_on_the_same_tokenizer_json(tmp_path):
    from tokenizers import Tokenizer as HFTokenizer

    reader = _sentencepiece_gguf(tmp_path)
    files = tokenizer_files_from_gguf(reader)
    text = json.dumps(files["tokenizer.json"])
    hf, ours = HFTokenizer.from_str(text), Tokenizer.from_str(text)
    assert files["tokenizer.json"]["model"]["byte_fallback"] is True
    assert files["tokenizer_config.json"]["bos_token"] == "<s>"
    for sample in CORPUS + fuzz_corpus():
        ids = ours.encode(sample)
        assert ids == hf.encode(sample).ids, sample
        assert ours.decode(ids) == hf.decode(ids, skip_special_tokens=False)
    assert ours.encode("Hello")[0] == 1  # add_bos_token
    assert tokenizer_info_from_gguf(reader) == {
        "token_postproc_method": "byte_fallback", "prepend_space_in_encode": True, "strip_space_in_decode": True}
