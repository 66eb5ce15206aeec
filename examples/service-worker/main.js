// WebLLM's service-worker example with the import and the model id changed: the page
// registers ./sw.js (the app's own service worker, holding the engine) and streams a
// chat completion from it. A reload finds the model still loaded in the worker.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

async function registerServiceWorker() {
  const registration = await navigator.serviceWorker.register(new URL("sw.js", import.meta.url), { type: "module" });
  if (registration.installing) console.log("Service worker installing");
  else if (registration.waiting) console.log("Service worker installed");
  else if (registration.active) console.log("Service worker active");
}

async function main() {
  await registerServiceWorker();
  const progress = [];
  const initProgressCallback = (report) => {
    progress.push(report.text);
    setLabel("init-label", report.text);
  };
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const engine = await webllm.CreateServiceWorkerMLCEngine(selectedModel, { initProgressCallback });

  const request = {
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: "system", content: "You are a helpful, respectful and honest assistant. " +
        "Be as happy as you can when speaking please. " },
      { role: "user", content: "Provide me three US states." },
      { role: "assistant", content: "California, New York, Pennsylvania." },
      { role: "user", content: "Two more please!" },
    ],
    // WebLLM samples at temperature 1.5 with 256 tokens; greedy and short here, so a
    // reloaded page can be checked against the first answer.
    temperature: 0,
    max_tokens: 16,
  };

  let message = "";
  let chunks = 0;
  let usage = null;
  for await (const chunk of await engine.chat.completions.create(request)) {
    chunks += 1;
    message += chunk.choices[0]?.delta?.content || "";
    setLabel("generate-label", message);
    if (chunk.usage) usage = chunk.usage; // only the last chunk has usage
  }
  console.log("Final message:\n", await engine.getMessage()); // the concatenated message
  return { message, finalMessage: await engine.getMessage(), chunks, usage, progress,
           controlled: navigator.serviceWorker.controller !== null };
}

runExample(main);
