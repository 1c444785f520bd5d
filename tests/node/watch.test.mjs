// client.watch: list pages first, a retrieve only for a watched batch not on them, each change
// reported once. A scripted `fetch` stands in for the provider so every request can be counted and
// every batch moved exactly when the test says; the last tests run it against the mock provider.
//
//   node --test tests/node/watch.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock-provider/server.mjs';
import { BatchClient, BatchError, isTerminal } from 'llm-batches';

const API_KEY = 'sk-test-watch-SECRET';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * A provider of `count` batches, newest first (`b000` newest), all `in_progress`. Every request is
 * recorded as `{ kind: "list" | "retrieve", after?, limit?, id? }`; `fail` makes the next requests
 * answer with a status; `move(id, status)` changes a batch.
 */
function provider(count) {
  const batches = Array.from({ length: count }, (_, i) => ({
    id: `b${String(i).padStart(3, '0')}`,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    status: 'in_progress',
    created_at: 1_700_000_000 - i,
    request_counts: { total: 10, completed: 0, failed: 0 },
  }));
  const hidden = new Map(); // batches only a retrieve finds (older than any page a watch reads)
  const requests = [];
  let failures = [];
  const fetch = async (url) => {
    const u = new URL(url);
    const [, , , id] = u.pathname.split('/'); // /v1/batches/{id}
    if (failures.length > 0) {
      requests.push({ kind: 'failed' });
      return json({ error: { message: 'down', type: 'server_error', code: null } }, failures.shift());
    }
    if (id === undefined) {
      const limit = Number(u.searchParams.get('limit') ?? 20);
      const after = u.searchParams.get('after');
      requests.push({ kind: 'list', after, limit });
      const start = after === null ? 0 : batches.findIndex((b) => b.id === after) + 1;
      const data = batches.slice(start, start + limit);
      return json({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < batches.length });
    }
    const name = decodeURIComponent(id);
    requests.push({ kind: 'retrieve', id: name });
    const batch = batches.find((b) => b.id === name) ?? hidden.get(name);
    return batch ? json(batch) : json({ error: { message: 'No such batch', type: 'invalid_request_error', code: 'not_found' } }, 404);
  };
  const find = (id) => batches.find((b) => b.id === id) ?? hidden.get(id);
  return {
    fetch,
    requests,
    batches,
    hide(batch) { hidden.set(batch.id, batch); },
    move(id, status, completed) {
      const b = find(id);
      b.status = status;
      if (completed !== undefined) b.request_counts = { ...b.request_counts, completed };
    },
    fail(...statuses) { failures = statuses; },
    take() { return requests.splice(0); },
  };
}

const client = (fetch, options = {}) => new BatchClient({ apiKey: API_KEY, baseURL: 'https://provider.test/v1', fetch, maxRetries: 0, ...options });

/** Starts a watch; `updates` collects what onUpdate saw, `cycle()` waits for the next quiet moment. */
function start(c, options) {
  const updates = [];
  const errors = [];
  const done = c.watch({ pollInterval: 40, onUpdate: (b) => updates.push(b), onError: (e) => errors.push(e), ...options });
  done.catch(() => {}); // observed by the tests that expect a rejection
  return { updates, errors, done };
}

