// WebLLM's multi-models example with the import and the model ids changed: two models in one
// Web Worker engine; each request names its model, one at a time (sequentialGeneration) and
// both at once (parallelGeneration). The second model is a tiny random-weight Llama with
// SmolLM2's tokenizer (tests/tiny_model_support.py writes it), so its answer is noise, but its own.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

const initProgressCallback = (report) => setLabel("init-label", report.text);

const selectedModel1 = "SmolLM2-135M-Instruct-q4f16_1-MLC";
const selectedModel2 = "tiny-random-llama-q4f16_1-MLC";
const prompt1 = "Tell me about California in 3 short sentences.";
const prompt2 = "Tell me about New York City in 3 short sentences.";
const chatOpts = { context_window_size: 1024 };

// Greedy and 8 tokens (WebLLM's: its defaults and 128), so both ways give the same answers.
const request1 = {
  stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: prompt1 }],
  model: selectedModel1, // without it, the request is refused as ambiguous
  max_tokens: 8, temperature: 0,
};
const request2 = { ...request1, messages: [{ role: "user", content: prompt2 }], model: selectedModel2 };

/** Streams one request into its label; the text, the last chunk's usage, the chunks' models. */
async function streamInto(engine, request, labelId) {
  let message = "";
  let usage = null;
  const models = new Set(); // which model each chunk says it came from
  for await (const chunk of await engine.chat.completions.create(request)) {
    models.add(chunk.model);
    message += chunk.choices[0]?.delta?.content || "";
    setLabel(labelId, message);
    if (chunk.usage) usage = chunk.usage; // only the last chunk has usage
  }
  return { message, usage, models: [...models] };
}

async function sequentialGeneration(engine) {
  const answer1 = await streamInto(engine, request1, "generate-label-1");
  const answer2 = await streamInto(engine, request2, "generate-label-2");
  // without naming the model, getMessage is refused as ambiguous
  return { answers: [answer1, answer2],
           finalMessages: [await engine.getMessage(selectedModel1), await engine.getMessage(selectedModel2)] };
}

async function parallelGeneration(engine) {
  const answers = await Promise.all([streamInto(engine, request1, "generate-label-1"),
                                     streamInto(engine, request2, "generate-label-2")]);
  return { answers,
           finalMessages: [await engine.getMessage(selectedModel1), await engine.getMessage(selectedModel2)] };
}

async function main() {
  setLabel("prompt-label-1", `(with model ${selectedModel1})\n` + prompt1);
  setLabel("prompt-label-2", `(with model ${selectedModel2})\n` + prompt2);
  const engine = await webllm.CreateWebWorkerMLCEngine(
    new Worker(new URL("./worker.js", import.meta.url), { type: "module" }),
    [selectedModel1, selectedModel2],
    { initProgressCallback },
    [chatOpts, chatOpts],
  );
  const sequential = await sequentialGeneration(engine);
  const parallel = await parallelGeneration(engine);

  let ambiguous = null; // WebLLM: "without specifying it, error will throw due to ambiguity"
  try {
    await engine.chat.completions.create({ ...request1, model: undefined, stream: false });
  } catch (error) {
    ambiguous = { name: error.name, param: error.param, message: error.message };
  }
  return { models: [selectedModel1, selectedModel2], sequential, parallel, ambiguous };
}

runExample(main);
