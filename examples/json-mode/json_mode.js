// WebLLM's json-mode example with the import and the model id changed: any JSON object,
// two choices, through the in-page engine's chatCompletion.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback });

  const request = {
    stream: false, // works with streaming, logprobs, top_logprobs as well
    // WebLLM asks "Write a short JSON file introducing yourself."; SmolLM2-135M loops inside
    // a string on that one, so this prompt names the fields.
    messages: [{ role: "user", content: "A dog named Rex is 3 years old. Give his name and age as JSON." }],
    n: 2,
    max_tokens: 128,
    response_format: { type: "json_object" },
  };

  const reply0 = await engine.chatCompletion(request);
  console.log(reply0);
  console.log("First reply's last choice:\n" + (await engine.getMessage()));
  console.log(await engine.runtimeStatsText());
  return reply0;
}

runExample(main);
