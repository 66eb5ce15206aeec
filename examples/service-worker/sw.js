// The app's own service worker, as WebLLM's service-worker example writes it: the
// plain handler, created when the worker activates. It finds Pyodide, the engine
// wheel and web-xgrammar beside /lib/ by itself (a service worker cannot import()
// them: the client fetches and evaluates them, see lib/script_loader.js).
import { ServiceWorkerMLCEngineHandler } from "/lib/index.js";

let handler;

self.addEventListener("activate", () => {
  handler = new ServiceWorkerMLCEngineHandler();
  console.log("webgpu-llm service worker activated");
});
