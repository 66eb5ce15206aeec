// The default module Web Worker of the engine:
//   new Worker(new URL("./worker.js", import.meta.url), {type: "module"})
// (Pyodide refuses classic workers, PLATFORM.md). The page talks to it through
// CreateWebWorkerMLCEngine / WebWorkerMLCEngine.

import { WebWorkerMLCEngineHandler } from "./web_worker.js";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (event) => handler.onmessage(event);
handler.reportUncaught(self);
