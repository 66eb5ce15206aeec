"""WebLLM's `extra_body: {"enable_thinking": bool}`: parsed, refused by key, passed to the template."""

import dataclasses

import jinja2
import pytest

from webgpu_llm.conversation import get_template, render_prompt
from webgpu_llm.conversation.render import THINKING_OFF_KEY
from webgpu_llm.protocol.errors import InvalidRequestError
from webgpu_llm.protocol.requests import ChatCompletionRequest, CompletionRequest

MESSAGES = [{"role": "user", "content": "hi"}]
# The condition Qwen3's own chat template ends with (its generation prompt).
QWEN3_TAIL = ("{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
              "{%- if enable_thinking is defined and enable_thinking is false %}"
              "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}")
QWEN3_JINJA = ("{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
               "{%- endfor %}" + QWEN3_TAIL)


def qwen3_like():
    base = get_template("chatml")
    return dataclasses.replace(base, system_message="",
                               extra_fields={THINKING_OFF_KEY: "<think>\n\n</think>\n\n"})


@pytest.mark.parametrize("value", [True, False])
def test_enable_thinking_parsed_and_round_trips(value):
    request = ChatCompletionRequest.from_dict({"messages": MESSAGES, "extra_body": {"enable_thinking": value}})
    assert request.enable_thinking is value
    assert ChatCompletionRequest.from_dict(request.to_dict()) == request


def test_extra_body_left_out_or_empty_means_not_given():
    assert ChatCompletionRequest.from_dict({"messages": MESSAGES}).enable_thinking is None
    assert ChatCompletionRequest.from_dict({"messages": MESSAGES, "extra_body": {}}).enable_thinking is None


@pytest.mark.parametrize("extra, param", [({"chat_template_kwargs": {}}, "extra_body.chat_template_kwargs"),
                                          ({"enable_thinking": "no"}, "extra_body.enable_thinking"),
                                          ("yes", "extra_body")])
def test_bad_extra_body_refused_by_name(extra, param):
    with pytest.raises(InvalidRequestError) as e:
        ChatCompletionRequest.from_dict({"messages": MESSAGES, "extra_body": extra})
    assert e.value.param == param


def test_extra_body_is_for_chat_only():
    with pytest.raises(InvalidRequestError) as e:
        CompletionRequest.from_dict({"prompt": "x", "extra_body": {"enable_thinking": False}})
    assert e.value.param == "extra_body"


def test_template_that_reads_it_matches_qwen3_jinja():
    jinja = jinja2.Environment().from_string(QWEN3_JINJA)
    for value in (None, True, False):
        kwargs = {} if value is None else {"enable_thinking": value}
        ours = render_prompt(qwen3_like(), MESSAGES, enable_thinking=value).text
        assert ours == jinja.render(messages=MESSAGES, add_generation_prompt=True, **kwargs)
    assert render_prompt(qwen3_like(), MESSAGES, enable_thinking=False).text.endswith(
        "<|im_start|>assistant\n<think>\n\n</think>\n\n")


@pytest.mark.parametrize("name", ["chatml", "smollm2", "qwen2"])
def test_templates_that_do_not_read_it_are_unaffected(name):
    template = get_template(name)
    plain = render_prompt(template, MESSAGES)
    assert render_prompt(template, MESSAGES, enable_thinking=False) == plain
    assert render_prompt(template, MESSAGES, enable_thinking=True) == plain
