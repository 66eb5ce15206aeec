// What an in-page engine does with a page's LogitProcessor (WebLLM's interface:
// processLogits, processSampledToken, resetState): the step's logits come from
// Python as one base64 string of (vocab,) little-endian f32, the processor edits
// them, and JS samples from the result as WebLLM's sampleTokenFromLogits does
// after its processor: argmax at temperature 0, else temperature then top_p.

/**
 * WebLLM's LogitProcessor, registered per model id (MLCEngineConfig.logitProcessorRegistry).
 * @typedef {object} LogitProcessor
 * @property {(logits: Float32Array) => Float32Array} processLogits the step's raw logits -> those to sample from
 * @property {(token: number) => void} processSampledToken told the token sampled
 * @property {() => void} resetState on resetChat()
 */

/**
 * Python's base64 of (vocab,) f32 LE -> the logits.
 * @param {string} base64
 * @returns {Float32Array}
 */
export function decodeLogits(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);  // WebGPU hosts are little-endian, as the bytes are
}

/**
 * One token from processed logits.
 * @param {Float32Array} logits
 * @param {number} temperature 0 or less: greedy
 * @param {number} topP keep the most likely tokens whose probabilities sum to topP
 * @param {() => number} [random] uniform in [0, 1)
 * @returns {number}
 */
export function sampleToken(logits, temperature, topP, random = Math.random) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (!(temperature > 0)) return best;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    weights[i] = Math.exp((logits[i] - logits[best]) / temperature);  // max at 1: no overflow
    total += weights[i];
  }
  const order = Array.from(weights.keys()).sort((a, b) => weights[b] - weights[a]);
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass < topP * total)) mass += weights[order[kept++]];
  let draw = random() * mass;
  for (let i = 0; i < kept; i++) {
    draw -= weights[order[i]];
    if (draw < 0) return order[i];
  }
  return order[kept - 1];
}

/**
 * The function Python calls for each step of a request with a processor
 * (BrowserHost's logit_sampler): processLogits, sample, processSampledToken.
 * @param {LogitProcessor} processor
 * @returns {(logitsBase64: string, temperature: number, topP: number) => number}
 */
export function processorSampler(processor) {
  return (logitsBase64, temperature, topP) => {
    const logits = processor.processLogits(decodeLogits(logitsBase64));
    const token = sampleToken(logits, temperature, topP);
    processor.processSampledToken(token);
    return token;
  };
}
