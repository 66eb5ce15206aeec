// The message protocol between an engine proxy (page, popup) and its handler
// (Web Worker, service worker, extension service worker). Messages come from
// one fixed set, `{kind, uuid, content}`, with WebLLM's kind names
// (web-llm src/message.ts); every request gets exactly one "return" or "throw"
// with its uuid, except keepAlive, which gets a "heartbeat". Everything in a
// message is JSON-safe, because a chrome.runtime Port sends JSON.
//
// Requests (proxy -> handler), content in brackets:
//   reload                        {modelId, chatOpts}            -> null
//   unload                        null                           -> null
//   setAppConfig                  AppConfig                      -> null
//   setLogLevel                   string                         -> null (accepted, ignored)
//   chatCompletionNonStreaming    {request, modelId, chatOpts}   -> ChatCompletion
//   chatCompletionStreamInit      {request, modelId, chatOpts}   -> null; the stream's id is this uuid
//   completionNonStreaming        {request, modelId, chatOpts}   -> Completion
//   completionStreamInit          {request, modelId, chatOpts}   -> null; the stream's id is this uuid
//   embedding                     {request, modelId, chatOpts}   -> CreateEmbeddingResponse
//   completionStreamNextChunk     {streamId}                     -> next chunk, or null when the stream ended
//   completionStreamReturn        {streamId}                     -> null (the proxy left the stream early)
//   interruptGenerate             null                           -> null
//   resetChat                     {keepStats, modelId?}          -> null
//   forwardTokensAndSample        {inputIds, isPrefill, modelId?, loadedModelId, chatOpts} -> the sampled token
//   getMessage | runtimeStatsText {modelId?}                     -> the engine method's value
//   getLoadedModelInfo | getMaxStorageBufferBindingSize |
//   getGPUVendor                  null                           -> the engine method's value
//   keepAlive                     null                           -> heartbeat
// Replies (handler -> proxy):
//   return                {uuid of the request, content: value}
//   throw                 {uuid of the request, content: serializeError(e)}
//   initProgressCallback  {uuid of the request that is loading the model, content: InitProgressReport}
//   heartbeat             {uuid of the keepAlive, content: null}
//   error                 {uuid: "", content: serialized error}: the handler failed outside a
//                         request's answer; the proxy rejects every pending call with it
//
// modelId/chatOpts on a completion request are what the proxy believes is
// loaded (one id, or the list of a multi-model reload): a handler whose service
// worker was restarted reloads them first (WebLLM's reloadIfUnmatched). Which of
// several loaded models answers is the request's own `model` field; resetChat,
// getMessage and runtimeStatsText name theirs in `modelId` (WebLLM's
// ResetChatParams, GetMessageParams, RuntimeStatsTextParams).

/**
 * @typedef {"reload"|"unload"|"setAppConfig"|"setLogLevel"|"chatCompletionNonStreaming"|
 *   "chatCompletionStreamInit"|"completionNonStreaming"|"completionStreamInit"|"embedding"|
 *   "completionStreamNextChunk"|"completionStreamReturn"|"interruptGenerate"|"resetChat"|"forwardTokensAndSample"|
 *   "getMessage"|"runtimeStatsText"|"getLoadedModelInfo"|"getMaxStorageBufferBindingSize"|
 *   "getGPUVendor"|"keepAlive"} RequestKind
 * @typedef {"return"|"throw"|"initProgressCallback"|"heartbeat"|"error"} ResponseKind
 * @typedef {{kind: RequestKind, uuid: string, content: any}} WorkerRequest
 * @typedef {{kind: ResponseKind, uuid: string, content: any}} WorkerResponse
 */

/** Engine methods that a handler forwards as they are (getMessage and runtimeStatsText with content.modelId). */
export const QUERY_KINDS = new Set([
  "getMessage", "runtimeStatsText", "getLoadedModelInfo", "getMaxStorageBufferBindingSize", "getGPUVendor",
]);

/** Port name of WebLLM's extension engine, kept so either side can talk to the other. */
export const EXTENSION_PORT_NAME = "web_llm_service_worker";

/**
 * A fresh message id. crypto.randomUUID needs a secure context; elsewhere the
 * same 122 random bits come from getRandomValues.
 * @returns {string}
 */
export function newUuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The message of an event (a MessageEvent, or a service worker's
 * ExtendableMessageEvent, which is no MessageEvent), or the message itself
 * (a Port passes it bare).
 * @param {any} eventOrMessage
 * @returns {any}
 */
export function messageOf(eventOrMessage) {
  return typeof Event !== "undefined" && eventOrMessage instanceof Event
    ? /** @type {MessageEvent} */ (eventOrMessage).data : eventOrMessage;
}

/**
 * JSON with object keys sorted, so equal option objects give equal text.
 * @param {unknown} value
 * @returns {string}
 */
function canonicalJSON(value) {
  return JSON.stringify(value, (_key, v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/**
 * Same model ids (a string equals a one-element list) and equal chat options
 * (no options equals {}), as WebLLM's areArraysEqual + areChatOptionsListEqual.
 * @param {{modelId?: string|string[], chatOpts?: object|object[]}} a
 * @param {{modelId?: string|string[], chatOpts?: object|object[]}} b
 * @returns {boolean}
 */
export function sameLoad(a, b) {
  const ids = (/** @type {any} */ x) => canonicalJSON(x === undefined ? [] : [x].flat());
  const opts = (/** @type {any} */ x) => canonicalJSON([x ?? {}].flat().map((o) => o ?? {}));
  return ids(a.modelId) === ids(b.modelId) && opts(a.chatOpts) === opts(b.chatOpts);
}

/**
 * Same model ids, options aside.
 * @param {string|string[]|undefined} a
 * @param {string|string[]|undefined} b
 */
export function sameModelId(a, b) {
  return canonicalJSON(a === undefined ? [] : [a].flat()) === canonicalJSON(b === undefined ? [] : [b].flat());
}
