// Reading a response body for the wasm edge (src/edge/fetch.rs), several chunks per call: one wasm
// round trip per call (the edge asks for 64 KiB), with one timer per call instead of one per chunk.
//
// workerd hands out 4 KiB chunks from a default reader (13,410 reads for a 55 MB file, 175 ms of
// reading alone); a BYOB reader there fills 64 KiB buffers (about 1,100 reads, 50 ms). In Node the
// chunks are 64 KiB already (with a small one now and then) and BYOB reads are slower, so a body
// switches to a BYOB reader only when its first chunks are small on average.

const SMALL = 16 * 1024; // an average chunk below this, over the first PROBE chunks, means BYOB
const PROBE = 8;
const BUFFER = 64 * 1024;

/** A body being read: its stream and the reader that holds its lock. */
export function openBody(stream) {
  return { stream, reader: stream.getReader(), byob: false, chunks: 0, bytes: 0, broken: null };
}

/** Releases the body: cancels the stream (its promise's rejection is of no interest). */
export function cancelBody(body) {
  try {
    body.reader.cancel().catch(() => {});
  } catch {}
}

/** Trades the default reader for a BYOB one, where the stream has them. */
function toByob(body) {
  try {
    body.reader.releaseLock();
  } catch {
    return;
  }
  try {
    body.reader = body.stream.getReader({ mode: 'byob' });
    body.byob = true;
  } catch {
    body.reader = body.stream.getReader();
  }
}

/**
 * Reads from `body` until `min` bytes have come or it ends. Resolves with an array of the chunks
 * read, in order, ending in `null` when the body ended; it stops early, after a chunk that is not
 * a `Uint8Array`, to leave that to the caller. Rejects with `stalled` once no chunk has come for
 * `ms` milliseconds, with what the stream threw, or with the signal's reason when `signal` aborts;
 * chunks that came before a stall or a failure are handed out first, and the next call rejects.
 */
export function readChunks(body, min, ms, signal, stalled) {
  ms = Math.min(ms, 2147483647); // what setTimeout takes; longer fires at once
  return new Promise((resolve, reject) => {
    if (body.broken) return reject(body.broken.stalled ? stalled : body.broken.error);
    const chunks = [];
    let size = 0;
    let last = Date.now();
    let timer;
    let settled = false;
    const finish = (settle, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
      settle(value);
    };
    const onAbort = () => finish(reject, signal.reason);
    const breaks = (broken) => {
      if (chunks.length === 0) return finish(reject, broken.stalled ? stalled : broken.error);
      body.broken = broken;
      finish(resolve, chunks);
    };
    const fail = (error) => breaks({ error });
    // Pushed back as chunks come: a clock read per chunk, not a timer per chunk.
    const watch = () => {
      const idle = Date.now() - last;
      if (idle >= ms) breaks({ stalled: true });
      else timer = setTimeout(watch, ms - idle);
    };
    const read = () => (body.byob ? body.reader.read(new Uint8Array(BUFFER)) : body.reader.read()).then(step, fail);
    const step = (result) => {
      if (settled) return;
      if (result.done) {
        if (result.value && result.value.length > 0) chunks.push(result.value);
        chunks.push(null);
        return finish(resolve, chunks);
      }
      const value = result.value;
      chunks.push(value);
      last = Date.now();
      if (!(value instanceof Uint8Array)) return finish(resolve, chunks);
      size += value.length;
      if (body.chunks < PROBE) {
        body.chunks += 1;
        body.bytes += value.length;
        if (body.chunks === PROBE && body.bytes / PROBE < SMALL) toByob(body);
      }
      if (size >= min) return finish(resolve, chunks);
      read();
    };
    timer = setTimeout(watch, ms);
    if (signal) signal.addEventListener('abort', onAbort);
    read();
  });
}