async function until(check, what, ms = 5_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('watch with a scripted provider', () => {
  test('N watched batches cost ⌈N/100⌉ list pages a cycle and no retrieves when all are on them', async () => {
    const p = provider(250);
    const ids = p.batches.slice(0, 150).map((b) => b.id); // spans two pages of 100
    const w = start(client(p.fetch), { ids });
    await until(() => w.updates.length === 150, 'the first cycle');
    const first = p.take();
    assert.deepEqual(first.map((r) => r.kind), ['list', 'list'], 'cycle 1: two pages, nothing else');
    assert.deepEqual(first.map((r) => r.limit), [100, 100]);
    assert.deepEqual(first.map((r) => r.after), [null, 'b099']);
    // Quiet cycles: the same two pages, and nothing reported again.
    await until(() => p.requests.length >= 6, 'three more cycles');
    const quiet = p.take();
    assert.ok(quiet.every((r) => r.kind === 'list'), JSON.stringify(quiet));
    assert.equal(w.updates.length, 150, 'an unchanged batch is not reported again');
    // Everything ends; the watch resolves with the batches in the order of `ids`.
    for (const id of ids) p.move(id, 'completed', 10);
    const result = await w.done;
    assert.deepEqual(result.map((b) => b.id), ids);
    assert.ok(result.every((b) => b.status === 'completed'));
    assert.equal(w.updates.length, 300, 'each batch reported once more, when it completed');
    assert.deepEqual(w.errors, []);
  });

  test('a cycle stops paging once every watched id was seen', async () => {
    const p = provider(500);
    const w = start(client(p.fetch), { ids: ['b003', 'b010'] });
    await until(() => w.updates.length === 2, 'both seen');
    await until(() => p.requests.length >= 3, 'three cycles');
    assert.ok(p.take().every((r) => r.kind === 'list' && r.after === null), 'only ever the first page');
    p.move('b003', 'failed');
    p.move('b010', 'cancelled');
    assert.deepEqual((await w.done).map((b) => b.status), ['failed', 'cancelled']);
  });

  test('a watched batch that is not on the pages is retrieved, and only that one', async () => {
    const p = provider(30);
    p.hide({ ...p.batches[0], id: 'old_batch', status: 'in_progress' });
    const w = start(client(p.fetch), { ids: ['b001', 'old_batch'] });
    await until(() => w.updates.length === 2, 'both reported');
    await until(() => p.requests.length >= 4, 'two cycles');
    const kinds = p.take().slice(0, 4).map((r) => (r.kind === 'retrieve' ? `retrieve ${r.id}` : r.kind));
    assert.deepEqual(kinds, ['list', 'retrieve old_batch', 'list', 'retrieve old_batch']);
    // Terminal batches are no longer polled: once old_batch ends, cycles are one page again.
    p.move('old_batch', 'expired');
    await until(() => w.updates.some((b) => b.id === 'old_batch' && b.status === 'expired'), 'old_batch expired');
    p.take();
    await until(() => p.requests.length >= 3, 'more cycles');
    assert.ok(p.take().every((r) => r.kind === 'list'), 'no more retrieves of a terminal batch');
    p.move('b001', 'completed');
    const result = await w.done;
    assert.deepEqual(result.map((b) => [b.id, b.status]), [['b001', 'completed'], ['old_batch', 'expired']]);
  });

  test('each change is reported once, in the normalised shape', async () => {
    const p = provider(5);
    const w = start(client(p.fetch), { ids: ['b002'] });
    await until(() => w.updates.length === 1, 'first sight');
    p.move('b002', 'in_progress', 4);
    await until(() => w.updates.length === 2, 'the progress');
    p.batches[2].status = 'FINALIZING'; // another provider's spelling of the next step
    await until(() => w.updates.length === 3, 'finalizing');
    await sleep(150); // several quiet cycles
    assert.equal(w.updates.length, 3);
    p.move('b002', 'completed', 10);
    await w.done;
    assert.deepEqual(w.updates.map((b) => [b.status, b.request_counts.completed]), [
      ['in_progress', 0], ['in_progress', 4], ['finalizing', 4], ['completed', 10],
    ]);
  });

  test('a watched id that does not exist is reported through onError and the rest go on', async () => {
    const p = provider(5);
    const w = start(client(p.fetch), { ids: ['b000', 'nope'] });
    await until(() => w.errors.length === 1, 'the 404');
    const [error] = w.errors;
    assert.ok(error instanceof BatchError);
    assert.equal(error.status, 404);
    p.take();
    await until(() => p.requests.length >= 2, 'two more cycles');
    assert.ok(p.take().every((r) => r.kind === 'list'), 'the missing id is not retrieved again');
    p.move('b000', 'completed');
    assert.deepEqual((await w.done).map((b) => b.id), ['b000']);
    assert.equal(w.errors.length, 1);
  });

  test('failing cycles back off (doubling the interval) and report each failure; the watch recovers', async () => {
    const p = provider(3);
    const w = start(client(p.fetch), { ids: ['b000'] });
    await until(() => w.updates.length === 1, 'first sight');
    p.take();
    const began = Date.now();
    p.fail(503, 503, 503);
    await until(() => w.errors.length === 3, 'three failures');
    await until(() => p.requests.some((r) => r.kind === 'list'), 'a good cycle again');
    const took = Date.now() - began;
    // Waits after the failures: 80 + 160 + 320 ms (plus the normal 40 ms before the first).
    assert.ok(took >= 500, `backed off for ${took} ms only`);
    assert.ok(w.errors.every((e) => e instanceof BatchError && e.status === 503));
    assert.ok(w.errors.every((e) => !e.message.includes(API_KEY) && !String(e.stack).includes(API_KEY)));
    p.move('b000', 'completed');
    await w.done;
  });

  test('a non-transient error ends the watch with a BatchError', async () => {
    const p = provider(3);
    const w = start(client(p.fetch), { ids: ['b000'] });
    await until(() => w.updates.length === 1, 'first sight');
    p.fail(401);
    await assert.rejects(w.done, (e) => e instanceof BatchError && e.status === 401 && !e.message.includes(API_KEY));
  });

  test('the signal stops it at once, also between cycles; without ids it runs until then', async () => {
    const p = provider(120);
    const controller = new AbortController();
    const w = start(client(p.fetch), { signal: controller.signal, pollInterval: 60_000 });
    await until(() => w.updates.length === 100, 'the newest page');
    assert.deepEqual(p.take().map((r) => [r.kind, r.limit]), [['list', 100]], 'without ids: one page a cycle');
    const aborted = Date.now();
    controller.abort();
    await assert.rejects(w.done, (e) => e instanceof BatchError && e.kind === 'aborted');
    assert.ok(Date.now() - aborted < 500, 'not after the 60 s sleep');
    assert.equal(p.requests.length, 0);
  });

  test('onCycle marks each cycle that got through, changed or not, and not the failed ones', async () => {
    const p = provider(3);
    let cycles = 0;
    const w = start(client(p.fetch), { ids: ['b000'], onCycle: () => { cycles += 1; } });
    await until(() => cycles === 3, 'three cycles');
    assert.equal(w.updates.length, 1, 'one update, three cycles');
    p.fail(503);
    await until(() => w.errors.length === 1, 'a failed cycle');
    const before = cycles;
    await until(() => cycles === before + 1, 'the next good cycle');
    p.move('b000', 'completed');
    await w.done;
    const boom = new Error('render failed');
    await assert.rejects(client(provider(1).fetch).watch({ ids: ['b000'], onCycle: () => { throw boom; } }), (e) => e === boom);
  });

  test('what onUpdate throws ends the watch with that very error', async () => {
    const p = provider(3);
    const boom = new TypeError('dashboard bug');
    await assert.rejects(client(p.fetch).watch({ ids: ['b000'], pollInterval: 40, onUpdate: () => { throw boom; } }), (e) => e === boom);
  });

  test('bad options are invalid_argument errors and send nothing', async () => {
    const p = provider(1);
    for (const options of [{ ids: 'b000' }, { ids: [''] }, { ids: [42] }, { pollInterval: -1 }, { onUpdate: 'x' }, { onError: 'x' }, { onCycle: 1 }]) {
      await assert.rejects(client(p.fetch).watch(options), (e) => e instanceof BatchError && e.kind === 'invalid_argument', JSON.stringify(options));
    }
    assert.equal(p.requests.length, 0);
  });
});

describe('watch against the mock provider', () => {
  let mock;
  before(async () => { mock = await startMock({ stepMs: 120 }); });
  after(() => mock.close());

  for (const dialect of ['openai', 'ppinfra']) {
    test(`${dialect}: created batches are followed to the end, each status reported once`, async () => {
      mock.reset();
      const base = `${mock.url}${dialect === 'openai' ? '/openai/v1' : '/ppinfra/openai/v1'}`;
      const c = new BatchClient({ apiKey: API_KEY, baseURL: base });
      const line = (id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] } });
      const file = await c.uploadFile(`${line('a')}\n${line('b')}\n`);
      const created = [];
      for (const outcome of [undefined, 'fail', 'expire']) {
        created.push(await c.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: outcome ? { outcome } : undefined }));
      }
      const before = mock.requests.length;
      const updates = [];
      const result = await c.watch({ ids: created.map((b) => b.id), pollInterval: 30, onUpdate: (b) => updates.push(b) });
      assert.deepEqual(result.map((b) => b.status), ['completed', 'failed', 'expired']);
      assert.ok(result.every(isTerminal));
      const polls = mock.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/\?.*/, '')}`);
      assert.ok(polls.every((p) => p.endsWith('/batches') && p.startsWith('GET')), `only list pages: ${[...new Set(polls)]}`);
      for (const b of created) {
        const seen = updates.filter((u) => u.id === b.id);
        for (let i = 1; i < seen.length; i += 1) {
          assert.notDeepEqual(seen[i], seen[i - 1], `${b.id}: update ${i} repeats the one before`);
        }
        assert.equal(seen[0].status, 'validating');
        assert.deepEqual(seen.at(-1), result.find((r) => r.id === b.id));
      }
    });
  }
});
