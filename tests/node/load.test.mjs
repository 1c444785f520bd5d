// Load and leaks: many calls on one client must all work, and must not grow the wasm memory or the
// JS heap without bound (every timer, listener and abort race of a call is undone when it ends).
//
//   node --test tests/node/load.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { startMock } from '../mock-provider/server.mjs';
import { BatchClient, BatchError } from 'llm-batches';

// The glue hands back the already-instantiated exports (and so the memory) when asked again.
const pkgDir = realpathSync(fileURLToPath(new URL('../../node_modules/llm-batches/', import.meta.url)));
const { initSync } = await import(`${pkgDir}/llm_batches.js`);
const wasm = initSync({ module: readFileSync(`${pkgDir}/llm_batches_bg.wasm`) });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
};
const MB = 1024 * 1024;

const mock = await startMock();
after(() => mock.close());

test('1,000 concurrent retrieves on one client all succeed', async (t) => {
  const client = new BatchClient({ apiKey: 'sk-load', baseURL: `${mock.url}/openai/v1` });
  const ids = Array.from({ length: 1000 }, (_, i) => `batch_oai_${String(i % 25).padStart(3, '0')}`);
  const started = performance.now();
  const batches = await Promise.all(ids.map((id) => client.retrieve(id)));
  t.diagnostic(`1000 concurrent retrieves in ${Math.round(performance.now() - started)} ms`);
  assert.deepEqual(batches.map((b) => b.id), ids);
  assert.ok(batches.every((b) => b.object === 'batch' && typeof b.request_counts.total === 'number'));
});

test('10,000 calls (answers, errors, timeouts, aborts) leave wasm memory and JS heap flat', async (t) => {
  const client = new BatchClient({ apiKey: 'sk-load', baseURL: `${mock.url}/openai/v1`, timeout: 5_000, maxRetries: 0 });
  const hanging = new BatchClient({
    apiKey: 'sk-load',
    baseURL: `${mock.url}/openai/v1`,
    timeout: 20,
    maxRetries: 0,
    defaultHeaders: { 'x-mock-fault': 'hang' },
  });
  // Every path that arms a timer, a listener or an abort race, in rounds of 100 at a time.
  const round = async (n) => {
    const calls = [];
    for (let i = 0; i < 100; i++) {
      const k = n * 100 + i;
      if (k % 10 === 0) calls.push(client.retrieve('batch_missing').catch((e) => e));
      else if (k % 10 === 1) calls.push(client.retrieve('').catch((e) => e));
      else if (k % 50 === 2) calls.push(hanging.retrieve('batch_oai_001').catch((e) => e));
      else if (k % 10 === 3) {
        const controller = new AbortController();
        const call = client.retrieve('batch_oai_002', { signal: controller.signal }).catch((e) => e);
        controller.abort();
        calls.push(call);
      } else if (k % 10 === 4) calls.push(client.list({ limit: 5 }));
      else calls.push(client.retrieve('batch_oai_003'));
    }
    const results = await Promise.all(calls);
    for (const r of results) {
      if (r instanceof Error) assert.ok(r instanceof BatchError, `unexpected ${r}`);
    }
    return results;
  };
  // Warm up: the allocator and V8 reach their working sizes.
  for (let n = 0; n < 10; n++) await round(n);
  await settle();
  const wasmBefore = wasm.memory.buffer.byteLength;
  const heapBefore = process.memoryUsage().heapUsed;
  const kinds = new Map();
  for (let n = 10; n < 110; n++) {
    for (const r of await round(n)) {
      const kind = r instanceof BatchError ? r.kind : 'ok';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  }
  await settle();
  const wasmGrowth = wasm.memory.buffer.byteLength - wasmBefore;
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  t.diagnostic(`10,000 calls: ${JSON.stringify(Object.fromEntries(kinds))}`);
  t.diagnostic(`wasm memory ${wasmBefore / MB} MB -> growth ${(wasmGrowth / MB).toFixed(2)} MB; JS heap growth ${(heapGrowth / MB).toFixed(2)} MB`);
  assert.equal([...kinds.values()].reduce((a, b) => a + b, 0), 10_000);
  for (const kind of ['ok', 'api', 'invalid_argument', 'timeout', 'aborted']) assert.ok(kinds.get(kind) > 0, `no ${kind} calls`);
  assert.ok(wasmGrowth <= 1 * MB, `wasm memory grew by ${wasmGrowth} bytes`);
  assert.ok(heapGrowth < 16 * MB, `JS heap grew by ${(heapGrowth / MB).toFixed(1)} MB`);
});
