// The real web-xgrammar under node, for the grammar tests (tests/grammar/xgrammar_node.py).
// One request per stdin line, one JSON reply per stdout line:
//   {op: "check", ebnf, strings}            -> {accepted: [bool]}  (xgrammar's own string matcher)
//   {op: "tokenizer", info}                 -> {}                  GrammarBridge.setTokenizer
//   {op: "compile", ebnf}                   -> {id}
//   {op: "matcher", compiled}               -> {id, mask}          mask: base64 of the bitmask bytes
//   {op: "accept", matcher, token}          -> {ok, mask, terminated}
//   {op: "rollback", matcher, count}        -> {mask, terminated}
//   {op: "write", matcher, buffer, offset}  -> {writes}            what GrammarBridge handed to writeBuffer
// Errors answer {error: message}. Node has no WebGPU: the "GPU" here records writeBuffer calls;
// the browser test (tests/web/test_grammar_gpu.py) writes into a real GPU buffer.
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
    case "tokenizer": await bridge.setTokenizer(request.info); return {};
    case "compile": return { id: await bridge.compile(request.ebnf) };
    case "matcher": {
      const id = await bridge.createMatcher(request.compiled);
      return { id, mask: b64(bridge.maskBytes(id)), terminated: bridge.isTerminated(id) };
    }
    case "accept": {
      const ok = bridge.accept(request.matcher, request.token);
      return { ok, mask: b64(bridge.maskBytes(request.matcher)), terminated: bridge.isTerminated(request.matcher) };
    }
    case "rollback":
      bridge.rollback(request.matcher, request.count);
      return { mask: b64(bridge.maskBytes(request.matcher)), terminated: bridge.isTerminated(request.matcher) };
    case "write":
      writes.length = 0;
      bridge.writeMask(request.matcher, request.buffer, request.offset);
      return { writes: [...writes] };
    case "dispose": bridge.dispose(request.id); return {};
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
