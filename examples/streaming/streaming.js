// WebLLM's streaming example with the import and the model id changed: the reply arrives as
// chunks (delta.content, with logprobs), the last chunk carries the usage, and the engine's
// getMessage() is the chunks' contents put together.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback },
    { context_window_size: 1024 });

  const request = {
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: "system", content: "You are a pirate chatbot who always responds in pirate speak!" },
      { role: "user", content: "Who are you?" },
    ],
    logprobs: true,
    top_logprobs: 2,
    seed: 7, // not in WebLLM's example: one answer for the browser test to check
    max_tokens: 16, // WebLLM's example lets it run to the end; a few tokens show the same
  };

  const asyncChunkGenerator = await engine.chat.completions.create(request);
  const chunks = [];
  let message = "";
  for await (const chunk of asyncChunkGenerator) {
    console.log(chunk);
    chunks.push(chunk);
    message += chunk.choices[0]?.delta?.content || "";
    setLabel("generate-label", message);
    if (chunk.usage) {
      console.log(chunk.usage); // only the last chunk has usage
    }
  }
  const finalMessage = await engine.getMessage();
  console.log("Final message:\n", finalMessage); // the concatenated message
  return { message, finalMessage, chunks };
}

runExample(main);
