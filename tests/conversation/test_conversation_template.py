"""ConvTemplate data model, registry and render_prompt semantics (MLC's as_prompt)."""

import dataclasses

import pytest

from webgpu_llm.conversation import (ConversationError, ConvTemplate, Prompt, get_template,
                                     prefix_token_text, render_prompt, template_names)

REQUIRED_NAMES = ["chatml", "llama-3", "llama-2", "mistral", "gemma", "phi-3", "qwen2", "smollm2"]
USER = {"role": "user", "content": "Hi"}

# The shape MLC writes into mlc-chat-config.json, with a key we do not know.
MLC_CONV_TEMPLATE = {
    "name": "chatml",
    "system_template": "<|im_start|>system\n{system_message}<|im_end|>\n",
    "system_message": "A conversation between a user and an LLM-based AI assistant.",
    "system_prefix_token_ids": None,
    "add_role_after_system_message": True,
    "roles": {"user": "<|im_start|>user", "assistant": "<|im_start|>assistant"},
    "role_templates": {"user": "{user_message}", "assistant": "{assistant_message}",
                       "tool": "{tool_message}"},
    "messages": [],
    "seps": ["<|im_end|>\n"],
    "role_content_sep": "\n",
    "role_empty_sep": "\n",
    "stop_str": ["<|im_end|>"],
    "stop_token_ids": [2, 32000],
    "function_string": "",
    "use_function_calling": False,
    "image_data_future_field": {"kept": True},
}


def minimal(**fields) -> ConvTemplate:
    base = {"name": "t", "roles": {"user": "U:", "assistant": "A:"}, "seps": ["|"]}
    return ConvTemplate.from_dict({**base, **fields})


def test_registry_has_required_names():
    assert set(REQUIRED_NAMES) <= set(template_names())
    for name in template_names():
        assert get_template(name).name == name


def test_smollm2_default_system_message():
    assert (get_template("smollm2").system_message
            == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")


def test_unknown_template_name_lists_registered_names():
    with pytest.raises(ConversationError, match="unknown conversation template 'nope'") as info:
        get_template("nope")
    assert all(name in str(info.value) for name in REQUIRED_NAMES)


def test_get_template_returns_an_independent_copy():
    get_template("chatml").roles["user"] = "changed"
    assert get_template("chatml").roles["user"] == "<|im_start|>user"


def test_every_prefix_token_has_text():
    for name in template_names():
        ids = get_template(name).system_prefix_token_ids or []
        assert set(ids) == set(prefix_token_text(name)), name


def test_mlc_dict_round_trips():
    template = ConvTemplate.from_dict(MLC_CONV_TEMPLATE)
    assert template.extra_fields == {"image_data_future_field": {"kept": True}}
    assert template.to_dict() == MLC_CONV_TEMPLATE
    assert ConvTemplate.from_dict(template.to_dict()) == template


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_registered_templates_round_trip(name):
    template = get_template(name)
    assert ConvTemplate.from_dict(template.to_dict()) == template


def test_absent_keys_take_mlc_defaults():
    template = ConvTemplate.from_dict({"roles": {"user": "U", "assistant": "A"}, "seps": [""]})
    assert (template.name, template.system_template, template.system_prefix_token_ids,
            template.add_role_after_system_message) == (None, "{system_message}", None, True)


@pytest.mark.parametrize("bad, message", [
    ({"roles": {"user": "U"}, "seps": ["|"]}, "missing \\['assistant'\\]"),
    ({"roles": {"user": "U", "assistant": "A"}, "seps": []}, "seps must hold 1 or 2"),
    ({"roles": {"user": "U", "assistant": "A"}}, "lacks required key 'seps'"),
])
def test_invalid_template_dict_raises(bad, message):
    with pytest.raises(ConversationError, match=message):
        ConvTemplate.from_dict(bad)


@pytest.mark.parametrize("messages, message", [
    ([USER, {"role": "system", "content": "late"}], "messages\\[1\\]: template 'gemma' has no system turn"),
    ([{"role": "narrator", "content": "x"}], "unknown role 'narrator'; allowed: system, user"),
    ([USER, {"role": "tool", "content": "{}"}], "no 'tool' role; allowed roles: user, assistant$"),
    ([{"role": "system", "content": "s"}, USER], "'gemma' has no system turn"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}], "only text parts"),
    ([{"role": "user"}], "must be a string or a list of text parts, got NoneType"),
    (["Hi"], "must be a dict"),
])
def test_bad_messages_raise(messages, message):
    with pytest.raises(ConversationError, match=message):
        render_prompt(get_template("gemma"), messages)


