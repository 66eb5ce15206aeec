// Declarations of integrity.js: ModelRecord.integrity (WebLLM's ModelIntegrity).

/** One Subresource Integrity hash: "sha256-<base64>", "sha384-<base64>" or "sha512-<base64>". */
export type SRIString = string;

/** SRI hash per file name, e.g. {"tokenizer.json": "sha256-..."}. */
export type FileIntegrityMap = Record<string, SRIString>;

/**
 * SRI hashes of a model's files, checked where download.js fetches them.
 * `model_lib` is accepted and checks nothing: there is no model library.
 */
export interface ModelIntegrity {
  config?: SRIString;
  model_lib?: SRIString;
  tokenizer?: FileIntegrityMap;
  /** "error" (default) throws IntegrityError; "warn" logs and uses the file. */
  onFailure?: "error" | "warn";
}

export declare function isValidSRI(sri: string): boolean;

/** The SRI hash that `integrity` gives a model folder's file ("mlc-chat-config.json", a tokenizer file). */
export declare function integrityOfFile(integrity: ModelIntegrity | null | undefined, file: string): SRIString | undefined;

/** Checks bytes against an SRI hash; rejects with IntegrityError on a mismatch unless onFailure is "warn". */
export declare function verifyIntegrity(data: ArrayBuffer | ArrayBufferView, expectedSRI: SRIString, url: string,
  onFailure?: "error" | "warn"): Promise<void>;
