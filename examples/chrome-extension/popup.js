// WebLLM's chrome-extension-webgpu-service-worker popup, reduced to its engine calls:
// connect to the engine in the extension's service worker, enable "Ask" once the model
// is loaded, stream each answer into the popup, keeping the chat history. (WebLLM's
// popup also reads the open tab's text through a content script; that part is left out.)
// After each answer the page shows it as JSON (shared.js), for whoever watches.
import { CreateExtensionServiceWorkerMLCEngine } from "./lib/index.js";
import { SERVER_URL } from "./config.js";
import { runExample, setLabel } from "./shared.js";

const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
// The model files come from `webgpu-llm serve` (config.js, written by build.py).
const appConfig = {
  model_list: [{ model: `${SERVER_URL}/models/${selectedModel}`, model_id: selectedModel, model_lib: "" }],
};

const progress = [];
const initProgressCallback = (report) => {
  progress.push(report.text);
  setLabel("init-label", report.text);
};
const enginePromise = CreateExtensionServiceWorkerMLCEngine(selectedModel, { appConfig, initProgressCallback });
enginePromise.then(() => { document.getElementById("submit-button").disabled = false; },
  (error) => setLabel("init-label", `${error.name}: ${error.message}`));

const chatHistory = [];

async function ask(question) {
  const engine = await enginePromise;
  chatHistory.push({ role: "user", content: question });
  let message = "";
  let chunks = 0;
  let usage = null;
  const stream = await engine.chat.completions.create({
    messages: chatHistory, stream: true, stream_options: { include_usage: true }, temperature: 0, max_tokens: 16,
  });
  for await (const chunk of stream) {
    chunks += 1;
    message += chunk.choices[0]?.delta?.content || "";
    setLabel("answer", message);
    if (chunk.usage) usage = chunk.usage;
  }
  chatHistory.push({ role: "assistant", content: message });
  return { question, message, chunks, usage, progress };
}

document.getElementById("submit-button").addEventListener("click", () => {
  const input = document.getElementById("query-input");
  const question = input.value;
  input.value = "";
  delete document.body.dataset.state; // set again when this answer is done
  runExample(() => ask(question));
});
