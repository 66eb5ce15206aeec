"""WebLLM/OpenAI request semantics on the real SmolLM2: echo, extra_body, usage on a second turn."""

import pytest

from webgpu_llm.protocol.errors import InvalidRequestError

PROMPT = "The capital of France is"
QUESTION = [{"role": "user", "content": "Say hello."}]


def test_echo_puts_the_prompt_before_the_completion(engine):
    plain = engine.completions.create(prompt=PROMPT, max_tokens=6, temperature=0)
    echoed = engine.completions.create(prompt=PROMPT, max_tokens=6, temperature=0, echo=True)
    assert echoed.choices[0].text == PROMPT + plain.choices[0].text
    assert echoed.usage.completion_tokens == plain.usage.completion_tokens


def test_echo_is_the_first_streamed_piece_of_each_choice(engine):
    chunks = list(engine.completions.create(prompt=PROMPT, max_tokens=4, temperature=1.0, seed=3, n=2,
                                            echo=True, stream=True))
    texts: dict[int, list[str]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            texts.setdefault(choice.index, []).append(choice.text)
    assert sorted(texts) == [0, 1]
    for pieces in texts.values():
        assert pieces[0] == PROMPT
        assert len("".join(pieces)) > len(PROMPT)


def test_echo_with_logprobs_is_refused_by_name(engine):
    with pytest.raises(InvalidRequestError) as e:
        engine.completions.create(prompt=PROMPT, max_tokens=2, echo=True, logprobs=1)
    assert e.value.param == "echo"


def test_extra_body_unknown_key_is_refused(engine):
    with pytest.raises(InvalidRequestError) as e:
        engine.chat.completions.create(messages=QUESTION, max_tokens=2, extra_body={"thinking": True})
    assert e.value.param == "extra_body.thinking"


def test_extra_body_enable_thinking_leaves_smollm2_prompt_unchanged(engine):
    plain = engine.chat.completions.create(messages=QUESTION, max_tokens=6, temperature=0)
    off = engine.chat.completions.create(messages=QUESTION, max_tokens=6, temperature=0,
                                         extra_body={"enable_thinking": False})
    assert off.choices[0].message.content == plain.choices[0].message.content
    assert off.usage.prompt_tokens == plain.usage.prompt_tokens


def test_second_turn_counts_the_whole_prompt_and_extra_the_prefilled_part(engine):
    engine.reset_chat()
    first = engine.chat.completions.create(messages=QUESTION, max_tokens=6, temperature=0)
    history = QUESTION + [{"role": "assistant", "content": first.choices[0].message.content},
                          {"role": "user", "content": "Again."}]
    second = engine.chat.completions.create(messages=history, max_tokens=6, temperature=0)
    assert first.usage.extra["prefill_tokens"] == first.usage.prompt_tokens
    # OpenAI's prompt_tokens: the whole prompt; WebLLM's count (what was prefilled) is in extra
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert 0 < second.usage.extra["prefill_tokens"] < second.usage.prompt_tokens


def test_extra_body_enable_thinking_reaches_a_template_that_reads_it(engine, monkeypatch):
    import dataclasses

    model = engine.engine.model
    think_off = "<think>\n\n</think>\n\n"  # what Qwen3's template writes when enable_thinking is false
    monkeypatch.setattr(model, "template", dataclasses.replace(
        model.template, extra_fields={**model.template.extra_fields, "thinking_off_text": think_off}))
    engine.reset_chat()
    plain = engine.chat.completions.create(messages=QUESTION, max_tokens=1, temperature=0)
    on = engine.chat.completions.create(messages=QUESTION, max_tokens=1, temperature=0,
                                        extra_body={"enable_thinking": True})
    off = engine.chat.completions.create(messages=QUESTION, max_tokens=1, temperature=0,
                                         extra_body={"enable_thinking": False})
    added = len(model.tokenizer.encode(think_off, add_special_tokens=False))
    assert on.usage.prompt_tokens == plain.usage.prompt_tokens
    assert off.usage.prompt_tokens == plain.usage.prompt_tokens + added
