// Tests of the mock provider itself: `node --test tests/mock-provider/`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startMock } from './server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) => JSON.parse(readFileSync(path.join(HERE, '../fixtures', name), 'utf8'));

const KEY = 'sk-test-secret-123';
const AUTH = { authorization: `Bearer ${KEY}` };
const STATUSES = ['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'];
const OPENAI_FIELDS = [
  'id', 'object', 'endpoint', 'errors', 'input_file_id', 'completion_window', 'status', 'output_file_id',
  'error_file_id', 'created_at', 'in_progress_at', 'expires_at', 'finalizing_at', 'completed_at', 'failed_at',
  'expired_at', 'cancelling_at', 'cancelled_at', 'request_counts', 'metadata',
];

let mock;
let root; // temp dir holding www/, pkg/ and a secret next to them
const get = (p, headers = {}) => fetch(mock.url + p, { headers: { ...AUTH, ...headers } });
const getJson = async (p, headers) => {
  const res = await get(p, headers);
  return { res, body: await res.json() };
};

/** node:http, because fetch() would normalise `..` away before the server ever saw it. */
function rawGet(port, rawPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'mock-provider-test-'));
  await mkdir(path.join(root, 'www/sub'), { recursive: true });
  await mkdir(path.join(root, 'pkg'), { recursive: true });
  await writeFile(path.join(root, 'www/index.html'), '<!doctype html><title>www index</title>');
  await writeFile(path.join(root, 'www/app.js'), 'export const app = 1;');
  await writeFile(path.join(root, 'www/style.css'), 'body{}');
  await writeFile(path.join(root, 'www/logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(root, 'www/sub/index.html'), 'sub index');
  await writeFile(path.join(root, 'pkg/browser.js'), 'export const pkg = 1;');
  await writeFile(path.join(root, 'pkg/package.json'), '{"name":"llm-batches"}');
  await writeFile(path.join(root, 'pkg/llm_batches_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await writeFile(path.join(root, 'secret.txt'), 'TOP SECRET');
  mock = await startMock({ static: { '/': path.join(root, 'www'), '/pkg/': path.join(root, 'pkg') } });
});

after(async () => {
  await mock.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => mock.reset());

describe('OpenAI dialect', () => {
  test('first page: 20 newest batches, has_more', async () => {
    const { res, body } = await getJson('/openai/v1/batches');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(body.object, 'list');
    assert.equal(body.data.length, 20);
    assert.equal(body.first_id, 'batch_oai_000');
    assert.equal(body.last_id, 'batch_oai_019');
    assert.equal(body.has_more, true);
  });

  test('following last_id reaches every batch exactly once', async () => {
    const seen = [];
    let after;
    for (let pages = 0; pages < 10; pages += 1) {
      const { body } = await getJson(`/openai/v1/batches?limit=7${after ? `&after=${after}` : ''}`);
      seen.push(...body.data.map((b) => b.id));
      if (!body.has_more) break;
      after = body.last_id;
    }
    assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `batch_oai_${String(i).padStart(3, '0')}`));
  });

  test('batches are in full wire shape, newest first, every status present', async () => {
    const { body } = await getJson('/openai/v1/batches?limit=100');
    assert.equal(body.data.length, 25);
    assert.equal(body.has_more, false);
    assert.deepEqual([...new Set(body.data.map((b) => b.status))].sort(), [...STATUSES].sort());
    for (const [i, b] of body.data.entries()) {
      for (const field of OPENAI_FIELDS) assert.ok(field in b, `${b.id} lacks ${field}`);
      assert.ok(Number.isInteger(b.created_at));
      for (const [k, v] of Object.entries(b)) if (k.endsWith('_at')) assert.ok(v === null || Number.isInteger(v), `${b.id}.${k}`);
      assert.deepEqual(Object.keys(b.request_counts).sort(), ['completed', 'failed', 'total']);
      if (i > 0) assert.ok(b.created_at < body.data[i - 1].created_at);
      if (b.errors !== null) {
        assert.equal(b.errors.object, 'list');
        assert.deepEqual(Object.keys(b.errors.data[0]).sort(), ['code', 'line', 'message', 'param']);
      }
    }
    assert.ok(body.data.some((b) => b.errors !== null));
    assert.ok(body.data.some((b) => 'model' in b && 'usage' in b));
    assert.ok(body.data.some((b) => b.metadata === null));
  });

  test('limit is clamped to 1..100 and defaults to 20', async () => {
    assert.equal((await getJson('/openai/v1/batches?limit=0')).body.data.length, 1);
    assert.equal((await getJson('/openai/v1/batches?limit=-5')).body.data.length, 1);
    assert.equal((await getJson('/openai/v1/batches?limit=1000')).body.data.length, 25);
    assert.equal((await getJson('/openai/v1/batches?limit=abc')).body.data.length, 20);
  });

  test('after the last batch: an empty page with null ids', async () => {
    const { body } = await getJson('/openai/v1/batches?after=batch_oai_024');
    assert.deepEqual(body, { object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  test('unknown after cursor: 400', async () => {
    const { res, body } = await getJson('/openai/v1/batches?after=batch_nope');
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'invalid_cursor');
    assert.equal(body.error.param, 'after');
    assert.equal(body.error.type, 'invalid_request_error');
  });

  test('retrieve, with the id percent-decoded', async () => {
    const { body } = await getJson('/openai/v1/batches/batch_oai_003');
    assert.equal(body.id, 'batch_oai_003');
    assert.equal(body.status, 'completed');
    const encoded = await getJson('/openai/v1/batches/batch%5Foai%5F003');
    assert.deepEqual(encoded.body, body);
  });

  test('404 shape', async () => {
    const { res, body } = await getJson('/openai/v1/batches/batch_missing');
    assert.equal(res.status, 404);
    assert.deepEqual(body, {
      error: { message: "No batch found with id 'batch_missing'.", type: 'invalid_request_error', param: null, code: 'not_found' },
    });
  });
});

describe('PPInfra dialect', () => {
  test('GET /batches with no params is exactly the fixture page', async () => {
    const { res, body } = await getJson('/ppinfra/openai/v1/batches');
    assert.equal(res.status, 200);
    assert.deepEqual(body, fixture('ppinfra_list_page.json'));
  });

  test('pagination keeps the fixture order', async () => {
    const first = (await getJson('/ppinfra/openai/v1/batches?limit=2')).body;
    assert.deepEqual(first.data.map((b) => b.id), ['batch_ppi_001', 'batch_ppi_002']);
    assert.equal(first.has_more, true);
    const second = (await getJson(`/ppinfra/openai/v1/batches?limit=2&after=${first.last_id}`)).body;
    assert.deepEqual(second.data.map((b) => b.id), ['batch_ppi_003', 'batch_ppi_004']);
    assert.equal(second.has_more, false);
    assert.equal(second.first_id, 'batch_ppi_003');
    assert.equal(second.last_id, 'batch_ppi_004');
  });

  test('retrieve sends the raw PPInfra batch', async () => {
    const { body } = await getJson('/ppinfra/openai/v1/batches/batch_ppi_003');
    assert.deepEqual(body, fixture('ppinfra_list_page.json').data[2]);
  });

  test('404 and 400 shapes: numeric code and upper-case reason', async () => {
    const missing = await getJson('/ppinfra/openai/v1/batches/batch_missing');
    assert.equal(missing.res.status, 404);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'message', 'metadata', 'reason']);
    assert.equal(missing.body.code, 404);
    assert.equal(missing.body.reason, 'NOT_FOUND');
    assert.deepEqual(missing.body.metadata, {});
    const cursor = await getJson('/ppinfra/openai/v1/batches?after=nope');
    assert.equal(cursor.res.status, 400);
    assert.equal(cursor.body.reason, 'BAD_REQUEST');
  });
});

describe('token360 dialect', () => {
  test('retrieve equals the fixture', async () => {
    const { body } = await getJson('/token360/v1/batches/batch_01abc');
    assert.deepEqual(body, fixture('token360_retrieve.json'));
  });

  test('list: the fixture among its neighbours, newest first, integer timestamps', async () => {
    const { body } = await getJson('/token360/v1/batches');
    assert.ok(body.data.length >= 5);
    assert.equal(body.has_more, false);
    assert.ok(body.data.some((b) => b.id === 'batch_01abc'));
    for (const [i, b] of body.data.entries()) {
      assert.ok(Number.isInteger(b.created_at));
      if (i > 0) assert.ok(b.created_at < body.data[i - 1].created_at);
    }
  });

  test('404 in the OpenAI shape', async () => {
    const { res, body } = await getJson('/token360/v1/batches/batch_missing');
    assert.equal(res.status, 404);
    assert.equal(body.error.code, 'not_found');
  });
});

describe('routing and auth', () => {
  for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Basic abc' }, { authorization: '' }]) {
    test(`401 with authorization ${JSON.stringify(headers.authorization)}`, async () => {
      const res = await fetch(`${mock.url}/openai/v1/batches`, { headers });
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.error.code, 'invalid_api_key');
    });
  }

  test('401 in the PPInfra shape', async () => {
    const res = await fetch(`${mock.url}/ppinfra/openai/v1/batches/batch_ppi_001`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      code: 401, reason: 'UNAUTHORIZED', message: "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", metadata: {},
    });
  });

  test('other routes are 404', async () => {
    for (const p of ['/openai/v1', '/openai/v1/files', '/openai/v1/batches/', '/openai/v1/batches/a/b', '/openai/v2/batches']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      await res.arrayBuffer();
    }
    const post = await fetch(`${mock.url}/openai/v1/batches`, { method: 'POST', headers: AUTH, body: '{}' });
    assert.equal(post.status, 404);
    assert.equal((await post.json()).error.code, 'not_found');
  });

  test('x-request-id increments and is exposed to browsers', async () => {
    const a = await get('/openai/v1/batches/batch_oai_000');
    const b = await get('/openai/v1/batches/batch_missing');
    const [na, nb] = [a, b].map((r) => Number(r.headers.get('x-request-id').replace(/^req_/, '')));
    assert.equal(nb, na + 1);
    assert.equal(a.headers.get('access-control-allow-origin'), '*');
    assert.match(a.headers.get('access-control-expose-headers'), /x-request-id, retry-after, retry-after-ms, x-should-retry, openai-poll-after-ms/);
    await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
  });

  test('CORS preflight echoes the asked-for headers and is recorded', async () => {
    const res = await fetch(`${mock.url}/openai/v1/batches`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,x-mock-fault' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization,x-mock-fault');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, DELETE, OPTIONS');
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.requests[0].method, 'OPTIONS');
  });

  test('requests are recorded raw', async () => {
    await (await get('/openai/v1/batches/batch%5Foai%5F001?x=1&y=two', { 'X-Custom': 'Yes' })).arrayBuffer();
    await (await fetch(`${mock.url}/openai/v1/batches`, { method: 'POST', headers: AUTH, body: '{"a":1}' })).arrayBuffer();
    assert.equal(mock.requests.length, 2);
    const [first, second] = mock.requests;
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/openai/v1/batches/batch%5Foai%5F001');
    assert.deepEqual(first.query, { x: '1', y: 'two' });
    assert.equal(first.headers['x-custom'], 'Yes');
    assert.equal(first.headers.authorization, `Bearer ${KEY}`);
    assert.equal(first.body, '');
    assert.equal(typeof first.time, 'number');
    assert.ok(Math.abs(first.time - Date.now()) < 10_000);
    assert.equal(second.body, '{"a":1}');
  });

  test('reset() empties the same requests array', async () => {
    const array = mock.requests;
    await (await get('/openai/v1/batches')).arrayBuffer();
    mock.reset();
    assert.equal(mock.requests, array);
    assert.equal(array.length, 0);
  });

  test('startMock refuses a non-loopback host', async () => {
    await assert.rejects(startMock({ host: '0.0.0.0' }), /loopback/);
  });
});

