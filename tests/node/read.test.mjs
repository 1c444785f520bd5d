// js/read.js, the body reader the wasm edge calls (one call per ~64 KiB of a response body), on
// streams made here: what it hands back, when it trades a default reader for a BYOB one, and how a
// stall, a failure and an abort end a read. The package's own suites read bodies through it too.
//
//   node --test tests/node/read.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBody, readChunks, cancelBody } from '../../js/read.js';

const MIN = 64 * 1024;
const STALLED = { stalled: true };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stream of `chunks` (each written after `gapMs`), as a byte stream or a plain one. */
function streamOf(chunks, { bytes = true, gapMs = 0, then } = {}) {
  let next = 0;
  return new ReadableStream({
    type: bytes ? 'bytes' : undefined,
    async pull(controller) {
      if (gapMs) await sleep(gapMs);
      // A copy: a byte stream transfers (detaches) what it is given.
      if (next < chunks.length) return controller.enqueue(typeof chunks[next] === "string" ? chunks[next++] : chunks[next++].slice());
      if (then) return controller.error(then);
      controller.close();
      // A BYOB request left open after close must still be answered.
      controller.byobRequest?.respond(0);
    },
  });
}

const pattern = (n, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Every call's chunks until the end (or the error a call rejects with, as `error`). */
async function drain(body, ms = 5_000, signal) {
  const calls = [];
  for (;;) {
    let got;
    try {
      got = await readChunks(body, MIN, ms, signal, STALLED);
    } catch (error) {
      return { calls, error };
    }
    calls.push(got);
    if (got.at(-1) === null) return { calls };
  }
}

const joined = (calls) => {
  const parts = calls.flat().filter((c) => c !== null);
  const out = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of parts) (out.set(c, at), (at += c.length));
  return out;
};

test('small chunks of a byte stream: the bytes in order, far fewer calls, a BYOB reader after the first few', async () => {
  const chunks = Array.from({ length: 200 }, (_, i) => pattern(4096, i));
  const body = openBody(streamOf(chunks));
  const { calls, error } = await drain(body);
  assert.equal(error, undefined);
  assert.deepEqual(joined(calls), joined([chunks]));
  assert.equal(body.byob, true, 'switched to a BYOB reader');
  assert.ok(calls.length <= Math.ceil((200 * 4096) / MIN) + 1, `${calls.length} calls`);
  for (const call of calls.slice(0, -1)) assert.ok(call.reduce((n, c) => n + c.length, 0) >= MIN, 'each call but the last brings at least 64 KiB');
});

test('a stream without BYOB reads stays on its default reader and reads the same bytes', async () => {
  const chunks = Array.from({ length: 50 }, (_, i) => pattern(3000, i));
  const body = openBody(streamOf(chunks, { bytes: false }));
  const { calls, error } = await drain(body);
  assert.equal(error, undefined);
  assert.equal(body.byob, false);
  assert.deepEqual(joined(calls), joined([chunks]));
});

test('large chunks, with a small one among them, keep the default reader (BYOB copies are slower in Node)', async () => {
  const chunks = [pattern(MIN), pattern(179, 1), pattern(MIN, 2), pattern(87, 3), ...Array.from({ length: 8 }, (_, i) => pattern(MIN - i, i))];
  const body = openBody(streamOf(chunks));
  const { calls } = await drain(body);
  assert.equal(body.byob, false);
  assert.deepEqual(joined(calls), joined([chunks]));
});

test('large chunks keep the default reader: one call a chunk', async () => {
  const chunks = Array.from({ length: 4 }, (_, i) => pattern(MIN, i));
  const body = openBody(streamOf(chunks));
  const { calls } = await drain(body);
  assert.equal(body.byob, false);
  assert.equal(calls.length, 5, 'one call per 64 KiB chunk, then the end');
  assert.deepEqual(joined(calls), joined([chunks]));
});

test('an empty body ends at once', async () => {
  const { calls } = await drain(openBody(streamOf([])));
  assert.deepEqual(calls, [[null]]);
});

test('a chunk that is not bytes ends the call, after the chunks before it', async () => {
  const body = openBody(streamOf([pattern(10), 'text', pattern(10)], { bytes: false }));
  const got = await readChunks(body, MIN, 5_000, undefined, STALLED);
  assert.deepEqual(got, [pattern(10), 'text']);
});

test('a failure after some chunks: those chunks first, then the next call rejects with it', async () => {
  const boom = new TypeError('terminated');
  const body = openBody(streamOf([pattern(1000), pattern(1000, 1)], { then: boom }));
  const first = await readChunks(body, MIN, 5_000, undefined, STALLED);
  assert.deepEqual(joined([first]), joined([[pattern(1000), pattern(1000, 1)]]));
  await assert.rejects(readChunks(body, MIN, 5_000, undefined, STALLED), (e) => e === boom);
});

test('a failure before any chunk rejects that call', async () => {
  const boom = new TypeError('terminated');
  await assert.rejects(readChunks(openBody(streamOf([], { then: boom })), MIN, 5_000, undefined, STALLED), (e) => e === boom);
});

test('a stall: the chunks that came, then `stalled`; a stall before any chunk rejects at once', async () => {
  const body = openBody(streamOf([pattern(100)], { gapMs: 0, then: undefined }).pipeThrough(new TransformStream({
    async transform(chunk, controller) {
      controller.enqueue(chunk);
      await sleep(10_000);
    },
  })));
  const started = Date.now();
  const first = await readChunks(body, MIN, 200, undefined, STALLED);
  assert.deepEqual(first, [pattern(100)]);
  assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  await assert.rejects(readChunks(body, MIN, 200, undefined, STALLED), (e) => e === STALLED);
  cancelBody(body);

  const silent = openBody(new ReadableStream({ pull: () => sleep(10_000) }));
  await assert.rejects(readChunks(silent, MIN, 150, undefined, STALLED), (e) => e === STALLED);
  cancelBody(silent);
});

test('a slow but steady body is not a stall: the timer counts from the last chunk', async () => {
  // 12 chunks 60 ms apart: 720 ms in all for one call, against a 200 ms stall limit.
  const chunks = Array.from({ length: 12 }, (_, i) => pattern(100, i));
  const { calls, error } = await drain(openBody(streamOf(chunks, { bytes: false, gapMs: 60 })), 200);
  assert.equal(error, undefined);
  assert.deepEqual(joined(calls), joined([chunks]));
});

test('an abort rejects with the signal\'s reason and leaves no listener', async () => {
  const controller = new AbortController();
  const body = openBody(new ReadableStream({ pull: () => sleep(10_000) }));
  const read = readChunks(body, MIN, 60_000, controller.signal, STALLED);
  setTimeout(() => controller.abort(new Error('stop')), 20);
  await assert.rejects(read, /stop/);
  const { getEventListeners } = await import('node:events');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  cancelBody(body);
});

test('cancelBody cancels the stream, and a second cancel is harmless', async () => {
  let cancelled = 0;
  const body = openBody(new ReadableStream({ pull: () => sleep(10_000), cancel: () => void cancelled++ }));
  cancelBody(body);
  cancelBody(body);
  await sleep(10);
  assert.equal(cancelled, 1);
});
