"""match_chat_template picks the registered name for each model's own Jinja template."""

import pytest

from conversation_cases import CASE_NAMES, chat_template
from webgpu_llm.convert.template_match import match_chat_template

# Alpaca-style: no registered template renders like this.
ALPACA = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
          "{{ '### Instruction:\n' + message['content'] + '\n\n' }}{% else %}"
          "{{ '### Response:\n' + message['content'] + eos_token + '\n\n' }}{% endif %}"
          "{% endfor %}{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}")


@pytest.mark.parametrize("name", CASE_NAMES)
def test_each_model_template_matches_its_registered_name(name):
    source, special_tokens = chat_template(name)
    assert match_chat_template(source, special_tokens) == name


def test_unrelated_template_matches_nothing():
    assert match_chat_template(ALPACA, {"bos_token": "<s>", "eos_token": "</s>"}) is None


def test_one_character_off_matches_nothing():
    # A near miss (no newline after the role) must not be taken for ChatML.
    source, special_tokens = chat_template("chatml")
    near_miss = source.replace("message['role'] + '\n'", "message['role'] + ' '")
    assert near_miss != source
    assert match_chat_template(near_miss, special_tokens) is None


def test_bos_token_decides_between_prefix_and_none():
    # llama-3's Jinja writes bos_token; with a different BOS string the
    # prefix-token text no longer lines up, so llama-3 must not match.
    source, special_tokens = chat_template("llama-3")
    assert match_chat_template(source, {**special_tokens, "bos_token": "<s>"}) is None


def test_own_default_system_message_beats_generic_chatml():
    # Qwen2's Jinja renders equally as chatml once chatml's default is made
    # explicit, but only qwen2 renders it exactly with no system message.
    source, special_tokens = chat_template("qwen2")
    assert match_chat_template(source, special_tokens) == "qwen2"
