"""Each registered template renders exactly as its model's own Jinja chat template.

DESIGN.md, "Tests that anchor correctness": templates against jinja2
rendering of the model's chat template (rendered the way transformers does).
The prompt's prefix token ids are spelled as text through the per-template
table in templates.json, since the Jinja writes BOS as text.
"""

import pytest

from conversation_cases import CASE_NAMES, chat_template, jinja_without_system
from webgpu_llm.conversation import ConversationError, get_template, render_prompt
from webgpu_llm.convert.template_match import (JinjaRejected, registered_rendering,
                                               render_jinja_chat, with_default_system)

SYSTEM = {"role": "system", "content": "You are a pirate. Answer like one."}
THREE_TURNS = [
    {"role": "user", "content": "Hello there."},
    {"role": "assistant", "content": "Ahoy, matey!"},
    {"role": "user", "content": "Where is the treasure?"},
    {"role": "assistant", "content": "Buried on the island."},
    {"role": "user", "content": "Which island?"},
]
CONVERSATIONS = {"one turn": THREE_TURNS[:1], "three turns": THREE_TURNS}


@pytest.mark.parametrize("turns", CONVERSATIONS.values(), ids=CONVERSATIONS.keys())
@pytest.mark.parametrize("name", CASE_NAMES)
def test_with_system_message_equals_jinja(name, turns):
    source, special_tokens = chat_template(name)
    messages = [SYSTEM, *turns]
    if jinja_without_system(name) == "system_unsupported":
        # gemma and mistral v0.2 have no system turn: their Jinja raises, and
        # so must we rather than invent a place for the system text.
        with pytest.raises(JinjaRejected):
            render_jinja_chat(source, messages, special_tokens)
        with pytest.raises(ConversationError, match="no system turn"):
            render_prompt(get_template(name), messages)
        return
    expected = render_jinja_chat(source, messages, special_tokens)
    assert registered_rendering(name, messages) == expected


@pytest.mark.parametrize("turns", CONVERSATIONS.values(), ids=CONVERSATIONS.keys())
@pytest.mark.parametrize("name", CASE_NAMES)
def test_without_system_message_equals_jinja(name, turns):
    source, special_tokens = chat_template(name)
    template = get_template(name)
    actual = registered_rendering(name, turns)
    mode = jinja_without_system(name)
    if mode == "no_system_turn":
        # This Jinja writes no system turn unless given one; neither do we:
        # the template's default is empty and an empty message renders no block.
        assert template.system_message == ""
    # own_default: the Jinja writes its default system turn itself, which
    # checks our default text. system_unsupported: neither writes one.
    expected = render_jinja_chat(source, turns, special_tokens)
    assert actual == expected


@pytest.mark.parametrize("name", ["chatml", "qwen2", "smollm2"])
def test_tool_turn_equals_jinja(name):
    # ChatML Jinja templates render any role as "<|im_start|>{role}", tool included.
    source, special_tokens = chat_template(name)
    messages = [SYSTEM, THREE_TURNS[0],
                {"role": "assistant", "content": '{"name": "find_treasure"}'},
                {"role": "tool", "content": '{"island": "Tortuga"}'}]
    expected = render_jinja_chat(source, messages, special_tokens)
    assert registered_rendering(name, messages) == expected


def test_prefix_token_ids_are_kept_as_ids():
    # BOS must reach the model as its id: its text would not tokenize back to it.
    prompt = render_prompt(get_template("llama-3"), THREE_TURNS[:1])
    assert prompt.prefix_token_ids == [128000]
    assert "<|begin_of_text|>" not in prompt.text
    assert registered_rendering("llama-3", THREE_TURNS[:1]).startswith("<|begin_of_text|>")


def test_jinja_renderer_trims_blocks_like_transformers():
    # trim_blocks / lstrip_blocks: the newline after a block tag and the
    # indentation before it are dropped, as in transformers.
    source = "{% for m in messages %}\n  {% if true %}\n[{{ m['content'] }}]{% endif %}\n{% endfor %}"
    assert render_jinja_chat(source, THREE_TURNS[:2], {}) == "[Hello there.][Ahoy, matey!]"


LATER_SYSTEM = {"role": "system", "content": "From now on, answer in French."}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_later_system_message_equals_jinja(name):
    # These Jinja templates write a system message anywhere as a system turn where it stands.
    source, special_tokens = chat_template(name)
    messages = [SYSTEM, *THREE_TURNS[:2], LATER_SYSTEM, THREE_TURNS[2]]
    try:
        expected = render_jinja_chat(source, messages, special_tokens)
    except JinjaRejected:
        pytest.skip(f"{name}'s own template refuses a later system message")
    assert registered_rendering(name, messages) == expected


@pytest.mark.parametrize("name", ["chatml", "llama-3", "qwen2", "smollm2"])
def test_developer_role_renders_as_system(name):
    developer = [{**message, "role": "developer"} if message["role"] == "system" else message
                 for message in [SYSTEM, *THREE_TURNS[:2], LATER_SYSTEM, THREE_TURNS[2]]]
    as_system = [SYSTEM, *THREE_TURNS[:2], LATER_SYSTEM, THREE_TURNS[2]]
    assert registered_rendering(name, developer) == registered_rendering(name, as_system)
