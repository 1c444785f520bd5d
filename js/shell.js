// The hand-written shell shared by every entry point. The wasm side does the work; this file gives
// it the public names and async iterators, turns its errors into real `BatchError`s, and keeps the
// wasm handle (and with it the API key) in a private field that `console.log(client)` cannot show.
import {
  WasmClient,
  isTerminal,
  validateRequests as wasmValidateRequests,
  toJsonl as wasmToJsonl,
  verifyWebhook as wasmVerifyWebhook,
  usageOf as wasmUsageOf,
} from "./llm_batches.js";
import { STATUSES, TERMINAL_STATUSES, PROVIDERS } from "./facts.js";

const KINDS = new Set(["api", "connection", "timeout", "aborted", "invalid_response", "invalid_argument", "invalid_signature"]);

export class BatchError extends Error {
  constructor(message, { kind, status = null, code = null, requestId = null, errors, batches } = {}) {
    super(message);
    this.name = "BatchError";
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    if (errors !== undefined) this.errors = errors;
    if (batches !== undefined) this.batches = batches;
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

  /** The provider this client talks to (`"openai"`, `"anthropic"`, …). */
  get provider() {
    return this.#wasm.provider;
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
  listAll(params, options) {
    let pager = null;
    return chunks(
      async () => {
        pager ??= call(() => this.#wasm.pager(params, options));
        const page = await pager.next();
        return page === null ? null : page.data;
      },
      () => pager?.free(),
    );
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

  /** Every result line of a batch's output file, then its error file (of several batches, in order), streamed. */
  results(batchOrId, options) {
    let stream = null;
    return chunks(
      () => {
        stream ??= call(() => this.#wasm.results(batchOrId, options));
        return stream.next();
      },
      () => {
        stream?.close();
        stream?.free();
      },
    );
  }

  /** Polls until the batch is terminal and resolves with it. */
  waitFor(id, options) {
    return this.#wasm.waitFor(id, options).catch(rethrow);
  }

  /**
   * Keeps batches fresh with list pages (a retrieve only for a watched batch not on them), calling
   * onUpdate once per change; resolves with the watched batches once all are terminal.
   */
  watch(options) {
    const onError = options?.onError;
    // Anything but a function goes through as it is, for the wasm side to refuse as invalid_argument.
    const wrapped = typeof onError === "function" ? { ...options, onError: (error) => onError(toBatchError(error)) } : options;
    return this.#wasm.watch(wrapped).catch(rethrow);
  }

  /** validateRequests -> an upload of the provider's JSONL -> create. Invalid requests send nothing. */
  submit(requests, options) {
    return this.#wasm.submit(requests, options).catch(rethrow);
  }

  /** A job of any size: checked once, split into batches by the provider's limits, submitted in order. */
  submitAll(requests, options) {
    return this.#wasm.submitAll(requests, options).catch(rethrow);
  }

  /** The requests of an ended batch without a successful result, as one new batch; `null` when none. */
  resubmit(batch, options) {
    return this.#wasm.resubmit(batch, options).catch(rethrow);
  }

  /** Tokens of one or more batches, added up: `{ requests, input_tokens, output_tokens, total_tokens, cached_tokens }`. */
  usage(batches, options) {
    return this.#wasm.usage(batches, options).catch(rethrow);
  }
}

// The async iterator behind listAll and results: items come from `pull()` an array at a time (null
// at the end), and `release()` runs once, at the end, on an error, or on `break`/`return()`. An
// item already at hand costs one resolved promise, where an async generator's `yield*` costs
// several microtask turns (about 5x the time over 100,000 items). Calls are served in order.
function chunks(pull, release) {
  let items = [];
  let at = 0;
  let finished = false;
  let waiting = 0;
  let queue = Promise.resolve();
  const finish = () => {
    if (!finished) {
      finished = true;
      items = [];
      release();
    }
  };
  const refill = async () => {
    while (!finished && at >= items.length) {
      let chunk;
      try {
        chunk = await pull();
      } catch (error) {
        finish();
        throw toBatchError(error);
      }
      if (chunk === null) {
        finish();
      } else {
        items = chunk;
        at = 0;
      }
    }
    return finished ? { value: undefined, done: true } : { value: items[at++], done: false };
  };
  const enqueue = (step) => {
    waiting++;
    const result = queue.then(step);
    queue = result.then(
      () => waiting--,
      () => waiting--,
    );
    return result;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (waiting === 0 && at < items.length) return Promise.resolve({ value: items[at++], done: false });
      return enqueue(refill);
    },
    return(value) {
      return enqueue(() => {
        finish();
        return { value, done: true };
      });
    },
  };
}

/** Checks a batch input before anything is sent: `{ ok, count, bytes, errors: [{ line, message }] }`. */
export function validateRequests(input, options) {
  return call(() => wasmValidateRequests(input, options));
}

/** JSONL text of request objects, one per line. */
export function toJsonl(requests) {
  return call(() => wasmToJsonl(requests));
}

/**
 * Checks a webhook delivery (Standard Webhooks, as OpenAI signs them): the raw body as received,
 * the request's headers, the secret; resolves nothing, returns the event. Throws a `BatchError` of
 * kind `invalid_signature` for anything wrong.
 */
export function verifyWebhook(body, headers, secret, options) {
  return call(() => wasmVerifyWebhook(body, headers, secret, options));
}

/** The tokens of one batch or one result, as `client.usage` adds them up; `null` when it has none. */
export function usageOf(batchOrResult) {
  return call(() => wasmUsageOf(batchOrResult));
}

export { isTerminal, STATUSES, TERMINAL_STATUSES, PROVIDERS };
