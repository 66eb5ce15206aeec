// WebLLM's get-started-web-worker example with the import and the model id changed: the engine
// runs in worker.js (a WebWorkerMLCEngineHandler) and the page talks to it through
// CreateWebWorkerMLCEngine; one answer whole (mainNonStreaming), one streamed (mainStreaming).
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

const messages = [
  { role: "system", content: "You are a helpful, respectful and honest assistant. " +
    "Be as happy as you can when speaking please. " },
  { role: "user", content: "Provide me three US states." },
  { role: "assistant", content: "California, New York, Pennsylvania." },
  { role: "user", content: "Two more please!" },
];

/** Chat completion (OpenAI style) without streaming: the entire response at once. */
async function mainNonStreaming(engine) {
  // WebLLM's asks max_gen_len 256 (an older name); max_tokens, and a few of them here
  const reply0 = await engine.chat.completions.create({ messages, n: 2, temperature: 1.5, max_tokens: 8 });
  console.log(reply0);
  console.log(await engine.runtimeStatsText());
  return reply0;
}

/** Chat completion (OpenAI style) with streaming: deltas while generating. */
async function mainStreaming(engine) {
  const asyncChunkGenerator = await engine.chat.completions.create({
    stream: true, messages, temperature: 1.5, max_tokens: 8 });
  const chunks = [];
  let message = "";
  for await (const chunk of asyncChunkGenerator) {
    console.log(chunk);
    chunks.push(chunk);
    if (chunk.choices[0]?.delta.content) {
      message += chunk.choices[0].delta.content; // the last chunk has no content
    }
    setLabel("generate-label", message);
  }
  const finalMessage = await engine.getMessage(); // the concatenated message
  console.log("Final message:\n", finalMessage);
  const stats = await engine.runtimeStatsText();
  console.log(stats);
  return { chunks, message, finalMessage, stats };
}

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateWebWorkerMLCEngine(
    new Worker(new URL("./worker.js", import.meta.url), { type: "module" }),
    selectedModel,
    { initProgressCallback },
    { context_window_size: 1024 },
  );
  // WebLLM's picks one of the two; both run here, on the one engine
  return { nonStreaming: await mainNonStreaming(engine), streaming: await mainStreaming(engine) };
}

runExample(main);
