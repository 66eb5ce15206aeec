// The browser grammar engine: xgrammar (npm @mlc-ai/web-xgrammar 0.1.27, the
// engine WebLLM uses) on the JS side of the bridge, behind grammar/browser.py.
// Python sends the tokenizer's vocabulary once, then EBNF text (JSON Schemas are
// turned into EBNF by grammar/json_ebnf.py: xgrammar's own schema compiler has
// bugs), and gets integer ids for compiled grammars and matchers. Each
// next-token bitmask goes from wasm straight into a GPU buffer of the bridge
// (DESIGN.md, decision 8): it never passes through Python.
//
// The bitmask is ceil(V / 32) little-endian u32 words, bit i % 32 of word i // 32
// set when token i is allowed (grammar/matcher.py). xgrammar's mask is ANDed
// with the ids the tokenizer has (xgrammar sets the bits past the vocabulary in
// its last word); the stop tokens are allowed exactly when the grammar may end;
// after a stop token, or after a token the grammar refused, only stop tokens are.

import { RuntimeLoadError } from "./errors.js";
import { inServiceWorker, runClassicScript } from "./script_loader.js";

/** Where web-xgrammar's bundle is beside this library, both as `webgpu-llm serve` serves it
 * and as npm installs the two packages. */
export const DEFAULT_XGRAMMAR_URL = new URL("../@mlc-ai/web-xgrammar/lib/index.js", import.meta.url).href;

/**
 * web-xgrammar's API object. Its bundle is UMD: imported as a module it defines
 * `globalThis.xgrammar` and exports nothing. Service workers forbid import(): there
 * the bundle is fetched and run as a classic script (script_loader.js), unless the
 * app imported it statically and passes `globalThis.xgrammar` as `xgrammar`.
 * @param {{xgrammar?: any, xgrammarURL?: string}} [options]
 */
export async function loadXGrammar(options = {}) {
  if (options.xgrammar) return options.xgrammar;
  if (!globalThis.xgrammar) {
    const url = options.xgrammarURL ?? DEFAULT_XGRAMMAR_URL;
    try {
      if (inServiceWorker()) await runClassicScript(url);
      else await import(url);
    } catch (e) {
      throw new RuntimeLoadError(`could not import web-xgrammar from ${url} (${e.message}); serve the lib/ folder `
        + "of the npm package @mlc-ai/web-xgrammar@0.1.27 there, or pass xgrammar / xgrammarURL");
    }
  }
  if (!globalThis.xgrammar?.GrammarCompiler) {
    throw new RuntimeLoadError("web-xgrammar did not define globalThis.xgrammar (@mlc-ai/web-xgrammar@0.1.27 does)");
  }
  return globalThis.xgrammar;
}

/** The text of an error thrown inside xgrammar's wasm (a C++ exception may arrive as a bare number). */
function errorText(error) {
  if (error instanceof Error) return error.message;
  return typeof error === "number" ? `xgrammar aborted (C++ exception ${error})` : String(error);
}

/** One generation's matcher with what its next mask is. */
class MatcherState {
  constructor(matcher, words) {
    this.matcher = matcher;
    this.mask = new Uint32Array(words);
    this.stopped = false; // a stop token was accepted
    this.spent = false; // a token the grammar does not allow was offered
    this.onlyStop = false; // the grammar is complete and no other token may follow
    this.history = 0; // tokens xgrammar accepted (stop tokens included), for rollback
  }
}

export class GrammarBridge {
  /** @param {{writeBuffer: (id: number, offset: number, data: Uint8Array) => void}} gpu @param {any} xgrammar */
  constructor(gpu, xgrammar) {
    this.gpu = gpu;
    this.xg = xgrammar;
    /** @type {Array<any>} compiled grammars and matchers share one id space */
    this.objects = [null];
    this.freeIds = [];
    this.tokenizerInfo = null;
    this.compiler = null;
  }

  /** @param {any} gpu a GpuBridge @param {{xgrammar?: any, xgrammarURL?: string}} [options] */
  static async create(gpu, options = {}) {
    return new GrammarBridge(gpu, await loadXGrammar(options));
  }

  /**
   * The model's vocabulary, once per model.
   * @param {string} infoJson {vocab: string[] (byte-level encoded, "" for special ids), vocabSize: V,
   *   stopTokenIds: number[]}; vocab.length is the tokenizer's size (ids past it are padding rows)
   */
  async setTokenizer(infoJson) {
    const { vocab, vocabSize, stopTokenIds } = JSON.parse(infoJson);
    this.disposeTokenizer();
    this.vocabSize = vocabSize;
    this.words = Math.ceil(vocabSize / 32);
    this.stopTokenIds = stopTokenIds;
    this.tokenizerInfo = await this.xg.TokenizerInfo.createTokenizerInfo(vocab, "byte_level", false, vocabSize,
      stopTokenIds);
    this.compiler = await this.xg.GrammarCompiler.createGrammarCompiler(this.tokenizerInfo, false);
    // ids the tokenizer has; every padding row above it stays masked
    this.known = new Uint32Array(this.words);
    for (let word = 0; word < this.words; word++) {
      const first = word * 32;
      const count = Math.max(0, Math.min(32, vocab.length - first));
      this.known[word] = count === 32 ? 0xffffffff : (2 ** count - 1) >>> 0;
    }
    this.stopOnly = new Uint32Array(this.words);
    for (const id of stopTokenIds) this.stopOnly[id >>> 5] |= (1 << (id & 31)) >>> 0;
  }

