// The packaged default AppConfig: MLC's published SmolLM2-135M-Instruct
// artifacts on Hugging Face. `webgpu-llm serve` answers /lib/prebuilt_app_config.js
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
  return {
    model: MLC_AI + modelId,
    model_id: modelId,
    model_lib: "", // no model library: kernels are generated at load (DESIGN.md decision 2)
    vram_required_MB: vramRequiredMB,
    low_resource_required: true,
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
  ],
  cacheBackend: "cache",
};
