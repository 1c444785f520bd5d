// The fault matrix (tests/shared/faults.mjs) inside workerd (the Cloudflare Workers runtime),
// through Miniflare: the Node side prepares each row on its mock, the Worker (faults-worker.mjs)
// makes the call, the Node side judges. Writes target/fault-matrix/workerd.json.
//
//   node --test --test-reporter=spec tests/workerd/faults.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '../mock-provider/server.mjs';
import { FAULT_MOCK_OPTIONS, FAULT_ROWS, ROW_TIMEOUT_MS, judgeRow, newApiKey, prepareRow, timesOf, runRecord, wireOf } from '../shared/faults.mjs';
import { bundleWorker, startWorker } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../.out/workerd-faults');
const RESULTS_DIR = new URL('../../target/fault-matrix/', import.meta.url);

const mock = await startMock(FAULT_MOCK_OPTIONS);
const started = Date.now();
const verdicts = [];
let mf;
let version = null;
let setupError;
try {
  await bundleWorker(path.join(here, 'faults-worker.mjs'), outDir);
  mf = startWorker(outDir, {});
  await mf.ready;
  const res = await mf.dispatchFetch('http://localhost/', { signal: AbortSignal.timeout(30_000) });
  const { exports } = await res.json();
  if (!exports.includes('BatchClient')) throw new Error(`the worker's package exports no BatchClient: ${exports}`);
  version = `workerd (miniflare ${(await import('miniflare/package.json', { with: { type: 'json' } }).catch(() => null))?.default?.version ?? '?'})`;
} catch (error) {
  setupError = error;
}

after(async () => {
  await mf?.dispose();
  await mock.close();
  if (setupError) return;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const record = runRecord('workerd', version, verdicts, Date.now() - started);
  writeFileSync(new URL('workerd.json', RESULTS_DIR), `${JSON.stringify(record, null, 2)}\n`);
});

test('workerd: the fault worker bundles and starts', () => {
  if (setupError) throw setupError;
});

/** One row inside the Worker; the observation, or what went wrong getting it. */
async function runInWorker(row, params) {
  const res = await mf.dispatchFetch('http://localhost/', {
    method: 'POST',
    body: JSON.stringify({ id: row.id, params }),
    signal: AbortSignal.timeout(ROW_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the worker answered ${res.status}: ${text.slice(0, 2000)}`);
  return JSON.parse(text);
}

for (const row of FAULT_ROWS) {
  const todo = typeof row.todo === 'string' ? row.todo : row.todo?.workerd;
  test(`workerd fault: ${row.id} — ${row.call}: ${row.fault} · ${timesOf(row.rule)}`, { timeout: ROW_TIMEOUT_MS + 5_000, todo }, async (t) => {
    if (setupError) return t.skip('the worker did not start (see the first workerd test)');
    const apiKey = newApiKey();
    const params = prepareRow(mock, row, { apiKey });
    const seen = await runInWorker(row, params);
    const verdict = judgeRow(row, 'workerd', seen, wireOf(mock, params), { apiKey });
    verdicts.push({ id: row.id, todo: todo ?? null, ms: seen.ms, ...verdict });
    assert.ok(verdict.pass, `${row.id}:\n  ${verdict.failures.join('\n  ')}`);
  });
}
