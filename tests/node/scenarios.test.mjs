// The shared scenarios against the built package in Node (the "node" export condition), plus
// checks that need the mock's own record of what arrived on the wire.
//
//   node --test tests/node/
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startMock } from '../mock-provider/server.mjs';
import { scenarios, runScenario } from '../shared/scenarios.mjs';
import * as pkg from 'llm-batches';

const { BatchClient, BatchError, isTerminal } = pkg;
const lib = pkg; // the whole public surface, as the other runtimes hand it over

const readJson = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const fixtures = {
  token360Expected: readJson('token360_retrieve.expected.json'),
  ppinfraExpected: readJson('ppinfra_list_page.expected.json'),
};

const mock = await startMock();
after(() => mock.close());
const ctx = { mockUrl: mock.url, fixtures };

test('the node entry exports the public names', () => {
  assert.equal(typeof BatchClient, 'function');
  assert.equal(typeof BatchError, 'function');
  assert.equal(typeof isTerminal, 'function');
  assert.equal(typeof pkg.validateRequests, 'function');
  assert.equal(typeof pkg.toJsonl, 'function');
});

for (const scenario of scenarios) {
  test(`node: ${scenario.name}`, { timeout: 30_000 }, async () => {
    const result = await runScenario(scenario, lib, ctx);
    if (!result.ok) assert.fail(result.error);
  });
}

// ---- what the mock saw -----------------------------------------------------------------------

/** The requests the mock recorded while `fn` ran. */
async function recorded(fn) {
  const start = mock.requests.length;
  await fn();
  return mock.requests.slice(start);
}

test('node/wire: Authorization: Bearer <key> is sent', async () => {
  const apiKey = `sk-test-wire-${Math.random().toString(16).slice(2)}`;
  const client = new BatchClient({ apiKey, baseURL: `${mock.url}/token360/v1` });
  const seen = await recorded(() => client.retrieve('batch_01abc'));
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, 'GET');
  assert.equal(seen[0].path, '/token360/v1/batches/batch_01abc');
  assert.equal(seen[0].headers.authorization, `Bearer ${apiKey}`);
});

test('node/wire: list sends limit and after as query parameters, encoded', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const seen = await recorded(async () => {
    await client.list({ limit: 2 });
    await client.list({ limit: 3, after: 'batch_oai_001' });
    await client.list({ after: 'a b&c=d/é' }).catch((err) => {
      // An unknown cursor is the mock's 400; only the request matters here.
      assert.ok(err instanceof BatchError, `expected a BatchError, got ${err}`);
      assert.equal(err.status, 400);
    });
    await client.list();
  });
  const lists = seen.filter((r) => r.path === '/openai/v1/batches');
  assert.equal(lists.length, 4, `list requests: ${JSON.stringify(seen.map((r) => r.path))}`);
  assert.deepEqual(lists[0].query, { limit: '2' });
  assert.deepEqual(lists[1].query, { limit: '3', after: 'batch_oai_001' });
  assert.equal(lists[2].query.after, 'a b&c=d/é', `query decoded by the mock: ${JSON.stringify(lists[2].query)}`);
  assert.equal(lists[2].query.limit, undefined);
  assert.deepEqual(lists[3].query, {});
});

test('node/wire: the percent-encoded id arrives as one path segment', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1`, maxRetries: 0 });
  const seen = await recorded(() => client.retrieve('batch a/b?c#d').catch(() => {}));
  assert.equal(seen.length, 1);
  assert.equal(seen[0].path, '/openai/v1/batches/batch%20a%2Fb%3Fc%23d');
  assert.deepEqual(seen[0].query, {});
});

test('node/wire: nothing reaches the server for invalid ids', async () => {
  const client = new BatchClient({ apiKey: 'x', baseURL: `${mock.url}/openai/v1` });
  const seen = await recorded(async () => {
    for (const id of ['', '   ', undefined, 42, '.', '..', 'a\nb']) {
      await assert.rejects(client.retrieve(id), (err) => err instanceof BatchError && err.kind === 'invalid_argument');
    }
  });
  assert.deepEqual(seen, []);
});

test('node/wire: retries of a 503 are visible to the server, one per attempt', async () => {
  const client = new BatchClient({
    apiKey: 'x',
    baseURL: `${mock.url}/token360/v1`,
    maxRetries: 2,
    defaultHeaders: { 'x-mock-fault': `status=503;times=2;key=wire-503-${Math.random()}` },
  });
  const seen = await recorded(() => client.retrieve('batch_01abc'));
  assert.equal(seen.length, 3);
  for (const r of seen) assert.equal(r.path, '/token360/v1/batches/batch_01abc');
});