def test_system_message_replaces_default():
    default = get_template("smollm2").system_message
    assert default
    text = render_prompt(get_template("smollm2"), [{"role": "system", "content": "Be terse."},
                                                   USER]).text
    assert text.startswith("<|im_start|>system\nBe terse.<|im_end|>\n")
    assert default not in text


def test_empty_system_message_renders_no_system_block():
    """Unlike MLC (which would wrap an empty message), as every model's Jinja does."""
    text = render_prompt(get_template("chatml"), [USER]).text
    assert text.startswith("<|im_start|>user\n") and "system" not in text


def test_text_parts_join_like_a_string():
    template = get_template("qwen2")
    parts = [{"type": "text", "text": "line one"}, {"type": "text", "text": "line two"}]
    assert (render_prompt(template, [{"role": "user", "content": parts}])
            == render_prompt(template, [{"role": "user", "content": "line one\nline two"}]))


def test_generation_prompt_is_the_empty_assistant_turn():
    template = minimal(role_content_sep=" ", role_empty_sep="~", seps=["|", "#"])
    turns = [USER, {"role": "assistant", "content": "Yo"}]
    assert render_prompt(template, turns) == Prompt([], "U: Hi|A: Yo#A:~")
    assert render_prompt(template, turns, add_generation_prompt=False).text == "U: Hi|A: Yo#"


def test_role_omitted_after_system_only_when_asked():
    template = minimal(system_template="<{system_message}>", system_message="S",
                       add_role_after_system_message=False)
    assert render_prompt(template, [USER]).text == "<S>Hi|A:"
    with_role = dataclasses.replace(template, add_role_after_system_message=True)
    assert render_prompt(with_role, [USER]).text == "<S>U:Hi|A:"
    # With no system text there is nothing to fold the first turn into.
    no_system = dataclasses.replace(template, system_template="")
    assert render_prompt(no_system, [USER]).text == "U:Hi|A:"


def test_role_templates_and_function_string():
    # MLC: the last {function_string} gets the tool list, earlier ones vanish.
    template = minimal(role_templates={"user": "{function_string}[{user_message}]"},
                       function_string="TOOLS")
    turns = [USER, {"role": "assistant", "content": "ok"}, USER]
    assert render_prompt(template, turns).text == "U:[Hi]|A:ok|U:TOOLS[Hi]|A:"


def test_template_history_comes_before_request_messages():
    template = minimal(messages=[["user", "Earlier"], ["assistant", "Reply"]])
    assert render_prompt(template, [USER]).text == "U:Earlier|A:Reply|U:Hi|A:"


def test_content_spans_cover_exactly_what_the_messages_wrote():
    template = get_template("smollm2")
    messages = [{"role": "system", "content": "S <|im_end|>"}, {"role": "user", "content": "U {function_string}"},
                {"role": "assistant", "content": "A"}, {"role": "developer", "content": "D"}]
    prompt = render_prompt(template, messages)
    assert [prompt.text[a:b] for a, b in prompt.content_spans] == ["S <|im_end|>", "U {function_string}", "A", "D"]
    assert prompt.text.count("<|im_start|>") == 5  # the typed <|im_end|> is still only text here
