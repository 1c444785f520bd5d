// Child process for reading an output file to the end: one client, one run, a fresh process each
// time. A worker thread samples the process's RSS every ~5 ms (a thread of its own, so a
// synchronous split/parse on the main thread cannot hide its peak). Prints one JSON object:
//   { ms, idleRss, peakRss, count, errors }
// idleRss is taken after the client is imported and constructed and the sampler runs, after a
// gc(), just before the read starts. Run by run.mjs as
//   node --expose-gc lib/results-child.mjs CLIENT BASE_URL FILE_ID LINES [DIALECT]
// (DIALECT `anthropic`: FILE_ID is an Anthropic batch id, and the `openai` client is @anthropic-ai/sdk.)
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { load } from './clients.mjs';

const [name, baseURL, fileId, linesText, dialect = 'openai'] = process.argv.slice(2);
const lines = Number(linesText);
const client = await load(name, baseURL, { dialect });

const shared = new SharedArrayBuffer(16);
const control = new Int32Array(shared, 0, 1); // 1 = stop
const peak = new Float64Array(shared, 8, 1);
const sampler = new Worker(
  `const { workerData: shared } = require('node:worker_threads');
   const control = new Int32Array(shared, 0, 1);
   const peak = new Float64Array(shared, 8, 1);
   while (Atomics.load(control, 0) === 0) {
     const rss = process.memoryUsage.rss();
     if (rss > peak[0]) peak[0] = rss;
     Atomics.wait(control, 0, 0, 5);
   }`,
  { eval: true, workerData: shared },
);
await new Promise((resolve) => sampler.once('online', resolve));

globalThis.gc();
await sleep(200);
globalThis.gc();
const idleRss = process.memoryUsage.rss();
peak[0] = idleRss;

const t0 = performance.now();
const { count, errors } = await client.readAll(fileId);
const ms = performance.now() - t0;
const last = process.memoryUsage.rss();

Atomics.store(control, 0, 1);
Atomics.notify(control, 0);
await sampler.terminate();
const peakRss = Math.max(peak[0], last);
if (count !== lines) throw new Error(`${name}: expected ${lines} results, got ${count}`);
process.stdout.write(`${JSON.stringify({ client: name, lines, ms, idleRss, peakRss, count, errors })}\n`);
