// A scripted stand-in for the JS client (/lib/index.js), with the two names the
// app imports. It lets the app's own behaviour be tested without the engine:
// every call the app makes is recorded in globalThis.fakeEngineCalls.

export const prebuiltAppConfig = {
  model_list: [
    { model: "/models/fake-a", model_id: "fake-a", model_lib: "", required_features: [] },
    { model: "/models/fake-f16", model_id: "fake-f16", model_lib: "", required_features: ["shader-f16"] },
    { model: "/models/fake-missing", model_id: "fake-missing", model_lib: "", required_features: [] },
    { model: "/models/fake-embed", model_id: "fake-embed", model_lib: "", required_features: [], model_type: 1 },
  ],
  cacheBackend: "cache",
};

// Streamed a few characters at a time, so that markdown is rendered from partial text.
export const REPLY = "Paris is the **capital** of France.\n\n- `one`\n- two";
const calls = (globalThis.fakeEngineCalls = []);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function namedError(name, message) {
  return Object.assign(new Error(message), { name });
}

class FakeEngine {
  constructor(initProgressCallback) {
    this.initProgressCallback = initProgressCallback;
    this.interrupted = false;
    this.chat = { completions: { create: (request) => this.create(request) } };
  }

  async reload(modelId) {
    calls.push({ method: "reload", modelId });
    for (const progress of [0.25, 0.5, 1]) {
      this.initProgressCallback?.({ progress, timeElapsed: progress, text: `fetching ${modelId}` });
      await sleep(30);
    }
    if (modelId === "fake-missing") {
      throw namedError("ModelDownloadError", "GET /models/fake-missing/resolve/main/mlc-chat-config.json: 404");
    }
  }

  async create(request) {
    calls.push({ method: "create", request: structuredClone(request) });
    const prompt = request.messages.at(-1).content;
    if (prompt === "fail") throw namedError("ContextWindowExceededError", "prompt of 9000 tokens > 2048");
    this.interrupted = false;
    // "slow" streams forever in small steps until interruptGenerate().
    const pieces = prompt === "slow" ? Array(10000).fill("la ") : REPLY.match(/[\s\S]{1,4}/g);
    return this.stream(pieces, request);
  }

  async *stream(pieces, request) {
    let sent = 0;
    for (const piece of pieces) {
      if (this.interrupted) break;
      await sleep(5);
      sent += 1;
      yield { object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] };
    }
    yield { object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: this.interrupted ? "abort" : "stop" }] };
    if (request.stream_options?.include_usage) {
      yield {
        object: "chat.completion.chunk", choices: [],
        usage: { prompt_tokens: 12, completion_tokens: sent, total_tokens: 12 + sent,
                 extra: { prefill_tokens_per_s: 123.456, decode_tokens_per_s: 7.89 } },
      };
    }
  }

  interruptGenerate() {
    calls.push({ method: "interruptGenerate" });
    this.interrupted = true;
  }

  async resetChat() {
    calls.push({ method: "resetChat" });
  }

  async runtimeStatsText() {
    return "prefill: 1.0000 tokens/sec, decoding: 1.0000 tokens/sec";
  }
}

export async function CreateWebWorkerMLCEngine(worker, modelId, engineConfig = {}) {
  calls.push({ method: "CreateWebWorkerMLCEngine", modelId, isWorker: worker instanceof Worker,
               sameAppConfig: engineConfig.appConfig === prebuiltAppConfig });
  const engine = new FakeEngine(engineConfig.initProgressCallback);
  await engine.reload(modelId);
  return engine;
}
