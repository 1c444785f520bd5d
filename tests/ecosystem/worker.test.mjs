// examples/worker in workerd, through Miniflare, against the mock provider: the cron run lists
// batches page by page and stores what is still running in a (simulated) KV namespace; the fetch
// handler serves it as JSON.
//
// The Worker is bundled as Wrangler would bundle it (the "workerd" export condition, the .wasm as a
// CompiledWasm module) with the settings of its own wrangler.toml (main, compatibility date, KV
// binding, cron). The mock's clock is the test's, so batches move only when the test says so.
//
//   node --test tests/ecosystem/worker.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { BatchClient } from 'llm-batches';
import { startMock } from '../mock-provider/server.mjs';
import { outRoot, root } from './helpers.mjs';
import { bundleWorker } from '../workerd/harness.mjs';

const exampleDir = path.join(root, 'examples/worker');
const outDir = path.join(outRoot, 'worker');
const KEY = 'sk-worker-test-3b9f1c';
const STEP_MS = 60_000;
const WEBHOOK_SECRET = `whsec_${Buffer.from('worker-test-webhook-secret-32-bytes!!').toString('base64')}`;
/** R2's smallest part: the most of a results file the Worker may hold at once in this test. */
const PART_BYTES = 5 * 1024 * 1024;

/** The few wrangler.toml settings the test needs, read with patterns rather than a TOML parser. */
async function readWranglerToml() {
  const text = await readFile(path.join(exampleDir, 'wrangler.toml'), 'utf8');
  const field = (name) => new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm').exec(text)?.[1];
  const crons = /^crons\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1].match(/"[^"]+"/g)?.map((s) => s.slice(1, -1));
  return { main: field('main'), compatibilityDate: field('compatibility_date'), kvBinding: field('binding'), crons, maxSubrequests: field('MAX_SUBREQUESTS') };
}

let clockMs = Date.now();
let mock;
let mf;
let toml;
let scriptPath;
const client = () => new BatchClient({ apiKey: 'sk-node-side', baseURL: `${mock.url}/openai/v1` });

function options(vars = {}) {
  return {
    modules: true,
    scriptPath,
    modulesRoot: outDir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: toml.compatibilityDate,
    kvNamespaces: [toml.kvBinding],
    r2Buckets: ['RESULTS'],
    bindings: { OPENAI_API_KEY: KEY, BASE_URL: `${mock.url}/openai/v1`, DIALECT: 'auto', PAGE_SIZE: '5', WEBHOOK_SECRET, PART_BYTES: String(PART_BYTES), ...vars },
    host: '127.0.0.1',
    port: 0,
  };
}

async function runCron() {
  const worker = await mf.getWorker();
  const before = mock.requests.length;
  const result = await worker.scheduled({ cron: toml.crons[0], scheduledTime: new Date() });
  return { ...result, requests: mock.requests.slice(before) };
}

async function getJson(pathname, init) {
  const res = await mf.dispatchFetch(`http://worker${pathname}`, init);
  const text = await res.text();
  assert.ok(!text.includes(KEY), 'the key never appears in an answer');
  return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) };
}

async function storedText() {
  const kv = await mf.getKVNamespace(toml.kvBinding);
  return kv.get('state');
}

/** What the mock's OpenAI dialect has running now, by id. */
function runningIds() {
  const ended = new Set(['completed', 'failed', 'expired', 'cancelled']);
  return mock.batches('openai').filter((b) => !ended.has(b.status)).map((b) => b.id).sort();
}

before(async () => {
  toml = await readWranglerToml();
  mock = await startMock({ now: () => clockMs, stepMs: STEP_MS });
  scriptPath = await bundleWorker(path.join(exampleDir, toml.main), outDir);
  mf = new Miniflare(options());
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await mock?.close();
});

