// WebLLM's logit-processor example with the import and the model id changed: a LogitProcessor
// registered for the model, and the low-level forwardTokensAndSample() driving the sequence by
// hand. The processor sets logits[0] = 100, so every sampled token is 0. WebLLM's version runs
// it in a Web Worker by default (USE_WEB_WORKER); processors live where the engine is, so in a
// worker one registers it there with handler.setLogitProcessorRegistry (README). This page runs
// the in-page engine, WebLLM's USE_WEB_WORKER = false.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

const AUTOREGRESS_LIMIT = 6; // tokens per sequence (WebLLM: 32; SwiftShader is slow)

class MyLogitProcessor {
  constructor() {
    this.tokenSequence = [];
    this.resets = 0; // ours: how often resetState ran, for the page's output
  }

  processLogits(logits) {
    logits[0] = 100.0; // should be enough so that we always sample token 0 below
    return logits;
  }

  processSampledToken(token) {
    this.tokenSequence.push(token);
    console.log("processSampledToken: " + this.tokenSequence.length);
  }

  resetState() {
    this.tokenSequence = [];
    this.resets += 1;
    console.log("resetState");
  }
}

/** Prefill the prompt, then feed each sampled token back, up to AUTOREGRESS_LIMIT tokens. */
async function autoregress(engine, prompt) {
  const tokens = [await engine.forwardTokensAndSample(prompt, /*isPrefill=*/ true)];
  let counter = prompt.length;
  while (counter < AUTOREGRESS_LIMIT) {
    counter += 1;
    tokens.push(await engine.forwardTokensAndSample([tokens.at(-1)], /*isPrefill=*/ false));
  }
  console.log(tokens);
  return tokens;
}

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const myLogitProcessor = new MyLogitProcessor();
  const logitProcessorRegistry = new Map();
  logitProcessorRegistry.set(selectedModel, myLogitProcessor);
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback, logitProcessorRegistry },
    { context_window_size: 1024 }); // the KV cache: ChatOptions, as in WebLLM

  const prompt = [42];
  const first = await autoregress(engine, prompt);
  const sampledBeforeReset = myLogitProcessor.tokenSequence.length;
  // By calling engine.resetChat(), we trigger MyLogitProcessor.resetState()
  await engine.resetChat();
  const sampledAfterReset = myLogitProcessor.tokenSequence.length;
  const second = await autoregress(engine, prompt);

  // runtimeStatsText() counts the forwardTokensAndSample calls since the reset
  const stats = await engine.runtimeStatsText();
  setLabel("stats-label", stats);
  return {
    first, second, sampledBeforeReset, sampledAfterReset,
    sampledAtEnd: myLogitProcessor.tokenSequence.length, resets: myLogitProcessor.resets, stats,
  };
}

runExample(main);
