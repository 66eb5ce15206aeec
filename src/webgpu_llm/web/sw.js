// The default module service worker of the engine. Register it with
//   navigator.serviceWorker.register("/lib/sw.js", {type: "module", scope: "/"})
// (a scope above /lib/ needs the server's Service-Worker-Allowed header) and
// talk to it through CreateServiceWorkerMLCEngine.
//
// Service workers forbid import(), so Pyodide cannot fetch its own module
// here: it is imported statically and handed over (PLATFORM.md). So is the
// grammar engine web-xgrammar, whose UMD bundle defines globalThis.xgrammar.
// (An app's own service worker may create the handler with no options: the
// client then fetches and evaluates these files, script_loader.js. Imported
// statically they need no eval, and the browser installs them with the worker.)

import { loadPyodide } from "../pyodide/pyodide.mjs";
import createPyodideModule from "../pyodide/pyodide.asm.mjs";
import "../@mlc-ai/web-xgrammar/lib/index.js";
import { ServiceWorkerMLCEngineHandler } from "./service_worker.js";

new ServiceWorkerMLCEngineHandler({ loadPyodide, createPyodideModule, xgrammar: globalThis.xgrammar });

// Take over open pages at once, so the page that registered us can use the engine.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