describe('faults', () => {
  const faulty = (p, spec, headers = {}) => get(p, { 'x-mock-fault': spec, ...headers });

  test('status=503: dialect error body and a short retry-after-ms', async () => {
    const res = await faulty('/openai/v1/batches', 'status=503');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after-ms'), '10');
    const body = await res.json();
    assert.equal(body.error.code, 'server_error');
    assert.equal(body.error.type, 'server_error');
    const pp = await faulty('/ppinfra/openai/v1/batches', 'status=503');
    assert.deepEqual(Object.keys(await pp.json()).sort(), ['code', 'message', 'metadata', 'reason']);
  });

  test('status=429 with params, status=404 without retry headers', async () => {
    const res = await faulty('/openai/v1/batches/batch_oai_000', 'status=429;retry_after_ms=25;retry_after=1;should_retry=true');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after-ms'), '25');
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(res.headers.get('x-should-retry'), 'true');
    assert.equal((await res.json()).error.code, 'rate_limit_exceeded');
    const pp = await faulty('/ppinfra/openai/v1/batches', 'status=429');
    assert.equal((await pp.json()).reason, 'TOO_MANY_REQUESTS');
    const nf = await faulty('/openai/v1/batches', 'status=404;code=gone;message=Nope');
    assert.equal(nf.headers.get('retry-after-ms'), null);
    assert.deepEqual(await nf.json(), { error: { message: 'Nope', type: 'invalid_request_error', param: null, code: 'gone' } });
    const none = await faulty('/openai/v1/batches', 'status=500;retry_after_ms=none');
    assert.equal(none.headers.get('retry-after-ms'), null);
    await none.arrayBuffer();
  });

  test('faults apply before auth', async () => {
    const res = await fetch(`${mock.url}/openai/v1/batches`, { headers: { 'x-mock-fault': 'status=500' } });
    assert.equal(res.status, 500);
    await res.arrayBuffer();
  });

  test('malformed_json', async () => {
    const res = await faulty('/openai/v1/batches/batch_oai_000', 'malformed_json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const text = await res.text();
    assert.equal(text, '{"id": "batch_');
    assert.throws(() => JSON.parse(text));
  });

  test('html', async () => {
    const res = await faulty('/openai/v1/batches', 'html');
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<h1>502 Bad Gateway<\/h1>/);
  });

  test('hang: no answer until the client gives up', async () => {
    const started = Date.now();
    await assert.rejects(
      fetch(`${mock.url}/openai/v1/batches`, { headers: { ...AUTH, 'x-mock-fault': 'hang' }, signal: AbortSignal.timeout(200) }),
      { name: 'TimeoutError' },
    );
    assert.ok(Date.now() - started >= 190);
  });

  test('drop: the connection dies before any header', async () => {
    await assert.rejects(faulty('/openai/v1/batches', 'drop'), TypeError);
    assert.equal(mock.requests.length, 1);
  });

  test('error_body_200', async () => {
    const res = await faulty('/openai/v1/batches/batch_oai_000', 'error_body_200');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      error: { message: 'Batch expired', type: 'invalid_request_error', code: 'batch_expired', param: null },
    });
  });

  test('echo_auth: the error message carries the Authorization header', async () => {
    const res = await faulty('/openai/v1/batches', 'echo_auth');
    assert.equal(res.status, 400);
    assert.ok((await res.json()).error.message.includes(`Bearer ${KEY}`));
    const pp = await faulty('/ppinfra/openai/v1/batches', 'echo_auth');
    assert.ok((await pp.json()).message.includes(KEY));
  });

  test('wrong_types: a batch, or a page of one', async () => {
    const one = await (await faulty('/openai/v1/batches/batch_oai_000', 'wrong_types')).json();
    assert.equal(one.status, 42);
    assert.equal(one.request_counts, 'many');
    assert.equal(one.created_at, true);
    assert.deepEqual(one.metadata, [1, 2]);
    assert.equal(one.id, 12345);
    const page = await (await faulty('/openai/v1/batches', 'wrong_types')).json();
    assert.equal(page.object, 'list');
    assert.equal(page.data[0].status, 42);
  });

  test('a bad spec is reported, not ignored', async () => {
    for (const spec of ['bogus', 'status=abc', 'status=99', 'status=503;times=0', 'status=503;times=x']) {
      const res = await faulty('/openai/v1/batches', spec);
      assert.equal(res.status, 400, spec);
      assert.equal((await res.json()).error.type, 'mock_error');
    }
    // An empty header is no fault, so a harness can pass `process.env.FAULT ?? ''` through.
    assert.equal((await faulty('/openai/v1/batches', '')).status, 200);
    assert.throws(() => mock.addFault({ path: '/batches', fault: 'nope' }), /unknown fault kind/);
  });

  test('header fault with times and key: the first N per key, then normal service', async () => {
    const statuses = async (spec, n) => {
      const out = [];
      for (let i = 0; i < n; i += 1) {
        const res = await faulty('/openai/v1/batches/batch_oai_000', spec);
        out.push(res.status);
        await res.arrayBuffer();
      }
      return out;
    };
    assert.deepEqual(await statuses('status=500;times=2;key=k1', 4), [500, 500, 200, 200]);
    assert.deepEqual(await statuses('status=500;times=2;key=k2', 3), [500, 500, 200]);
    assert.deepEqual(await statuses('status=500;times=2;key=k1', 1), [200]);
    assert.deepEqual(await statuses('status=503', 3), [503, 503, 503]);
  });

  test('programmatic faults: path suffix, times, method, RegExp, clear', async () => {
    mock.addFault({ path: '/batches/batch_oai_001', fault: 'status=500', times: 1 });
    const statusOf = async (p, init = {}) => {
      const res = await fetch(mock.url + p, { headers: AUTH, ...init });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await statusOf('/openai/v1/batches/batch_oai_002'), 200);
    assert.equal(await statusOf('/openai/v1/batches/batch_oai_001'), 500);
    assert.equal(await statusOf('/openai/v1/batches/batch_oai_001'), 200);

    mock.addFault({ method: 'POST', path: '/batches', fault: 'status=503' });
    assert.equal(await statusOf('/openai/v1/batches'), 200);
    assert.equal(await statusOf('/openai/v1/batches', { method: 'POST', body: '{}' }), 503);

    mock.addFault({ path: /^\/batches\/batch_ppi_/, fault: 'status=409;times=2' });
    assert.equal(await statusOf('/ppinfra/openai/v1/batches/batch_ppi_001'), 409);
    assert.equal(await statusOf('/ppinfra/openai/v1/batches/batch_ppi_002'), 409);
    assert.equal(await statusOf('/ppinfra/openai/v1/batches/batch_ppi_003'), 200);

    mock.addFault({ dialect: 'token360', fault: 'status=502' });
    assert.equal(await statusOf('/openai/v1/batches/batch_oai_000'), 200);
    assert.equal(await statusOf('/token360/v1/batches/batch_01abc'), 502);

    // A preflight never consumes a fault: browsers send one before the request that should fail.
    assert.equal(await statusOf('/token360/v1/batches', { method: 'OPTIONS' }), 204);

    mock.clearFaults();
    assert.equal(await statusOf('/token360/v1/batches/batch_01abc'), 200);
  });

  test('HTTP control routes: arm, inspect, clear; never recorded, no auth', async () => {
    const arm = await fetch(`${mock.url}/__mock/faults`, {
      method: 'POST',
      body: JSON.stringify({ method: 'GET', path: '/batches/batch_oai_000', fault: 'status=500', times: 1 }),
    });
    assert.equal(arm.status, 201);
    await arm.arrayBuffer();
    assert.equal((await get('/openai/v1/batches/batch_oai_000')).status, 500);
    assert.equal((await get('/openai/v1/batches/batch_oai_000')).status, 200);

    const regex = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify({ pathRegex: 'oai_00[12]$', fault: 'html' }) });
    await regex.arrayBuffer();
    assert.equal((await get('/openai/v1/batches/batch_oai_002')).status, 502);
    await (await fetch(`${mock.url}/__mock/faults`, { method: 'DELETE' })).arrayBuffer();
    assert.equal((await get('/openai/v1/batches/batch_oai_002')).status, 200);

    const recorded = await (await fetch(`${mock.url}/__mock/requests`)).json();
    assert.equal(recorded.length, 4);
    assert.ok(recorded.every((r) => r.path.startsWith('/openai/v1/')));
    await (await fetch(`${mock.url}/__mock/requests`, { method: 'DELETE' })).arrayBuffer();
    assert.deepEqual(await (await fetch(`${mock.url}/__mock/requests`)).json(), []);

    const bad = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify({ fault: 'nope' }) });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /unknown fault kind/);
    const notJson = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: '{' });
    assert.equal(notJson.status, 400);
    await notJson.arrayBuffer();

    await (await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify({ fault: 'status=500' }) })).arrayBuffer();
    await (await fetch(`${mock.url}/__mock/reset`, { method: 'POST' })).arrayBuffer();
    assert.equal((await get('/openai/v1/batches')).status, 200);
  });
});

