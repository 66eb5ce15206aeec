"""Done when: WebLLM's logit-processor example, as rewritten in examples/logit-processor/, runs in
headless Chromium against `webgpu-llm serve --examples examples` and prints what WebLLM's does:
every token sampled under the processor (logits[0] = 100) is 0, processSampledToken counted each,
resetChat() called resetState. And the low-level path is the real model: without a processor,
forwardTokensAndSample's greedy tokens are the native engine's (the server's) for the same ids,
and a processor also steers chat.completions."""

import json
import urllib.request

from browser_cases import MODEL_ID, open_page
from test_browser_examples import run_example

from webgpu_llm.tokenizer.tokenizer import Tokenizer

PROMPT = "The capital of France is"
STEPS = 6


def test_logit_processor_example(browser, served):
    output = run_example(browser, served, "logit-processor")
    assert output["first"] == [0] * STEPS and output["second"] == [0] * STEPS
    assert output["sampledBeforeReset"] == STEPS  # processSampledToken saw each token
    assert output["resets"] == 1 and output["sampledAfterReset"] == 0  # resetChat -> resetState
    assert output["sampledAtEnd"] == STEPS
    prefill, decode = [float(part.split(":")[1].split()[0]) for part in output["stats"].split(",")]
    assert prefill > 0 and decode > 0, output["stats"]


def native_greedy_text(served: str) -> str:
    body = {"model": MODEL_ID, "prompt": PROMPT, "max_tokens": STEPS, "temperature": 0, "ignore_eos": True}
    request = urllib.request.Request(f"{served}/v1/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)["choices"][0]["text"]


LOW_LEVEL = """async ([promptIds, steps, forced]) => {
    const { CreateMLCEngine } = await import("/lib/index.js");
    const engine = await CreateMLCEngine("%s", {}, { context_window_size: 1024, temperature: 0 });
    const tokens = [await engine.forwardTokensAndSample(promptIds, true)];
    while (tokens.length < steps) tokens.push(await engine.forwardTokensAndSample([tokens.at(-1)], false));
    const seen = [];
    engine.setLogitProcessorRegistry(new Map([["%s", {
        processLogits: (logits) => { logits[forced] = 100; return logits; },
        processSampledToken: (token) => seen.push(token),
        resetState: () => seen.push("reset"),
    }]]));
    const reply = await engine.chat.completions.create({
        messages: [{ role: "user", content: "Hi" }], max_tokens: 3, temperature: 0 });
    await engine.resetChat();
    return { tokens, chat: reply.choices[0].message.content, seen };
}""" % (MODEL_ID, MODEL_ID)


def test_forward_tokens_is_the_native_greedy_decode_and_a_processor_steers_chat(browser, served, smollm2_folder):
    tokenizer = Tokenizer.from_file(smollm2_folder("q4f16_1") / "tokenizer.json")
    prompt_ids = tokenizer.encode(PROMPT, add_special_tokens=True)
    forced = tokenizer.encode("Hello", add_special_tokens=False)
    assert len(forced) == 1
    expected = native_greedy_text(served)
    page = open_page(browser, served + "/")
    result = page.evaluate(LOW_LEVEL, [prompt_ids, STEPS, forced[0]])
    assert tokenizer.decode(result["tokens"]) == expected
    assert len(set(result["tokens"])) > 1
    assert result["chat"] == "Hello" * 3
    assert result["seen"] == [forced[0]] * 3 + ["reset"]
