// Declarations of logit_processor.js: WebLLM's LogitProcessor interface, and how an
// in-page engine samples from the logits a processor returns.

/** A page's hook on every sampled token of a model (WebLLM's LogitProcessor), registered by
 *  model id in MLCEngineConfig.logitProcessorRegistry or MLCEngine.setLogitProcessorRegistry. */
export interface LogitProcessor {
  /** The step's raw logits, (vocab,): returns the logits to sample from (may edit in place). */
  processLogits(logits: Float32Array): Float32Array;
  /** Told the token sampled from the processed logits. */
  processSampledToken(token: number): void;
  /** Called by resetChat(). */
  resetState(): void;
}

/** Python's base64 of (vocab,) little-endian f32 -> the logits. */
export declare function decodeLogits(base64: string): Float32Array;

/** One token: argmax when temperature <= 0, else temperature then top_p (nucleus) sampling. */
export declare function sampleToken(logits: Float32Array, temperature: number, topP: number,
  random?: () => number): number;

/** What Python calls each step of a request with a processor: processLogits, sample, processSampledToken. */
export declare function processorSampler(processor: LogitProcessor):
  (logitsBase64: string, temperature: number, topP: number) => number;