  _add(object) {
    const id = this.freeIds.length ? this.freeIds.pop() : this.objects.length;
    this.objects[id] = object;
    return id;
  }

  _get(id, kind) {
    const object = this.objects[id];
    if (!object || !(object instanceof kind)) throw new Error(`no ${kind.name} with id ${id}`);
    return object;
  }

  /** Compile EBNF text (root rule `root`); the id of the compiled grammar. */
  async compile(ebnf) {
    if (!this.compiler) throw new Error("setTokenizer must come before compile");
    let compiled;
    try {
      compiled = await this.compiler.compileGrammar(ebnf, "root");
    } catch (e) {
      throw new Error(errorText(e)); // grammar/browser.py says which engine refused what
    }
    return this._add(compiled);
  }

  /** A matcher at the start of compiled grammar `compiledId`; its first mask is ready. */
  async createMatcher(compiledId) {
    const compiled = this._get(compiledId, this.xg.CompiledGrammar);
    const matcher = await this.xg.GrammarMatcher.createGrammarMatcher(compiled, this.stopTokenIds);
    const state = new MatcherState(matcher, this.words);
    this._refresh(state);
    return this._add(state);
  }

  /** Advance past `token`; false when the grammar does not allow it (the matcher then allows only a stop). */
  accept(matcherId, token) {
    const state = this._get(matcherId, MatcherState);
    if (state.stopped || state.spent) return false;
    const isStop = this.stopTokenIds.includes(token);
    if (!isStop && !((this.known[token >>> 5] >>> (token & 31)) & 1)) {
      state.spent = true;
    } else if (state.matcher.acceptToken(token)) {
      state.history += 1;
      state.stopped = isStop;
    } else {
      state.spent = true;
    }
    this._refresh(state);
    return !state.spent;
  }

  /** Write the matcher's next-token bitmask into GPU buffer `bufferId` at byte `offset`. */
  writeMask(matcherId, bufferId, offset) {
    const state = this._get(matcherId, MatcherState);
    this.gpu.writeBuffer(bufferId, offset, new Uint8Array(state.mask.buffer));
  }

  /** The next-token bitmask as bytes (tests compare it with what the GPU buffer holds). */
  maskBytes(matcherId) {
    return new Uint8Array(this._get(matcherId, MatcherState).mask.buffer.slice(0));
  }

  /** True after a stop token, or when the grammar is complete and only a stop token may follow. */
  isTerminated(matcherId) {
    const state = this._get(matcherId, MatcherState);
    return state.stopped || (!state.spent && state.onlyStop);
  }

  /** Undo the last `count` accepted tokens (a refused offer is forgotten too). */
  rollback(matcherId, count) {
    const state = this._get(matcherId, MatcherState);
    if (!(count >= 0 && count <= state.history)) {
      throw new Error(`cannot roll back ${count} tokens: ${state.history} were accepted`);
    }
    if (count) state.matcher.rollBack(count);
    state.history -= count;
    state.spent = false;
    state.stopped = state.stopped && count === 0;
    this._refresh(state);
  }

  /** Free a compiled grammar or a matcher. */
  dispose(id) {
    const object = this.objects[id];
    if (!object) return;
    (object instanceof MatcherState ? object.matcher : object).dispose();
    this.objects[id] = null;
    this.freeIds.push(id);
  }

  disposeTokenizer() {
    for (let id = 1; id < this.objects.length; id++) this.dispose(id);
    this.compiler?.dispose();
    this.tokenizerInfo?.dispose();
    this.compiler = this.tokenizerInfo = null;
  }

  /** Compute the state's next mask, synchronously (accept and isTerminated are synchronous in Python). */
  _refresh(state) {
    if (state.stopped || state.spent) {
      state.mask.set(this.stopOnly);
      state.onlyStop = true;
      return;
    }
    // web-xgrammar's getNextTokenBitmask is async only to await its wasm start, done by
    // now; the binding's own call is synchronous and returns a std::vector<int32_t>.
    const vector = state.matcher.handle.GetNextTokenBitmask(this.vocabSize);
    let onlyStop = true;
    let anyStop = false;
    for (let word = 0; word < this.words; word++) {
      const bits = (vector.get(word) & this.known[word]) >>> 0;
      state.mask[word] = bits;
      if ((bits & ~this.stopOnly[word]) !== 0) onlyStop = false;
      if (bits & this.stopOnly[word]) anyStop = true;
    }
    vector.delete();
    state.onlyStop = onlyStop && anyStop;
  }
}