test('worker: wrangler.toml is a deployable config (main, compatibility date, KV binding, cron, budget)', () => {
  assert.equal(toml.main, 'src/index.js');
  assert.match(toml.compatibilityDate, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(toml.kvBinding, 'BATCH_STATE');
  assert.deepEqual(toml.crons, ['*/5 * * * *']);
  assert.equal(toml.maxSubrequests, '40');
});

test('worker: before any cron run, GET / serves an empty state', async () => {
  const { status, type, body } = await getJson('/');
  assert.equal(status, 200);
  assert.match(type, /^application\/json/);
  assert.deepEqual(body, { updated_at: null, run: null, unfinished: [], finished: [] });
});

test('worker: a cron run pages through the list and stores every running batch in KV', async () => {
  const made = await client().submit(
    [{ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini' } }],
    { metadata: { job: 'worker-test' } },
  );
  const run = await runCron();
  assert.equal(run.outcome, 'ok');
  // 26 batches (25 fixtures and ours) at 5 a page: every page has a running batch, so all 6 are read.
  assert.equal(run.requests.length, 6);
  for (const r of run.requests) {
    assert.equal(r.path, '/openai/v1/batches');
    assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  }
  assert.deepEqual(run.requests.map((r) => r.query.after ?? null), [null, 'batch_oai_003', 'batch_oai_008', 'batch_oai_013', 'batch_oai_018', 'batch_oai_023']);

  const { body } = await getJson('/');
  assert.deepEqual(body.run && { ...body.run, started_at: 0 }, { started_at: 0, pages: 6, retrieves: 0, subrequests: 6, complete: true, error: null });
  assert.deepEqual(body.unfinished.map((b) => b.id).sort(), runningIds());
  assert.equal(body.unfinished[0].id, made.id, 'newest first');
  assert.equal(body.unfinished[0].status, 'validating');
  assert.equal(body.unfinished[0].metadata.job, 'worker-test');
  assert.deepEqual(body.finished, []);
  assert.ok(!(await storedText()).includes(KEY), 'the key is not stored');

  const one = await getJson(`/batches/${made.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.id, made.id);
  assert.equal((await getJson('/batches/batch_nope')).status, 404);
});

test('worker: the next run moves batches that ended into `finished`', async () => {
  const [ours] = (await getJson('/')).body.unfinished;
  await client().cancel('batch_oai_000');
  clockMs += 5 * STEP_MS; // ours completes; the cancelled one is cancelled one step after cancelling
  const run = await runCron();
  assert.equal(run.outcome, 'ok');
  const { body } = await getJson('/');
  assert.deepEqual(body.unfinished.map((b) => b.id).sort(), runningIds());
  assert.ok(!body.unfinished.some((b) => b.id === ours.id || b.id === 'batch_oai_000'));
  const finished = Object.fromEntries(body.finished.map((b) => [b.id, b]));
  assert.equal(finished[ours.id]?.status, 'completed');
  assert.deepEqual(finished[ours.id].request_counts, { total: 1, completed: 1, failed: 0 });
  assert.equal(finished.batch_oai_000?.status, 'cancelled');
  assert.equal(body.finished.length, 2, 'only batches seen running are recorded as finished');
});

test('worker: a running batch missing from the list is retrieved by id, and dropped when it is gone', async () => {
  const made = await client().submit([{ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'x' } }]);
  assert.equal((await runCron()).outcome, 'ok');
  assert.ok((await getJson('/')).body.unfinished.some((b) => b.id === made.id));
  mock.reset(); // the provider forgets every batch it made: ours now answers 404
  const run = await runCron();
  assert.equal(run.outcome, 'ok');
  const retrieves = run.requests.filter((r) => r.path.startsWith('/openai/v1/batches/'));
  assert.deepEqual(retrieves.map((r) => r.path), [`/openai/v1/batches/${made.id}`]);
  const { body } = await getJson('/');
  assert.equal(body.run.retrieves, 1);
  assert.ok(!body.unfinished.some((b) => b.id === made.id), 'a 404 batch is dropped');
  assert.deepEqual(body.unfinished.map((b) => b.id).sort(), runningIds());
});

test('worker: a run never makes more than MAX_SUBREQUESTS requests, retries included', async () => {
  await mf.setOptions(options({ MAX_SUBREQUESTS: '4' }));
  const before = (await getJson('/')).body.unfinished;
  const run = await runCron();
  assert.equal(run.outcome, 'ok');
  // Each call may need a retry, so a call starts only while 2 requests are left: 3 pages, then stop.
  assert.equal(run.requests.length, 3);
  const { body } = await getJson('/');
  assert.equal(body.run.complete, false);
  assert.equal(body.run.pages, 3);
  assert.equal(body.run.subrequests, 3);
  assert.deepEqual(body.unfinished.map((b) => b.id).sort(), before.map((b) => b.id).sort(), 'batches not reached are kept as last seen');

  mock.addFault({ method: 'GET', path: '/batches', fault: 'status=500' });
  try {
    const failed = await runCron();
    assert.equal(failed.outcome, 'exception', 'a failed run shows as failed');
    assert.equal(failed.requests.length, 2, 'one attempt and one retry');
  } finally {
    mock.clearFaults();
  }
  const after = (await getJson('/')).body;
  assert.equal(after.run.error.kind, 'api');
  assert.equal(after.run.error.status, 500);
  assert.equal(after.unfinished.length, before.length, 'the last good state is kept');
});

test('worker: READ_TOKEN guards the JSON; only GET and HEAD are served', async () => {
  await mf.setOptions(options({ READ_TOKEN: 'let-me-read' }));
  assert.equal((await getJson('/')).status, 401);
  const ok = await getJson('/', { headers: { authorization: 'Bearer let-me-read' } });
  assert.equal(ok.status, 200);
  assert.ok(Array.isArray(ok.body.unfinished));
  const post = await getJson('/', { method: 'POST', headers: { authorization: 'Bearer let-me-read' } });
  assert.equal(post.status, 405);
});

// ---- POST /webhook ---------------------------------------------------------------------------

/** The Worker's URL, for the mock to deliver webhooks to. */
async function workerUrl() {
  return new URL('/webhook', await mf.ready).href;
}

test('worker: a signed batch.completed webhook streams a results file larger than the Worker may hold into R2', async (t) => {
  await mf.setOptions(options());
  // 48,000 requests: a results file several times the part the Worker holds.
  const lines = Array.from({ length: 48_000 }, (_, i) => ({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', fail: i % 1000 === 7 } }));
  const made = await client().submit(lines);
  clockMs += 5 * STEP_MS;
  const started = performance.now();
  const sent = await mock.sendWebhook({ id: made.id, url: await workerUrl(), secret: WEBHOOK_SECRET });
  const ms = performance.now() - started;
  assert.equal(sent.event.type, 'batch.completed');
  assert.equal(sent.status, 200, sent.answer);
  const answer = JSON.parse(sent.answer);
  assert.equal(answer.batch.status, 'completed');
  const { results } = answer;
  assert.equal(results.lines, 48_000);
  assert.equal(results.errors, 48);
  assert.ok(results.bytes > 3 * PART_BYTES, `${results.bytes} bytes of results`);
  assert.ok(results.parts >= 4, `${results.parts} parts`);
  assert.ok(results.peak_buffered_bytes <= PART_BYTES, `held at most one part: ${results.peak_buffered_bytes}`);
  t.diagnostic(`${results.lines} results, ${(results.bytes / 2 ** 20).toFixed(1)} MiB in ${results.parts} parts of ${PART_BYTES / 2 ** 20} MiB, ${ms.toFixed(0)} ms`);
  const bucket = await mf.getR2Bucket('RESULTS');
  const object = await bucket.get(`results/${made.id}.jsonl`);
  const text = await object.text();
  assert.equal(text.length, results.bytes);
  const rows = text.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(rows.length, 48_000);
  assert.equal(new Set(rows.map((r) => r.custom_id)).size, 48_000, 'every request once');
  assert.equal(rows.filter((r) => r.error).length, 48);
  // The state knows at once, without a cron run.
  const { body } = await getJson('/');
  assert.equal(body.finished.find((b) => b.id === made.id)?.status, 'completed');
  // Delivered again (providers deliver at least once): nothing is read twice.
  const again = await mock.sendWebhook({ id: made.id, url: await workerUrl(), secret: WEBHOOK_SECRET });
  assert.equal(again.status, 200);
  assert.equal(JSON.parse(again.answer).results.already, true);
});

test('worker: a forged, stale or unsigned webhook is a 400 and nothing is read', async () => {
  await mf.setOptions(options());
  const made = await client().submit([{ custom_id: 'w', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini' } }]);
  clockMs += 5 * STEP_MS;
  const url = await workerUrl();
  const before = mock.requests.length;
  const forged = await mock.sendWebhook({ id: made.id, url, secret: `whsec_${Buffer.from('another-secret').toString('base64')}` });
  assert.equal(forged.status, 400);
  assert.match(JSON.parse(forged.answer).error, /no signature/);
  const stale = await mock.sendWebhook({ id: made.id, url, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 });
  assert.equal(stale.status, 400);
  assert.match(JSON.parse(stale.answer).error, /ago/);
  const unsigned = await mf.dispatchFetch('http://worker/webhook', { method: 'POST', body: '{"type":"batch.completed","data":{"id":"x"}}' });
  assert.equal(unsigned.status, 400);
  assert.ok(!(await unsigned.text()).includes(WEBHOOK_SECRET.slice(6)), 'the secret never shows');
  assert.equal(mock.requests.length, before, 'nothing was asked of the provider');
  const bucket = await mf.getR2Bucket('RESULTS');
  assert.equal(await bucket.head(`results/${made.id}.jsonl`), null);
  // An event about something else is acknowledged and left alone.
  const other = await mock.sendWebhook({ id: made.id, url, secret: WEBHOOK_SECRET, type: 'response.completed' });
  assert.equal(other.status, 200);
  assert.equal(JSON.parse(other.answer).ignored, 'response.completed');
});
