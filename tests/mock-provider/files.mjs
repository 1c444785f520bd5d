// The files each dialect's provider holds: uploads, the output and error files of finished batches,
// and generated files. Every file is a *payload* — its length and a way to produce its bytes in
// pieces — so that delivery (delivery.mjs) can stream any of them the same way, and a generated
// file of any size is produced on the fly instead of being held in memory. What a file *looks
// like* on the wire is the dialect's business: the store keeps plain facts (`meta`) and renders them
// with the dialect's `renderFile` each time, so a file can also change with the clock (Azure's
// `pending` -> `processed`).

const GENERATED_MODEL = 'gpt-4o-mini';
const DEFAULT_LINE_BYTES = 550;
// Only ASCII that JSON.stringify leaves alone, so a line's byte count is known before it is built.
const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';

/** A payload over bytes already in memory. */
export function bufferPayload(buffer) {
  return {
    length: buffer.length,
    *chunks(size) {
      for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
    },
  };
}

function unixSeconds(ms) {
  return Math.floor(ms / 1000);
}

/** OpenAI's file object; the default rendering of a file's `meta`. */
export function openaiFile({ id, bytes, createdMs, filename, purpose, expiresAfter }) {
  const created_at = unixSeconds(createdMs);
  const file = { id, object: 'file', bytes, created_at, filename, purpose, status: 'processed' };
  if (expiresAfter !== undefined) file.expires_at = created_at + expiresAfter;
  return file;
}

function filler(bytes) {
  if (bytes <= 0) return '';
  return FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);
}

/**
 * The three kinds of generated line, each a function of the line number and the padding that
 * brings it to its exact size. Padding sits in a string (content, message) or, for a malformed
 * line, after the point where the JSON breaks.
 */
const GENERATED_LINES = {
  ok: (n, pad) =>
    JSON.stringify({
      id: `batch_req_gen_${n}`,
      custom_id: `req-${n}`,
      response: {
        status_code: 200,
        request_id: `req_gen_${n}`,
        body: {
          id: `chatcmpl-gen-${n}`,
          object: 'chat.completion',
          model: GENERATED_MODEL,
          // Multi-byte characters, so that chunk edges fall inside UTF-8 sequences too.
          choices: [{ index: 0, message: { role: 'assistant', content: `Answer ${n}: héllo wörld 👋 ${filler(pad)}` } }],
        },
      },
      error: null,
    }),
  error: (n, pad) =>
    JSON.stringify({
      id: `batch_req_gen_${n}`,
      custom_id: `req-${n}`,
      response: {
        status_code: 400,
        request_id: `req_gen_${n}`,
        body: { error: { message: `Generated failure of req-${n}. ${filler(pad)}`, type: 'invalid_request_error', param: null, code: null } },
      },
      error: null,
    }),
  malformed: (n, pad) => `{"custom_id":"req-${n}","response":{"status_code":200,"body":${filler(pad)}`,
};

/** Byte length of a line's text with no padding (the newline not counted). */
function skeletonBytes(kind, n) {
  return Buffer.byteLength(GENERATED_LINES[kind](n, 0));
}

function positiveIntegerOrNull(name, value) {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

/**
 * A generated output file: `lines` JSONL lines, each exactly `lineBytes` bytes with its newline,
 * line n (1-based) answering `req-<n>`; every `errorEvery`-th line an error result, every
 * `malformedEvery`-th line broken JSON (malformed wins). Nothing is stored: `chunks` builds the
 * lines again on every download.
 */
function generatedPayload({ lines, lineBytes = DEFAULT_LINE_BYTES, errorEvery, malformedEvery }) {
  if (!Number.isInteger(lines) || lines < 0) throw new TypeError('lines must be a non-negative integer');
  const everyError = positiveIntegerOrNull('errorEvery', errorEvery);
  const everyMalformed = positiveIntegerOrNull('malformedEvery', malformedEvery);
  const kindOf = (n) => {
    if (everyMalformed && n % everyMalformed === 0) return 'malformed';
    if (everyError && n % everyError === 0) return 'error';
    return 'ok';
  };
  // Skeletons only grow with the digits of n, so the last line bounds them all.
  const widest = Math.max(...['ok', 'error', 'malformed'].map((kind) => skeletonBytes(kind, Math.max(lines, 1))));
  if (!Number.isInteger(lineBytes) || lineBytes < widest + 1) {
    throw new TypeError(`lineBytes must be an integer of at least ${widest + 1} for ${lines} lines`);
  }
  const line = (n) => {
    const kind = kindOf(n);
    return `${GENERATED_LINES[kind](n, lineBytes - 1 - skeletonBytes(kind, n))}\n`;
  };
  return {
    length: lines * lineBytes,
    *chunks(size) {
      let parts = [];
      let bytes = 0;
      for (let n = 1; n <= lines; n += 1) {
        parts.push(line(n));
        bytes += lineBytes;
        if (bytes >= size) {
          yield Buffer.from(parts.join(''));
          parts = [];
          bytes = 0;
        }
      }
      if (parts.length) yield Buffer.from(parts.join(''));
    },
  };
}

/**
 * One dialect's files, by id. An entry is `{ meta, content, payload, view(ctx), file }`: `meta`
 * holds `{ id, bytes, createdMs, filename, purpose, kind ('input' | 'output' | 'error'), … }`,
 * `view(ctx)` is the file object as the dialect sends it now (`ctx` may add `origin`), and `file`
 * is that view without a request at hand.
 */
export class FileStore {
  #files = new Map();
  #render;
  #clock;

  /** `render(meta, { now, stepMs, content, origin? })` -> the wire object; `clock` as lifecycle.mjs has it. */
  constructor({ render = openaiFile, clock = null } = {}) {
    this.#render = render;
    this.#clock = clock;
  }

  #put(id, meta, content, payload) {
    if (typeof id !== 'string' || id === '') throw new TypeError('a file id must be a non-empty string');
    if (this.#files.has(id)) throw new TypeError(`duplicate file id ${id}`);
    const render = this.#render;
    const clock = this.#clock;
    const entry = {
      meta,
      content,
      payload,
      view: (ctx = {}) => render(meta, { now: clock ? clock.now() : Date.now(), stepMs: clock?.stepMs ?? 0, content, ...ctx }),
      get file() {
        return this.view();
      },
    };
    this.#files.set(id, entry);
    return entry;
  }

  /** Stores `content` (string or bytes); returns the entry. `kind` says what the file is for its dialect. */
  add({ id, filename, purpose, content, createdMs, expiresAfter, kind = 'input', ...extra }) {
    const bytes = Buffer.from(content);
    const meta = { id, bytes: bytes.length, createdMs, filename, purpose, expiresAfter, kind, ...extra };
    return this.#put(id, meta, bytes, bufferPayload(bytes));
  }

  /** A generated output file (see `generatedPayload`); its entry has no `content`. */
  addGenerated({ id, createdMs, ...shape }) {
    const payload = generatedPayload(shape);
    const meta = { id, bytes: payload.length, createdMs, filename: `${id}.jsonl`, purpose: 'batch_output', expiresAfter: undefined, kind: 'output' };
    return this.#put(id, meta, null, payload);
  }

  get(id) {
    return this.#files.get(id);
  }
}
