// The hand-written shell shared by every entry point. The wasm side does the work; this file gives
// it the public names and async iterators, turns its errors into real `BatchError`s, and keeps the
// wasm handle (and with it the API key) in a private field that `console.log(client)` cannot show.
import {
  WasmClient,
  isTerminal,
  validateRequests as wasmValidateRequests,
  toJsonl as wasmToJsonl,
} from "./llm_batches.js";

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

// The wasm side marks its errors with name "BatchError" and a kind. Anything else was thrown by the
// caller's own code (an onProgress callback, a custom fetch) and is passed on untouched.
function toBatchError(error) {
  if (error && error.name === "BatchError" && KINDS.has(error.kind) && !(error instanceof BatchError)) {
    return new BatchError(error.message, error);
  }
  return error;
}

function rethrow(error) {
  throw toBatchError(error);
}

function call(fn) {
  try {
    return fn();
  } catch (error) {
    rethrow(error);
  }
}

export class BatchClient {
  #wasm;

  constructor(options) {
    this.#wasm = call(() => new WasmClient(options));
  }

  /** GET /batches/{id}: one batch, normalised. */
  retrieve(id, options) {
    return this.#wasm.retrieve(id, options).catch(rethrow);
  }

  /** GET /batches: one page of batches, normalised. */
  list(params, options) {
    return this.#wasm.list(params, options).catch(rethrow);
  }

  /** Every batch, page after page (`after` = the previous page's last id). */
  async *listAll(params, options) {
    const pager = call(() => this.#wasm.pager(params, options));
    try {
      for (;;) {
        const page = await pager.next().catch(rethrow);
        if (page === null) return;
        yield* page.data;
      }
    } finally {
      pager.free();
    }
  }

  /** POST /batches. */
  create(params, options) {
    return this.#wasm.create(params, options).catch(rethrow);
  }

  /** POST /batches/{id}/cancel. */
  cancel(id, options) {
    return this.#wasm.cancel(id, options).catch(rethrow);
  }

  /** Multipart POST /files; `content` is a string, Uint8Array, ArrayBuffer or Blob. */
  uploadFile(content, options) {
    return this.#wasm.uploadFile(content, options).catch(rethrow);
  }

  /** GET /files/{id}/content: the raw Response, for your own streaming. */
  fileContent(fileId, options) {
    return this.#wasm.fileContent(fileId, options).catch(rethrow);
  }

  /** Every result line of a batch's output file, then its error file, streamed. */
  async *results(batchOrId, options) {
    const stream = call(() => this.#wasm.results(batchOrId, options));
    try {
      for (;;) {
        const chunk = await stream.next().catch(rethrow);
        if (chunk === null) return;
        yield* chunk;
      }
    } finally {
      stream.close();
      stream.free();
    }
  }

  /** Polls until the batch is terminal and resolves with it. */
  waitFor(id, options) {
    return this.#wasm.waitFor(id, options).catch(rethrow);
  }

  /**
   * Keeps batches fresh with list pages (a retrieve only for a watched batch not on them), calling
   * onUpdate once per change; resolves with the watched batches once all are terminal.
   */
  watch(options = {}) {
    const { onError } = options;
    // Anything but a function goes through as it is, for the wasm side to refuse as invalid_argument.
    const wrapped = typeof onError === "function" ? { ...options, onError: (error) => onError(toBatchError(error)) } : options;
    return this.#wasm.watch(wrapped).catch(rethrow);
  }

  /** validateRequests -> uploadFile -> create. Invalid requests send nothing. */
  async submit(requests, { endpoint, completion_window, metadata, filename, signal, ...extra } = {}) {
    const report = validateRequests(requests, { endpoint });
    if (!report.ok) {
      const first = report.errors[0];
      const where = first.line === null ? "" : `line ${first.line}: `;
      const more = report.errors.length > 1 ? ` (and ${report.errors.length - 1} more problems)` : "";
      const error = new BatchError(`the requests are invalid: ${where}${first.message}${more}`, {
        kind: "invalid_argument",
      });
      error.errors = report.errors;
      throw error;
    }
    const text = typeof requests === "string" ? requests : toJsonl(requests);
    const file = await this.uploadFile(text, { filename: filename ?? "input.jsonl", purpose: "batch", signal });
    const resolved = endpoint ?? firstUrl(text);
    return this.create({ ...extra, input_file_id: file.id, endpoint: resolved, completion_window, metadata }, { signal });
  }
}

function firstUrl(text) {
  const line = text.slice(0, text.indexOf("\n") >>> 0);
  return JSON.parse(line).url;
}

/** Checks a batch input before anything is sent: `{ ok, count, bytes, errors: [{ line, message }] }`. */
export function validateRequests(input, options) {
  return call(() => wasmValidateRequests(input, options));
}

/** JSONL text of request objects, one per line. */
export function toJsonl(requests) {
  return call(() => wasmToJsonl(requests));
}

export { isTerminal };
