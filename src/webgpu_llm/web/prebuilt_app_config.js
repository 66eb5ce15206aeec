// The packaged default AppConfig: MLC's published artifacts on Hugging Face of
// the families we run (SmolLM2 and Llama, Qwen2.5, Qwen3, Phi-3.5, Gemma 2, Mistral),
// under WebLLM's model ids. `webgpu-llm serve` answers /lib/prebuilt_app_config.js
// with a generated module of the same shape that lists its local models instead.

/** @typedef {import("./config.js").AppConfig} AppConfig */

/** Hugging Face folder of MLC's converted models (WebLLM's model URLs). */
const MLC_AI = "https://huggingface.co/mlc-ai/";

/**
 * @param {string} modelId
 * @param {number} vramRequiredMB
 * @returns {import("./config.js").ModelRecord}
 */
function smolLM2Record(modelId, vramRequiredMB) {
  return mlcRecord(modelId, vramRequiredMB, true);
}

/**
 * @param {string} modelId
 * @param {number} vramRequiredMB
 * @param {boolean} lowResource
 * @returns {import("./config.js").ModelRecord}
 */
function mlcRecord(modelId, vramRequiredMB, lowResource) {
  return {
    model: MLC_AI + modelId,
    model_id: modelId,
    model_lib: "", // no model library: kernels are generated at load (DESIGN.md decision 2)
    vram_required_MB: vramRequiredMB,
    low_resource_required: lowResource,
    // We compute in f32 (DESIGN.md decision 6): f16 weights are read with
    // unpack2x16float, so no model here needs "shader-f16".
    required_features: [],
    overrides: { context_window_size: 4096 },
  };
}

/** @type {AppConfig} */
export const prebuiltAppConfig = {
  model_list: [
    // q0f32: WebLLM's figure. q4: estimated as int4 weights with their scales
    // plus an f32 KV cache of 4096 tokens (30 layers x 2 x 3 heads x 64 x 4 B per token).
    smolLM2Record("SmolLM2-135M-Instruct-q0f32-MLC", 719.38),
    smolLM2Record("SmolLM2-135M-Instruct-q4f32_1-MLC", 315),
    smolLM2Record("SmolLM2-135M-Instruct-q4f16_1-MLC", 310),
    // WebLLM's ids and VRAM figures for its own engine (written from memory of WebLLM's
    // prebuiltAppConfig; ours keeps the KV cache in f32, so it needs somewhat more).
    mlcRecord("Llama-3.2-1B-Instruct-q4f16_1-MLC", 879.04, true),
    mlcRecord("Llama-3.1-8B-Instruct-q4f16_1-MLC", 5001.0, false),
    mlcRecord("Qwen2.5-0.5B-Instruct-q4f16_1-MLC", 944.62, true),
    mlcRecord("Qwen2.5-1.5B-Instruct-q4f16_1-MLC", 1629.75, true),
    mlcRecord("Qwen3-0.6B-q4f16_1-MLC", 1403.34, true),
    mlcRecord("Phi-3.5-mini-instruct-q4f16_1-MLC", 3672.07, false),
    mlcRecord("gemma-2-2b-it-q4f16_1-MLC", 1895.3, false),
    mlcRecord("Mistral-7B-Instruct-v0.3-q4f16_1-MLC", 4573.39, false),
  ],
  cacheBackend: "cache",
};
