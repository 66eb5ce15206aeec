// The extension's service worker, as WebLLM's chrome-extension-webgpu-service-worker
// example writes it: one handler, made on the first Port, given each later Port. The
// model stays loaded here while popups come and go.
//
// One change: an extension's content security policy forbids eval, so the client cannot
// load Pyodide and web-xgrammar by itself as it does in a web service worker (import()
// is forbidden in both). They are imported statically and handed over; build.py puts
// copies beside lib/, where a page's import() would find them too.
import { ExtensionServiceWorkerMLCEngineHandler } from "./lib/index.js";
import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";
import "./@mlc-ai/web-xgrammar/lib/index.js"; // defines globalThis.xgrammar (grammars: JSON mode, tools)

const runtimeOptions = { loadPyodide, createPyodideModule, xgrammar: globalThis.xgrammar };

let handler;
chrome.runtime.onConnect.addListener((port) => {
  console.assert(port.name === "web_llm_service_worker");
  if (handler === undefined) {
    handler = new ExtensionServiceWorkerMLCEngineHandler(port, runtimeOptions);
  } else {
    handler.setPort(port);
  }
  port.onMessage.addListener(handler.onmessage.bind(handler));
});
