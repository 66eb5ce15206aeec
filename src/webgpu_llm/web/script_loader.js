// Loading Pyodide and web-xgrammar where import() is forbidden: a service worker
// (HTML spec; w3c/ServiceWorker#1356), whose module script has no importScripts
// either. There, with no loader handed over, the code is fetched and evaluated:
// Pyodide's classic pyodide.js defines globalThis.loadPyodide, web-xgrammar's UMD
// bundle defines globalThis.xgrammar, and pyodide.asm.mjs (the one ES module of
// the three) runs as a function body, its `import.meta.url` bound to its URL and
// its `export default` returned. Evaluation needs a CSP that allows eval, which a
// web service worker has unless its script sets one; a Chrome extension's (MV3)
// never does: there, import the modules statically and pass them (README.md).
//
// Pages and Web Workers keep using import(); nothing here runs there.

import { RuntimeLoadError } from "./errors.js";

/** Whether this thread is a service worker (web or extension), where import() always rejects. */
export function inServiceWorker() {
  return typeof ServiceWorkerGlobalScope !== "undefined" && self instanceof ServiceWorkerGlobalScope;
}

/** @param {string} url @returns {Promise<string>} */
async function fetchText(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new RuntimeLoadError(`could not fetch ${url}: ${e.message}`);
  }
  if (!response.ok) throw new RuntimeLoadError(`could not fetch ${url}: HTTP ${response.status}`);
  return response.text();
}

/** @param {string} url @param {unknown} error */
function evalRefused(url, error) {
  const message = error instanceof Error ? error.message : String(error);
  return new RuntimeLoadError(`could not evaluate ${url} in this service worker (${message}): where the `
    + "content security policy forbids eval (a Chrome extension), import Pyodide and web-xgrammar statically "
    + "and pass {loadPyodide, createPyodideModule, xgrammar} to the handler");
}

/** Runs a classic script in the global scope, as importScripts would. @param {string} url */
export async function runClassicScript(url) {
  const source = await fetchText(url);
  try {
    (0, eval)(`${source}\n//# sourceURL=${url}`); // indirect eval: global scope, like a classic script
  } catch (e) {
    throw evalRefused(url, e);
  }
}

// pyodide.asm.mjs ends with `export default _createPyodideModule;` and has no other
// static import or export; its `import.meta.url` only locates its own files.
const DEFAULT_EXPORT = /\bexport\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*$/;

/**
 * The default export of an ES module of that one shape, evaluated as a function body.
 * @param {string} url
 * @returns {Promise<any>}
 */
export async function evaluateDefaultExport(url) {
  const source = (await fetchText(url)).replace(/\s*\/\/# sourceMappingURL=\S*\s*$/, "");
  const match = source.match(DEFAULT_EXPORT);
  if (!match) throw new RuntimeLoadError(`${url} does not end with \`export default <name>;\``);
  const body = source.slice(0, match.index).replaceAll("import.meta.url", "__moduleURL")
    + `\nreturn ${match[1]};\n//# sourceURL=${url}`;
  try {
    return new Function("__moduleURL", body)(url);
  } catch (e) {
    throw evalRefused(url, e);
  }
}
