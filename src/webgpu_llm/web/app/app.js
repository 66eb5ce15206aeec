// The chat app served at "/" by `webgpu-llm serve`. The engine runs in a Web
// Worker through the WebLLM-shaped client at /lib; this file only drives the page.
import { prebuiltAppConfig, CreateWebWorkerMLCEngine } from "/lib/index.js";
import { renderMarkdown } from "/markdown.js";

const MODEL_CHOICE_KEY = "webgpu-llm/app/model";

const ui = {
  modelSelect: byId("model-select"),
  loadButton: byId("load-button"),
  progress: byId("progress"),
  progressText: byId("progress-text"),
  status: byId("status"),
  messages: byId("messages"),
  form: byId("prompt-form"),
  prompt: byId("prompt"),
  sendButton: byId("send-button"),
  stopButton: byId("stop-button"),
  newChatButton: byId("new-chat-button"),
  stats: byId("stats"),
};

const state = {
  /** @type {GPUAdapter | null} the page's adapter, only to check support; the engine has its own */
  adapter: null,
  gpuChecked: false,
  /** @type {string | null} why this browser cannot run any model, once checked */
  noWebGPU: null,
  /** @type {any} one WebWorkerMLCEngine for the page's life; reload() switches models */
  engine: null,
  loadedModelId: null,
  loading: false,
  generating: false,
  /** @type {{role: "user" | "assistant", content: string}[]} sent whole each turn */
  history: [],
  /** @type {string | null} the last engine error, shown until the next action */
  error: null,
};

function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** The records the chat can use: embedding models (WebLLM's model_type 1) are left out. */
function chatModels() {
  return prebuiltAppConfig.model_list.filter((record) => (record.model_type ?? 0) !== 1);
}

function modelRecord(modelId) {
  return prebuiltAppConfig.model_list.find((record) => record.model_id === modelId);
}

/** Why the selected model cannot run on this adapter, or null. */
function featureProblem() {
  const record = modelRecord(ui.modelSelect.value);
  if (!state.adapter || !record) return null;
  const missing = (record.required_features ?? []).filter((feature) => !state.adapter.features.has(feature));
  if (missing.length === 0) return null;
  return `${record.model_id} needs the WebGPU feature(s) ${missing.join(", ")}, which this adapter lacks. `
    + "Choose another model (a q4f32 or q0f32 build computes in f32).";
}

function problem() {
  if (state.noWebGPU) return state.noWebGPU;
  if (chatModels().length === 0) {
    return "The app config lists no models. Add one to the local model cache (webgpu-llm convert) and restart the server.";
  }
  return featureProblem();
}

/** Enables exactly the controls that make sense now; the status shows the blocking problem or the last error. */
function updateControls() {
  const blocked = !state.gpuChecked || problem() !== null;
  const busy = state.loading || state.generating;
  ui.modelSelect.disabled = state.noWebGPU !== null || busy;
  ui.loadButton.disabled = blocked || busy;
  ui.prompt.disabled = blocked || state.loading || state.loadedModelId === null;
  ui.prompt.placeholder = state.loadedModelId === null
    ? "Load a model first."
    : `Message ${state.loadedModelId} (Enter sends, Shift+Enter is a new line)`;
  ui.sendButton.disabled = ui.prompt.disabled || state.generating;
  ui.stopButton.disabled = !state.generating;
  ui.newChatButton.disabled = state.loadedModelId === null || busy;
  const message = (state.gpuChecked && problem()) || state.error;
  ui.status.textContent = message ?? "";
  ui.status.hidden = !message;
}

/** "Name: message", as the error classes of /lib/errors.js carry them across the worker boundary. */
function describeError(error) {
  return error?.name ? `${error.name}: ${error.message}` : String(error);
}

function showError(error) {
  state.error = describeError(error);
  console.error(error);
  updateControls();
}

/** Null when WebGPU is usable, else a message saying what is missing. */
async function checkWebGPU() {
  if (!navigator.gpu) {
    return "This browser has no WebGPU (navigator.gpu is missing), so no model can run here. "
      + "Use a browser with WebGPU enabled (recent Chrome or Edge; on Linux, Chromium with --enable-unsafe-webgpu).";
  }
  state.adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!state.adapter) {
    return "WebGPU is present but no adapter is available (navigator.gpu.requestAdapter() returned null): "
      + "the GPU may be disabled or blocklisted in this browser.";
  }
  return null;
}

function fillModelSelect() {
  const ids = chatModels().map((record) => record.model_id);
  ui.modelSelect.replaceChildren(...ids.map((id) => new Option(id, id)));
  const remembered = localStorage.getItem(MODEL_CHOICE_KEY);
  if (remembered && ids.includes(remembered)) ui.modelSelect.value = remembered;
}

function showProgress({ progress, text }) {
  ui.progress.value = progress;
  ui.progressText.textContent = `${Math.round(progress * 100)}% ${text}`;
}

