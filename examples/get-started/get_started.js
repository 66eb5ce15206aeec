// WebLLM's get-started example with the import and the model id changed: an in-page engine
// (CreateMLCEngine with a smaller KV cache), one request with several choices, logit_bias and
// logprobs, then the reply's text (getMessage) and the engine's speed (runtimeStatsText).
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

// SmolLM2's token ids of "Hello" and "Hi" (WebLLM's example bans Llama-3.1's "California"):
// a reply to "Hello!" that would open with either cannot.
const BANNED_TOKENS = { "19556": -100, "26843": -100 };

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateMLCEngine(
    selectedModel,
    { initProgressCallback, logLevel: "INFO" },
    { context_window_size: 1024 }, // the KV cache: ChatOptions, as in WebLLM
  );

  const messages = [
    { role: "system", content: "You are a helpful AI assistant." },
    { role: "user", content: "Hello!" },
  ];
  const reply0 = await engine.chat.completions.create({
    messages,
    // all optional; WebLLM's example asks for 256 tokens, a few show the same on a CPU adapter
    n: 3,
    temperature: 1.5,
    seed: 7, // not in WebLLM's example: one answer for the browser test to check
    max_tokens: 12,
    logit_bias: BANNED_TOKENS,
    logprobs: true,
    top_logprobs: 2,
  });
  console.log(reply0);
  console.log(reply0.usage);
  const message = await engine.getMessage(); // the last choice, as in WebLLM
  const stats = await engine.runtimeStatsText();
  console.log(stats);
  return { reply: reply0, message, stats, bannedTokens: Object.keys(BANNED_TOKENS) };
}

runExample(main);
