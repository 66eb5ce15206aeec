// WebLLM's seed-to-reproduce example with the import and the model id changed: with a seed,
// sampling at a high temperature gives the same answer each time it is asked. With `n > 1`,
// all choices are also exactly the same, as WebLLM defines `seed` with `n` (the Python
// engine and `serve` follow OpenAI instead: n different choices that repeat for the seed).
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback },
    { context_window_size: 1024 });

  const request = {
    stream: false, // works with streaming as well
    messages: [{ role: "user", content: "Write a creative Haiku about Pittsburgh" }],
    n: 3,
    temperature: 1.2, // high temperature gives much more random results
    max_tokens: 8, // to save time; enough to show the effect
    seed: 42,
  };

  const reply0 = await engine.chat.completions.create(request);
  console.log(reply0);
  const message0 = await engine.getMessage();
  console.log("First reply's last choice:\n" + message0);
  console.log(reply0.usage);

  const reply1 = await engine.chat.completions.create(request);
  console.log(reply1);
  const message1 = await engine.getMessage();
  console.log("Second reply's last choice:\n" + message1);

  // Rigorously check the generation results of each choice for the two requests
  for (const choice0 of reply0.choices) {
    const id = choice0.index;
    const choice1 = reply1.choices[id];
    if (choice0.message.content !== choice1.message.content) {
      throw Error("Choice " + id + " of the two generations are different despite seeding");
    }
  }
  console.log(reply1.usage);

  // Not in WebLLM's example: another seed, another answer (so the seed is what made them equal).
  const reply2 = await engine.chat.completions.create({ ...request, n: 1, seed: 43 });
  return { replies: [reply0, reply1, reply2], messages: [message0, message1] };
}

runExample(main);
