// WebLLM's multi-round-chat example with the import and the model id changed. The caller keeps
// the history; the engine compares it with the conversation it holds and, where the new
// messages extend it, keeps its KV cache and prefills only the new turn.
//
// WebLLM checks this with usage.prompt_tokens, which there counts only what was prefilled.
// Here prompt_tokens is OpenAI's (the whole prompt, every turn) and what was prefilled is
// usage.extra.prefill_tokens (README: "where WebLLM and OpenAI differ"), so the check reads that.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback },
    { context_window_size: 1024 });

  // Round 0
  const messages = [
    { role: "system", content: "You are a helpful, respectful and honest assistant. " +
      "Be as happy as you can when speaking please. " },
    { role: "user", content: "Provide me three US states." },
  ];
  const request0 = { stream: false, messages, max_tokens: 8 }; // can be streaming, same behavior
  const reply0 = await engine.chat.completions.create(request0);
  const replyMessage0 = await engine.getMessage();
  console.log(reply0);
  console.log(replyMessage0);

  // Round 1: the generated answer and a new user turn appended
  messages.push({ role: "assistant", content: replyMessage0 });
  messages.push({ role: "user", content: "Two more please!" });
  const reply1 = await engine.chat.completions.create({ stream: false, messages, max_tokens: 8 });
  const replyMessage1 = await engine.getMessage();
  console.log(reply1);
  console.log(replyMessage1);

  // Round 1 should prefill only its new turn.
  const prefillTokens0 = reply0.usage?.extra?.prefill_tokens;
  const prefillTokens1 = reply1.usage?.extra?.prefill_tokens;
  console.log("Request 0 prefilled tokens: ", prefillTokens0, "of", reply0.usage?.prompt_tokens);
  console.log("Request 1 prefilled tokens: ", prefillTokens1, "of", reply1.usage?.prompt_tokens);
  if (prefillTokens0 === undefined || prefillTokens1 === undefined || prefillTokens1 > prefillTokens0) {
    throw Error("Multi-round chat is not triggered as expected.");
  }

  // Round 2: a history that no longer matches (another system prompt): in WebLLM a reset; here
  // the cache is kept up to the first token that differs, so nearly the whole prompt is prefilled.
  const changed = [{ ...messages[0], content: "Another system prompt" }, ...messages.slice(1)];
  const reply2 = await engine.chat.completions.create({ stream: false, messages: changed, max_tokens: 4 });
  console.log(reply2.usage);

  const stats = await engine.runtimeStatsText();
  console.log(stats);
  return { replies: [reply0, reply1, reply2], messages: [replyMessage0, replyMessage1], stats };
}

runExample(main);
