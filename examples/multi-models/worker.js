// The worker of the multi-models example: one engine handler, which loads both models.
import { WebWorkerMLCEngineHandler } from "/lib/index.js";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg) => handler.onmessage(msg);