/** Rejects when the worker script itself fails (404, syntax error): the engine would never answer. */
function workerFailure(worker) {
  return new Promise((_, reject) => {
    worker.addEventListener("error", (event) => {
      const detail = event.message || "the script could not be loaded or threw while starting";
      reject(Object.assign(new Error(`worker /lib/worker.js failed: ${detail}`), { name: "WorkerError" }));
    }, { once: true });
  });
}

async function loadModel() {
  const modelId = ui.modelSelect.value;
  state.loading = true;
  state.error = null;
  ui.progress.value = 0;
  ui.progressText.textContent = `Loading ${modelId}...`;
  updateControls();
  try {
    if (state.engine) {
      await state.engine.reload(modelId);
    } else {
      const worker = new Worker("/lib/worker.js", { type: "module" });
      const created = CreateWebWorkerMLCEngine(worker, modelId,
        { initProgressCallback: showProgress, appConfig: prebuiltAppConfig });
      state.engine = await Promise.race([created, workerFailure(worker)]).catch((error) => {
        worker.terminate();
        throw error;
      });
    }
    state.loadedModelId = modelId;
    clearConversation();
  } catch (error) {
    state.loadedModelId = null;
    showError(error);
  } finally {
    state.loading = false;
    updateControls();
  }
}

function appendMessage(role, text = "") {
  const element = document.createElement("div");
  element.className = `message ${role}`;
  element.textContent = text;
  ui.messages.append(element);
  element.scrollIntoView({ block: "end" });
  return element;
}

/** One turn: the whole history goes to the engine, the reply streams into a new assistant message. */
async function sendPrompt() {
  const content = ui.prompt.value.trim();
  if (!content || ui.sendButton.disabled) return;
  ui.prompt.value = "";
  state.error = null;
  state.generating = true;
  state.history.push({ role: "user", content });
  appendMessage("user", content);
  const reply = appendMessage("assistant");
  reply.dataset.done = "false";
  ui.stats.textContent = "";
  updateControls();
  let text = "";
  let failed = false;
  try {
    const stream = await state.engine.chat.completions.create({
      messages: state.history.slice(), stream: true, stream_options: { include_usage: true },
    });
    let usage = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        text += delta;
        reply.innerHTML = renderMarkdown(text);
        reply.scrollIntoView({ block: "end" });
      }
      if (chunk.usage) usage = chunk.usage;
    }
    ui.stats.textContent = await statsText(usage).catch((error) => `no stats: ${describeError(error)}`);
  } catch (error) {
    failed = true;
    reply.classList.add("error");
    reply.textContent = `${text}\n[${describeError(error)}]`.trim();
    showError(error);
  } finally {
    // A failed turn leaves the history; a stopped one keeps what was said.
    if (failed || !text) state.history.pop();
    else state.history.push({ role: "assistant", content: text });
    reply.dataset.done = "true";
    state.generating = false;
    updateControls();
    ui.prompt.focus();
  }
}

/** Prefill and decode speed of the last reply: the usage chunk's `extra` (WebLLM's fields), else the engine's text. */
async function statsText(usage) {
  const extra = usage?.extra;
  let speed;
  if (extra && Number.isFinite(extra.prefill_tokens_per_s) && Number.isFinite(extra.decode_tokens_per_s)) {
    speed = `prefill ${extra.prefill_tokens_per_s.toFixed(1)} tokens/s, decode ${extra.decode_tokens_per_s.toFixed(1)} tokens/s`;
  } else {
    speed = await state.engine.runtimeStatsText();
  }
  if (!usage) return speed;
  return `${speed} (${usage.prompt_tokens} prompt, ${usage.completion_tokens} completion tokens)`;
}

function stopGenerating() {
  Promise.resolve()
    .then(() => state.engine.interruptGenerate())
    .catch(showError);
}

function clearConversation() {
  state.history = [];
  ui.messages.replaceChildren();
  ui.stats.textContent = "";
}

async function newChat() {
  state.error = null;
  try {
    await state.engine.resetChat();
    clearConversation();
  } catch (error) {
    showError(error);
  }
  updateControls();
}

function bindEvents() {
  ui.modelSelect.addEventListener("change", () => {
    localStorage.setItem(MODEL_CHOICE_KEY, ui.modelSelect.value);
    updateControls();
  });
  ui.loadButton.addEventListener("click", loadModel);
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendPrompt();
  });
  ui.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.stopButton.addEventListener("click", stopGenerating);
  ui.newChatButton.addEventListener("click", newChat);
  // An engine error nobody awaited still belongs on the page, not only in the console.
  window.addEventListener("unhandledrejection", (event) => showError(event.reason));
}

async function start() {
  fillModelSelect();
  bindEvents();
  updateControls();
  state.noWebGPU = await checkWebGPU();
  state.gpuChecked = true;
  updateControls();
  document.body.dataset.ready = "true";  // tests wait for this
}

start();
