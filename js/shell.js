// The hand-written shell shared by every entry point. The wasm side does the work; this file gives
// it the public names, turns its errors into real `BatchError`s, and keeps the wasm handle (and
// with it the API key) in a private field that `console.log(client)` cannot show.
import { WasmClient, isTerminal } from "./llm_batches.js";

const KINDS = new Set(["api", "connection", "timeout", "aborted", "invalid_response", "invalid_argument"]);

export class BatchError extends Error {
  constructor(message, { kind, status = null, code = null, requestId = null } = {}) {
    super(message);
    this.name = "BatchError";
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

function toBatchError(error) {
  if (error instanceof BatchError) return error;
  if (error && error.name === "BatchError" && KINDS.has(error.kind)) return new BatchError(error.message, error);
  // Only a bug can get here (the wasm side reports everything as a BatchError); say so plainly.
  return new BatchError(`unexpected internal error: ${error && error.message ? error.message : String(error)}`, {
    kind: "invalid_response",
  });
}

function rethrow(error) {
  throw toBatchError(error);
}

export class BatchClient {
  #wasm;

  constructor(options) {
    try {
      this.#wasm = new WasmClient(options);
    } catch (error) {
      rethrow(error);
    }
  }

  /** GET /batches/{id}: one batch, normalised. */
  retrieve(id, options) {
    return this.#wasm.retrieve(id, options).catch(rethrow);
  }

  /** GET /batches: one page of batches, normalised. */
  list(params, options) {
    return this.#wasm.list(params, options).catch(rethrow);
  }
}

export { isTerminal };
