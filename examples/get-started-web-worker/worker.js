// The example's own worker: a handler that holds the engine and answers the page's messages.
import { WebWorkerMLCEngineHandler } from "/lib/index.js";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg) => handler.onmessage(msg);
