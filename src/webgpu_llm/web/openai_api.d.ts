// OpenAI's request and response shapes as the engine takes and returns them
// (https://platform.openai.com/docs/api-reference/chat, .../completions), with
// WebLLM's extensions (repetition_penalty, ignore_eos, usage.extra) and ours
// (parse_special_tokens, response_format {type: "grammar"}). Types only: there
// is no openai_api.js; the request is validated by src/webgpu_llm/protocol/.

// ---------------------------------------------------------------- requests

export interface ChatCompletionContentPartText {
  type: "text";
  text: string;
}

/** Only text parts: image, audio and file parts are refused with InvalidRequestError. */
export type ChatCompletionContentPart = ChatCompletionContentPartText;

export interface ChatCompletionSystemMessageParam {
  role: "system";
  content: string | ChatCompletionContentPartText[];
  name?: string;
}

/** OpenAI's newer name of the system role. */
export interface ChatCompletionDeveloperMessageParam {
  role: "developer";
  content: string | ChatCompletionContentPartText[];
  name?: string;
}

export interface ChatCompletionUserMessageParam {
  role: "user";
  content: string | ChatCompletionContentPart[];
  name?: string;
}

export interface ChatCompletionMessageToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatCompletionAssistantMessageParam {
  role: "assistant";
  content?: string | ChatCompletionContentPartText[] | null;
  name?: string;
  tool_calls?: ChatCompletionMessageToolCall[];
}

export interface ChatCompletionToolMessageParam {
  role: "tool";
  content: string | ChatCompletionContentPartText[];
  /** Must name a call of an earlier assistant message. */
  tool_call_id: string;
}

export type ChatCompletionMessageParam =
  | ChatCompletionSystemMessageParam
  | ChatCompletionDeveloperMessageParam
  | ChatCompletionUserMessageParam
  | ChatCompletionAssistantMessageParam
  | ChatCompletionToolMessageParam;

/** A JSON Schema object. */
export type FunctionParameters = Record<string, unknown>;

export interface FunctionDefinition {
  name: string;
  description?: string;
  parameters?: FunctionParameters;
  strict?: boolean | null;
}

export interface ChatCompletionTool {
  type: "function";
  function: FunctionDefinition;
}

export interface ChatCompletionNamedToolChoice {
  type: "function";
  function: { name: string };
}

export type ChatCompletionToolChoiceOption = "none" | "auto" | "required" | ChatCompletionNamedToolChoice;

export interface ResponseFormatJSONSchema {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
  strict?: boolean | null;
}

/** OpenAI's forms, WebLLM's json_object with a schema (a JSON string or object), and EBNF grammars. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object"; schema?: string | Record<string, unknown> | null }
  | { type: "json_schema"; json_schema: ResponseFormatJSONSchema }
  | { type: "grammar"; grammar: string };

/** Fields that chat and text completions share. Left out, sampling uses mlc-chat-config.json's defaults. */
export interface GenerationParams {
  model?: string | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  /** Token id (as a string) -> bias in [-100, 100]. */
  logit_bias?: Record<string, number> | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  /** WebLLM's extension. */
  repetition_penalty?: number | null;
  top_logprobs?: number | null;
  /** WebLLM's extension. */
  ignore_eos?: boolean | null;
  user?: string | null;
  response_format?: ResponseFormat | null;
  /** Ours: special-token strings in the text become special tokens only when true. */
  parse_special_tokens?: boolean | null;
}

export interface ChatCompletionRequestBase extends GenerationParams {
  messages: ChatCompletionMessageParam[];
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  tools?: ChatCompletionTool[] | null;
  tool_choice?: ChatCompletionToolChoiceOption | null;
  parallel_tool_calls?: boolean | null;
}

export interface ChatCompletionRequestStreaming extends ChatCompletionRequestBase {
  stream: true;
}

export interface ChatCompletionRequestNonStreaming extends ChatCompletionRequestBase {
  stream?: false | null;
}

export type ChatCompletionRequest = ChatCompletionRequestStreaming | ChatCompletionRequestNonStreaming;

export interface CompletionCreateParamsBase extends GenerationParams {
  prompt: string;
  /** A boolean, or the legacy number of alternatives (0..5). */
  logprobs?: boolean | number | null;
}

export interface CompletionCreateParamsStreaming extends CompletionCreateParamsBase {
  stream: true;
}

export interface CompletionCreateParamsNonStreaming extends CompletionCreateParamsBase {
  stream?: false | null;
}

export type CompletionCreateParams = CompletionCreateParamsStreaming | CompletionCreateParamsNonStreaming;

// --------------------------------------------------------------- responses

/** "abort": interruptGenerate() stopped it (WebLLM's). */
export type ChatCompletionFinishReason = "stop" | "length" | "tool_calls" | "abort";

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}

export interface ChatCompletionTokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

/** WebLLM's timing block of usage. */
export interface CompletionUsageExtra {
  prefill_tokens: number;
  decode_tokens: number;
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  time_to_first_token_s: number;
  time_per_output_token_s: number;
  e2e_latency_s: number;
  /** With a grammar: its compile time, then CPU time per masked token. */
  grammar_init_s?: number;
  grammar_per_token_s?: number;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  extra?: CompletionUsageExtra;
}

export interface ChatCompletionMessage {
  role: "assistant";
  /** null when the reply is only tool calls. */
  content: string | null;
  tool_calls?: ChatCompletionMessageToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: ChatCompletion.Choice[];
  usage: CompletionUsage | null;
}

export declare namespace ChatCompletion {
  interface Choice {
    index: number;
    message: ChatCompletionMessage;
    logprobs: { content: ChatCompletionTokenLogprob[] | null } | null;
    finish_reason: ChatCompletionFinishReason | null;
  }
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint?: string;
  /** Empty in the last chunk, which carries usage when stream_options.include_usage. */
  choices: ChatCompletionChunk.Choice[];
  usage?: CompletionUsage | null;
}

export declare namespace ChatCompletionChunk {
  interface Choice {
    index: number;
    delta: Choice.Delta;
    logprobs: { content: ChatCompletionTokenLogprob[] | null } | null;
    finish_reason: ChatCompletionFinishReason | null;
  }
  namespace Choice {
    interface Delta {
      role?: "assistant";
      content?: string | null;
      tool_calls?: Delta.ToolCall[];
    }
    namespace Delta {
      interface ToolCall {
        index: number;
        id?: string;
        type?: "function";
        function?: { name?: string; arguments?: string };
      }
    }
  }
}

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: {
    tokens: string[];
    token_logprobs: number[];
    top_logprobs: Record<string, number>[] | null;
    text_offset: number[];
  } | null;
  finish_reason: ChatCompletionFinishReason | null;
}

/** A text completion; its stream's chunks have the same shape. */
export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: CompletionChoice[];
  usage?: CompletionUsage | null;
}

/** OpenAI's embeddings request (an embedding model must be loaded). */
export interface EmbeddingCreateParams {
  /** A string, strings, token ids, or lists of token ids; at most 2048 items. */
  input: string | string[] | number[] | number[][];
  model?: string | null;
  /** "float" (default): arrays of numbers; "base64": little-endian float32 bytes, base64. */
  encoding_format?: "float" | "base64";
  /** Only the model's own size is accepted. */
  dimensions?: number;
  user?: string;
}

export interface Embedding {
  object: "embedding";
  index: number;
  embedding: number[] | string;
}

export interface CreateEmbeddingResponse {
  object: "list";
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
