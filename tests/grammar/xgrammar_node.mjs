// The real web-xgrammar under node, for the grammar tests (tests/grammar/xgrammar_node.py).
// One request per stdin line, one JSON reply per stdout line:
//   {op: "check", ebnf, strings}   -> {accepted: [bool]}   xgrammar's own string matcher, no tokenizer
//   {op: "call", method, args}     -> {result}             a method of web/grammar.js's GrammarBridge
//   {op: "mask", matcher}          -> {mask}               base64 of the matcher's next-token bitmask
//   {op: "writes"}                 -> {writes}             what the bridge handed to writeBuffer since last asked
// Errors answer {error: message}. Node has no WebGPU: the "GPU" here records writeBuffer calls;
// tests/web/test_grammar_gpu.py writes into a real GPU buffer in Chromium.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const [bundlePath, grammarModulePath] = process.argv.slice(2);
// The bundle is UMD; as a module under node it wants CommonJS's require and __filename.
globalThis.require = createRequire(import.meta.url);
globalThis.__filename = bundlePath;
const { GrammarBridge, loadXGrammar } = await import(pathToFileURL(grammarModulePath).href);
const xgrammar = await loadXGrammar({ xgrammarURL: pathToFileURL(bundlePath).href });

const writes = [];
const recordingGpu = { writeBuffer: (id, offset, data) => writes.push({ id, offset, data: b64(data) }) };
const bridge = new GrammarBridge(recordingGpu, xgrammar);
const METHODS = new Set(["setTokenizer", "compile", "createMatcher", "accept", "writeMask", "isTerminated",
  "rollback", "dispose"]);

function b64(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

async function check(ebnf, strings) {
  const grammar = await xgrammar.Grammar.fromEBNF(ebnf);
  try {
    const accepted = [];
    for (const s of strings) accepted.push(await xgrammar.Testings.isGrammarAcceptString(grammar, s));
    return { accepted };
  } finally {
    grammar.dispose();
  }
}

async function handle(request) {
  switch (request.op) {
    case "check": return check(request.ebnf, request.strings);
    case "call": {
      if (!METHODS.has(request.method)) throw new Error(`GrammarBridge has no method ${request.method}`);
      const result = await bridge[request.method](...request.args);
      return { result: result === undefined ? null : result };
    }
    case "mask": return { mask: b64(bridge.maskBytes(request.matcher)) };
    case "writes": return { writes: writes.splice(0) };
    default: throw new Error(`unknown op ${request.op}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    reply = await handle(JSON.parse(line));
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : `xgrammar aborted (${String(e)})` };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
