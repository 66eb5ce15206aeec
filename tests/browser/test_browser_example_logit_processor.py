"""Done when: WebLLM's logit-processor example, as rewritten in examples/logit-processor/, runs in
headless Chromium against `webgpu-llm serve --examples examples` and prints what WebLLM's does:
every token sampled under the processor (logits[0] = 100) is 0, processSampledToken counted each,
resetChat() called resetState; in the page, and in a Web Worker with the processor registered
there. And the low-level path is the real model: without a processor, forwardTokensAndSample's
greedy tokens are the native engine's (the server's) for the same ids, and a processor also
steers chat.completions."""

import json
import urllib.request

from browser_cases import MODEL_ID, evaluate_in_new_page, open_page

from webgpu_llm.tokenizer.tokenizer import Tokenizer

PROMPT = "The capital of France is"
STEPS = 6


def run_example(browser, served: str, query: str) -> tuple[dict, list[str]]:
    """The example's output and the console lines of the page and its worker."""
    page = open_page(browser, f"{served}/examples/logit-processor/{query}")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.wait_for_selector("body[data-state]", state="attached")
    output = page.inner_text("#output-label")
    assert page.get_attribute("body", "data-state") == "done", output
    assert "Finish loading" in page.inner_text("#init-label")
    return json.loads(output), console


def check_stats(stats: str) -> None:
    prefill, decode = [float(part.split(":")[1].split()[0]) for part in stats.split(",")]
    assert prefill > 0 and decode > 0, stats


def test_logit_processor_example_in_page(browser, served):
    output, _ = run_example(browser, served, "?worker=0")
    assert output["worker"] is False
    assert output["first"] == [0] * STEPS and output["second"] == [0] * STEPS
    assert output["sampledBeforeReset"] == STEPS  # processSampledToken saw each token
    assert output["resets"] == 1 and output["sampledAfterReset"] == 0  # resetChat -> resetState
    assert output["sampledAtEnd"] == STEPS
    check_stats(output["stats"])


def test_logit_processor_example_in_a_worker(browser, served):
    """WebLLM's default: the processor registered on the worker's handler (worker.js)."""
    output, console = run_example(browser, served, "")
    assert output["worker"] is True
    assert output["first"] == [0] * STEPS and output["second"] == [0] * STEPS
    counts = [line for line in console if line.startswith("processSampledToken: ") or line == "resetState"]
    expected = [f"processSampledToken: {i}" for i in range(1, STEPS + 1)]
    assert counts == expected + ["resetState"] + expected, console
    check_stats(output["stats"])


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
    // A stream: the processor's sampler is called back from Python after create() returned.
    let streamed = "";
    const chunks = await engine.chat.completions.create({
        messages: [{ role: "user", content: "Hi" }], max_tokens: 2, temperature: 0, stream: true });
    for await (const chunk of chunks) streamed += chunk.choices[0]?.delta?.content ?? "";
    return { tokens, chat: reply.choices[0].message.content, seen, streamed };
}""" % (MODEL_ID, MODEL_ID)


def test_forward_tokens_is_the_native_greedy_decode_and_a_processor_steers_chat(browser, served, smollm2_folder):
    tokenizer = Tokenizer.from_file(smollm2_folder("q4f16_1") / "tokenizer.json")
    prompt_ids = tokenizer.encode(PROMPT, add_special_tokens=True)
    forced = tokenizer.encode("Hello", add_special_tokens=False)
    assert len(forced) == 1
    expected = native_greedy_text(served)
    result = evaluate_in_new_page(browser, served + "/", LOW_LEVEL, [prompt_ids, STEPS, forced[0]])
    assert tokenizer.decode(result["tokens"]) == expected
    assert len(set(result["tokens"])) > 1
    assert result["chat"] == "Hello" * 3
    assert result["seen"] == [forced[0]] * 3 + ["reset"] + [forced[0]] * 2
    assert result["streamed"] == "Hello" * 2
