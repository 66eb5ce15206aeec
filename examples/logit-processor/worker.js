// WebLLM's worker.ts of this example: the processor lives in the worker, beside the engine,
// registered on the handler (a page's proxy cannot send a processor's functions).
import * as webllm from "/lib/index.js";
import { MyLogitProcessor } from "./my_logit_processor.js";

console.log("Use web worker for logit processor");

const myLogitProcessor = new MyLogitProcessor();
const logitProcessorRegistry = new Map();
logitProcessorRegistry.set("SmolLM2-135M-Instruct-q4f16_1-MLC", myLogitProcessor);

const handler = new webllm.WebWorkerMLCEngineHandler();
handler.setLogitProcessorRegistry(logitProcessorRegistry);
self.onmessage = (msg) => handler.onmessage(msg);
handler.reportUncaught(self);
