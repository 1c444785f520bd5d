// Writing an answer's bytes. Every API answer (JSON or file content) is a payload (files.mjs) sent
// in pieces with backpressure, so a file of any size goes out with flat memory and a client that
// stops reading stops the mock too. The delivery faults live here because they break the *sending*
// of a real answer, after the route has done its work (and, for a create, after the batch exists).
import { bufferPayload } from './files.mjs';

/** Default piece size of file content: small, so a client's parser sees many chunk edges. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024;

/** Defaults of the `slow` fault: a few bytes, then a pause. */
const SLOW_BYTES = 8;
const SLOW_EVERY_MS = 50;

/** A JSON answer as a payload. */
export function jsonAnswer(status, value, headers = {}) {
  const payload = bufferPayload(Buffer.from(JSON.stringify(value)));
  return { status, headers: { 'content-type': 'application/json', ...headers }, payload };
}

/** Pieces of at most `size` bytes, whatever sizes the payload produces. */
function* pieces(chunks, size) {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += size) yield chunk.subarray(at, at + size);
  }
}

/** Resolves when `res` may take more, or is gone (a client that left never drains). */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Resolves once `bytes` have been handed to the socket, or the socket is gone. */
function flushed(res, bytes) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.on('close', done);
    res.write(bytes, done);
  });
}

/** A pause that ends early when the client leaves, so no timer outlives a closed connection. */
function pause(ms, res) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

function positive(value, fallback) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Sends `answer` (`{ status, headers, payload }`). `fault` is a delivery fault or null;
 * `download`, when given, is updated with `sent` and a final `state`
 * (`done`, `closed` by the client, `dropped` by a fault).
 */
export async function deliver(res, { status, headers = {}, payload }, { fault = null, chunkBytes = DEFAULT_CHUNK_BYTES, download = null } = {}) {
  const finish = (state) => download?.finish(state);
  if (fault?.kind === 'drop_after_create') {
    // The route has run (the batch exists); the client never learns of it.
    res.socket?.destroy();
    finish('dropped');
    return;
  }
  res.writeHead(status, { 'content-length': payload.length, ...headers });
  const slow = fault?.kind === 'slow';
  const size = slow ? positive(fault.params.bytes, SLOW_BYTES) : chunkBytes;
  const every = slow ? positive(fault.params.every, SLOW_EVERY_MS) : 0;
  const dropMid = fault?.kind === 'drop_mid_body';
  const limit = dropMid ? Math.floor(payload.length / 2) : payload.length;
  if (dropMid) res.flushHeaders(); // even a body too short to halve has its headers arrive
  let sent = 0;
  for (const piece of pieces(payload.chunks(size), size)) {
    if (res.destroyed || sent >= limit) break;
    const part = piece.subarray(0, limit - sent);
    sent += part.length;
    if (download) download.sent = sent;
    if (dropMid && sent >= limit) await flushed(res, part);
    else if (!res.write(part)) await drained(res);
    if (slow && sent < limit) await pause(every, res);
  }
  if (dropMid) {
    res.socket?.destroy();
    finish('dropped');
  } else if (sent < payload.length || res.destroyed) {
    finish('closed');
  } else {
    res.end();
    finish('done');
  }
}

/**
 * Records a file download in `downloads` (the mock's `downloads` array):
 * `{ path, fileId, bytes, sent, state, ended }`, `state` going from `streaming` to `done`,
 * `closed` or `dropped`, and `ended` a promise of that final state.
 */
export function startDownload(downloads, { path, fileId, bytes }) {
  let settle;
  const ended = new Promise((resolve) => {
    settle = resolve;
  });
  const record = { path, fileId, bytes, sent: 0, state: 'streaming', ended };
  // Not enumerable: the record stays plain data for assertions and JSON.
  Object.defineProperty(record, 'finish', {
    value: (state) => {
      if (record.state !== 'streaming') return;
      record.state = state;
      settle(state);
    },
  });
  downloads.push(record);
  return record;
}