describe('static files', () => {
  const expectType = async (p, type) => {
    const res = await fetch(mock.url + p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('content-type'), type, p);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    return res;
  };

  test('content types, index.html, longest prefix', async () => {
    assert.match(await (await expectType('/', 'text/html; charset=utf-8')).text(), /www index/);
    await (await expectType('/app.js', 'text/javascript; charset=utf-8')).arrayBuffer();
    await (await expectType('/style.css', 'text/css; charset=utf-8')).arrayBuffer();
    await (await expectType('/logo.svg', 'image/svg+xml')).arrayBuffer();
    assert.equal(await (await expectType('/pkg/browser.js', 'text/javascript; charset=utf-8')).text(), 'export const pkg = 1;');
    await (await expectType('/pkg/package.json', 'application/json')).arrayBuffer();
    const wasm = await expectType('/pkg/llm_batches_bg.wasm', 'application/wasm');
    assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())));
    assert.equal(await (await expectType('/sub/', 'text/html; charset=utf-8')).text(), 'sub index');
  });

  test('a directory without its slash redirects', async () => {
    const res = await fetch(`${mock.url}/sub`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/sub/');
  });

  test('missing files are 404; static is not API (no auth, not recorded)', async () => {
    assert.equal((await fetch(`${mock.url}/nope.js`)).status, 404);
    assert.equal((await fetch(`${mock.url}/pkg/nope.wasm`)).status, 404);
    assert.equal(mock.requests.length, 0);
  });

  test('no way out of the directory', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/pkg/../../secret.txt', '/pkg/..%2f..%2fsecret.txt', '/pkg/%2e%2e%2F%2e%2e%2Fsecret.txt', '/%2fetc%2fpasswd', '/app.js%00.html']) {
      const res = await rawGet(mock.port, p);
      assert.equal(res.status, 404, p);
      assert.ok(!res.body.includes('TOP SECRET'), p);
    }
    // The same file is reachable when legitimately mounted: the check above is not vacuous.
    const around = await startMock({ static: { '/': root } });
    try {
      assert.equal((await rawGet(around.port, '/secret.txt')).body, 'TOP SECRET');
    } finally {
      await around.close();
    }
  });
});

describe('lifecycle', () => {
  test('close() ends hanging requests and resolves', async () => {
    const other = await startMock();
    const pending = fetch(`${other.url}/openai/v1/batches`, { headers: { ...AUTH, 'x-mock-fault': 'hang' } });
    pending.catch(() => {}); // observed below; avoid an unhandled rejection in between
    while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await other.close();
    await assert.rejects(pending, TypeError);
    assert.ok(Date.now() - started < 2000);
  });

  test('close() also ends idle keep-alive connections and may be called twice', async () => {
    const other = await startMock();
    await (await fetch(`${other.url}/openai/v1/batches`, { headers: AUTH })).arrayBuffer();
    await other.close();
    await other.close();
  });

  test('CLI: one line, serves, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--port', '0', '--static', `/=${path.join(root, 'www')}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const m = stdout.match(/^mock provider listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const res = await fetch(`${url}/openai/v1/batches/batch_oai_000`, { headers: AUTH });
    assert.equal((await res.json()).id, 'batch_oai_000');
    assert.match(await (await fetch(`${url}/`)).text(), /www index/);
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(stdout.split('\n').filter(Boolean).length, 1);
  });
});
