// Python in this thread: Pyodide plus the engine's pure-Python wheel.
//
// Pyodide comes from a copy of the npm package `pyodide` (by default at ../pyodide/
// next to this library, where `webgpu-llm serve` puts it) or from any URL the app
// configures. Service workers forbid import(): there Pyodide's files are fetched
// and evaluated (script_loader.js), unless the app passes `loadPyodide` and
// `createPyodideModule`, imported statically (sw.js, and a Chrome extension, whose
// CSP forbids eval).

import { RuntimeLoadError } from "./errors.js";
import { evaluateDefaultExport, inServiceWorker, runClassicScript } from "./script_loader.js";
import { VERSION } from "./version.js";

/**
 * @typedef {object} RuntimeOptions
 * @property {string} [pyodideURL] folder holding pyodide.mjs, pyodide.asm.wasm, python_stdlib.zip
 * @property {string} [wheelURL] the engine wheel (default: next to this module)
 * @property {Function} [loadPyodide] pyodide.mjs's loadPyodide, when imported statically
 * @property {Function} [createPyodideModule] pyodide.asm.mjs's default export (service workers)
 * @property {string} [xgrammarURL] web-xgrammar's lib/index.js (default:
 *   ../@mlc-ai/web-xgrammar/lib/index.js, where `webgpu-llm serve` and npm put it)
 * @property {any} [xgrammar] web-xgrammar itself, imported statically (service workers forbid import())
 */

/** @param {RuntimeOptions} options @returns {Promise<any>} the Pyodide instance */
export async function startRuntime(options = {}) {
  let indexURL = new URL(options.pyodideURL ?? "../pyodide/", import.meta.url).href;
  if (!indexURL.endsWith("/")) indexURL += "/";
  let loadPyodide = options.loadPyodide;
  const settings = { indexURL };
  if (options.createPyodideModule) settings.createPyodideModule = options.createPyodideModule;
  if (inServiceWorker()) {
    if (!loadPyodide) {
      if (!globalThis.loadPyodide) await runClassicScript(indexURL + "pyodide.js"); // defines globalThis.loadPyodide
      loadPyodide = globalThis.loadPyodide;
    }
    settings.createPyodideModule ??= await evaluateDefaultExport(indexURL + "pyodide.asm.mjs");
  } else if (!loadPyodide) {
    try {
      ({ loadPyodide } = await import(indexURL + "pyodide.mjs"));
    } catch (e) {
      throw new RuntimeLoadError(`could not import Pyodide from ${indexURL}pyodide.mjs (${e.message}); `
        + "serve a copy of the npm package `pyodide` there or set pyodideURL");
    }
  }
  const pyodide = await loadPyodide(settings);
  const wheelURL = options.wheelURL ?? new URL(`./webgpu_llm-${VERSION}-py3-none-any.whl`, import.meta.url).href;
  let response;
  try {
    response = await fetch(wheelURL);
  } catch (e) {
    throw new RuntimeLoadError(`could not fetch the engine wheel ${wheelURL}: ${e.message}`);
  }
  if (!response.ok) {
    throw new RuntimeLoadError(`could not fetch the engine wheel ${wheelURL}: HTTP ${response.status}`);
  }
  pyodide.unpackArchive(await response.arrayBuffer(), "wheel");
  return pyodide;
}
