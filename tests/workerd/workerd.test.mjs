// The shared scenarios inside workerd (the Cloudflare Workers runtime), through Miniflare.
//
// The Worker (worker.mjs) is bundled and started as harness.mjs describes; the bundle goes to
// tests/.out/workerd/ (gitignored).
//
//   node --test tests/workerd/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorker, startWorker } from './harness.mjs';
import { startMock } from '../mock-provider/server.mjs';
import { scenarios } from '../shared/scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../.out/workerd');

/** Runs the worker once against a fresh mock; everything is torn down before the tests report. */
async function runInWorkerd() {
  const mock = await startMock();
  let mf;
  try {
    await bundleWorker(path.join(here, 'worker.mjs'), outDir);
    mf = startWorker(outDir, { MOCK_URL: mock.url });
    // runAll stops starting scenarios after 60 s; this only guards against a wedged runtime.
    const res = await mf.dispatchFetch('http://localhost/', { signal: AbortSignal.timeout(90_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`worker answered ${res.status}: ${text.slice(0, 2000)}`);
    const body = JSON.parse(text);
    return { ...body, wireRequests: mock.requests.length };
  } finally {
    await mf?.dispose();
    await mock.close();
  }
}

let run;
let setupError;
try {
  run = await runInWorkerd();
} catch (error) {
  setupError = error;
}

test('workerd: the worker bundles, starts and runs the scenarios', () => {
  if (setupError) throw setupError;
  assert.ok(Array.isArray(run.results), 'results array');
  assert.ok(run.wireRequests > 0, 'the worker reached the mock on 127.0.0.1');
  for (const name of ['BatchClient', 'BatchError', 'isTerminal']) assert.ok(run.exports.includes(name), `exports ${name}`);
});

for (const scenario of scenarios) {
  test(`workerd: ${scenario.name}`, (t) => {
    if (setupError) return t.skip('the worker did not run (see the first workerd test)');
    const result = run.results.find((r) => r.name === scenario.name);
    assert.ok(result, `no result reported for this scenario`);
    if (!result.ok) assert.fail(result.error);
  });
}
