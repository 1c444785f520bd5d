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
    for (const p of ['/openai/v1', '/openai/v1/files', '/openai/v1/batches/', '/openai/v1/batches/a/b', '/openai/v2/batches', '/openai/v1/files/f/content/x']) {
      const res = await get(p);
      assert.equal(res.status, 404, p);
      await res.arrayBuffer();
    }
    for (const [method, p] of [['POST', '/openai/v1/batches/batch_oai_000'], ['DELETE', '/openai/v1/batches/batch_oai_000'], ['GET', '/openai/v1/batches/batch_oai_000/cancel'], ['PUT', '/openai/v1/files']]) {
      const res = await fetch(mock.url + p, { method, headers: AUTH, body: method === 'GET' ? undefined : '{}' });
      assert.equal(res.status, 404, `${method} ${p}`);
      assert.equal((await res.json()).error.code, 'not_found');
    }
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

// ---- files, batch creation and the clock ----------------------------------------------------------

/** Multipart by hand, so a test controls every byte (and can send what fetch would never). */
function multipart(parts, boundary = 'mockBoundary7MA4YWxk') {
  const chunks = [];
  for (const { name, filename, content } of parts) {
    const disposition = `form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`;
    const type = filename === undefined ? '' : 'Content-Type: application/octet-stream\r\n';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function upload(m, prefix, content, { filename = 'input.jsonl', purpose = 'batch' } = {}) {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new Blob([content]), filename);
  const res = await fetch(`${m.url}${prefix}/files`, { method: 'POST', headers: AUTH, body: form });
  return { res, body: await res.json() };
}

const postJson = (m, p, value, headers = {}) =>
  fetch(m.url + p, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', ...headers }, body: typeof value === 'string' ? value : JSON.stringify(value) });

const requestLine = (customId, body = {}) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [], ...body } });

async function readText(m, p) {
  const res = await fetch(m.url + p, { headers: AUTH });
  assert.equal(res.status, 200, p);
  return res.text();
}

describe('files', () => {
  test('upload: multipart in, file object out, content back byte for byte', async () => {
    const content = Buffer.concat([Buffer.from('{"a":"é👋"}\r\n'), Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a, 0x2d, 0x2d]), Buffer.from('\n--not-a-boundary\n')]);
    const { res, body } = await upload(mock, '/openai/v1', content, { filename: 'my "input".jsonl' });
    assert.equal(res.status, 200);
    assert.match(body.id, /^file-/);
    assert.equal(typeof body.created_at, 'number');
    assert.ok(Math.abs(body.created_at - Date.now() / 1000) < 60);
    assert.deepEqual({ ...body, id: 'X', created_at: 0 }, {
      id: 'X', object: 'file', bytes: content.length, created_at: 0, filename: 'my "input".jsonl', purpose: 'batch', status: 'processed',
    });
    const back = await fetch(`${mock.url}/openai/v1/files/${body.id}/content`, { headers: AUTH });
    assert.equal(back.headers.get('content-type'), 'application/octet-stream');
    assert.equal(back.headers.get('content-length'), String(content.length));
    assert.deepEqual(Buffer.from(await back.arrayBuffer()), content);
    assert.deepEqual((await getJson(`/openai/v1/files/${body.id}`)).body, body);
  });

  test('upload: a hand-made body with a quoted boundary; files belong to their dialect', async () => {
    const { body, type } = multipart([{ name: 'purpose', content: 'batch' }, { name: 'file', filename: 'x.jsonl', content: 'line\n' }], 'b0undary');
    const res = await fetch(`${mock.url}/ppinfra/openai/v1/files`, { method: 'POST', headers: { ...AUTH, 'content-type': type.replace('b0undary', '"b0undary"') }, body });
    const file = await res.json();
    assert.equal(file.filename, 'x.jsonl');
    assert.equal(file.bytes, 5);
    assert.equal(await readText(mock, `/ppinfra/openai/v1/files/${file.id}/content`), 'line\n');
    assert.equal((await get(`/openai/v1/files/${file.id}/content`)).status, 404);
  });

  test('upload: 400 without a file or a purpose, or without multipart', async () => {
    const cases = [
      [multipart([{ name: 'purpose', content: 'batch' }]), 'file'],
      [multipart([{ name: 'file', content: 'no filename, so a plain field' }, { name: 'purpose', content: 'batch' }]), 'file'],
      [multipart([{ name: 'file', filename: 'a.jsonl', content: 'x' }]), 'purpose'],
      [multipart([{ name: 'file', filename: 'a.jsonl', content: 'x' }, { name: 'purpose', content: '' }]), 'purpose'],
    ];
    for (const [{ body, type }, param] of cases) {
      const res = await fetch(`${mock.url}/openai/v1/files`, { method: 'POST', headers: { ...AUTH, 'content-type': type }, body });
      assert.equal(res.status, 400);
      assert.deepEqual((await res.json()).error, {
        message: `Missing required parameter: '${param}'.`, type: 'invalid_request_error', param, code: 'missing_required_parameter',
      });
    }
    for (const [type, body] of [['application/json', '{}'], ['multipart/form-data', 'x'], ['multipart/form-data; boundary=zz', '--zz\r\nbroken']]) {
      const res = await fetch(`${mock.url}/openai/v1/files`, { method: 'POST', headers: { ...AUTH, 'content-type': type }, body });
      assert.equal(res.status, 400, type);
      assert.equal((await res.json()).error.code, 'invalid_request');
    }
    const pp = await fetch(`${mock.url}/ppinfra/openai/v1/files`, { method: 'POST', headers: AUTH, body: 'x' });
    assert.equal((await pp.json()).reason, 'BAD_REQUEST');
    assert.equal(mock.requests.length, 8);
  });

  test('unknown files are 404 in the dialect shape', async () => {
    const oai = await getJson('/openai/v1/files/file-nope/content');
    assert.equal(oai.res.status, 404);
    assert.equal(oai.body.error.code, 'not_found');
    const pp = await getJson('/ppinfra/openai/v1/files/file-nope');
    assert.equal(pp.body.reason, 'NOT_FOUND');
  });

  test('addFile and the control route store files without an upload', async () => {
    const file = mock.addFile({ dialect: 'token360', id: 'file-fixed', content: 'a\nb' });
    assert.deepEqual({ ...file, created_at: 0 }, {
      id: 'file-fixed', object: 'file', bytes: 3, created_at: 0, filename: 'file-fixed.jsonl', purpose: 'batch', status: 'processed',
    });
    assert.equal(await readText(mock, '/token360/v1/files/file-fixed/content'), 'a\nb');
    assert.throws(() => mock.addFile({ dialect: 'token360', id: 'file-fixed', content: 'again' }), /duplicate file id/);
    assert.throws(() => mock.addFile({ dialect: 'nope', content: 'x' }), /dialect must be one of/);
    const auto = mock.addFile({ content: new Uint8Array([1, 2, 3]) });
    assert.match(auto.id, /^file-\d{4}$/);

    const res = await fetch(`${mock.url}/__mock/files`, { method: 'POST', body: JSON.stringify({ dialect: 'ppinfra', id: 'file-ctl', content: 'hi' }) });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).file.bytes, 2);
    const gen = await fetch(`${mock.url}/__mock/files`, { method: 'POST', body: JSON.stringify({ id: 'file-gen-ctl', lines: 3, lineBytes: 600 }) });
    assert.equal((await gen.json()).file.bytes, 1800);
    const bad = await fetch(`${mock.url}/__mock/files`, { method: 'POST', body: JSON.stringify({ dialect: 'x', content: '' }) });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.type, 'mock_error');
    assert.equal(mock.requests.length, 1, 'control calls are not recorded');
  });

  test('generated files: exact size, one line per request, errors and malformed lines where asked', async () => {
    const bytes = mock.addGeneratedFile({ id: 'file-gen', lines: 30, lineBytes: 500, errorEvery: 4, malformedEvery: 10 });
    assert.equal(bytes, 15_000);
    assert.equal((await getJson('/openai/v1/files/file-gen')).body.bytes, 15_000);
    const text = await readText(mock, '/openai/v1/files/file-gen/content');
    assert.equal(Buffer.byteLength(text), 15_000);
    const lines = text.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 30);
    for (const [i, line] of lines.entries()) {
      const n = i + 1;
      assert.equal(Buffer.byteLength(line), 499, `line ${n}`);
      if (n % 10 === 0) {
        assert.throws(() => JSON.parse(line), SyntaxError, `line ${n} is malformed`);
        assert.ok(line.startsWith(`{"custom_id":"req-${n}"`));
        continue;
      }
      const result = JSON.parse(line);
      assert.equal(result.custom_id, `req-${n}`);
      assert.equal(result.error, null);
      if (n % 4 === 0) {
        assert.equal(result.response.status_code, 400);
        assert.equal(result.response.body.error.type, 'invalid_request_error');
      } else {
        assert.equal(result.response.status_code, 200);
        assert.equal(result.response.body.object, 'chat.completion');
        assert.equal(result.response.body.model, 'gpt-4o-mini');
        assert.match(result.response.body.choices[0].message.content, /^Answer \d+: héllo wörld 👋 lorem/);
      }
    }
    assert.equal(mock.addGeneratedFile({ id: 'file-default', lines: 2 }), 1100, 'lineBytes defaults to 550');
    assert.equal(mock.addGeneratedFile({ id: 'file-empty', lines: 0 }), 0);
    assert.throws(() => mock.addGeneratedFile({ id: 'file-tiny', lines: 5, lineBytes: 100 }), /lineBytes must be an integer of at least/);
    assert.throws(() => mock.addGeneratedFile({ id: 'file-neg', lines: -1 }), /lines/);
    assert.throws(() => mock.addGeneratedFile({ lines: 1 }), /file id/);
  });

  test('a big generated file streams with backpressure: a client that stops reading stops the mock', async () => {
    const bytes = mock.addGeneratedFile({ id: 'file-big', lines: 100_000 });
    assert.equal(bytes, 55_000_000);
    const res = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: mock.port, path: '/openai/v1/files/file-big/content', headers: AUTH }, resolve);
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.headers['content-length'], '55000000');
    res.pause(); // read nothing more
    const [download] = mock.downloads;
    let before;
    do {
      before = download.sent;
      await new Promise((r) => setTimeout(r, 100));
    } while (download.sent !== before); // until the socket's buffers are full
    assert.equal(download.state, 'streaming');
    assert.ok(download.sent < 16 * 1024 * 1024, `sent ${download.sent} bytes to a client that reads nothing`);
    res.destroy();
    assert.equal(await download.ended, 'closed');
    assert.deepEqual({ ...download, sent: 0, ended: null }, { path: '/openai/v1/files/file-big/content', fileId: 'file-big', bytes, sent: 0, state: 'closed', ended: null });
  });

  test('deliver: pieces of chunkBytes, waiting for drain when the socket is full', async () => {
    const { deliver } = await import('./delivery.mjs');
    const { bufferPayload } = await import('./files.mjs');
    const { EventEmitter } = await import('node:events');
    const writes = [];
    const res = Object.assign(new EventEmitter(), {
      destroyed: false,
      writeHead(status, headers) {
        this.head = { status, headers };
      },
      write(bytes) {
        writes.push(bytes.toString());
        // Every third write fills the socket; a drain follows later.
        if (writes.length % 3 !== 0) return true;
        setImmediate(() => this.emit('drain'));
        return false;
      },
      end() {
        this.ended = true;
      },
    });
    const download = { sent: 0, finish(state) { this.state = state; } };
    await deliver(res, { status: 200, headers: { 'content-type': 'text/plain' }, payload: bufferPayload(Buffer.from('abcdefghijklmnopqrstuvwxyz')) }, { chunkBytes: 4, download });
    assert.deepEqual(res.head, { status: 200, headers: { 'content-length': 26, 'content-type': 'text/plain' } });
    assert.deepEqual(writes, ['abcd', 'efgh', 'ijkl', 'mnop', 'qrst', 'uvwx', 'yz']);
    assert.equal(res.ended, true);
    assert.deepEqual([download.sent, download.state], [26, 'done']);
  });

  test('chunkBytes, stepMs, pollAfterMs and now are checked', async () => {
    await assert.rejects(startMock({ chunkBytes: 0 }), /chunkBytes/);
    await assert.rejects(startMock({ stepMs: 1.5 }), /stepMs/);
    await assert.rejects(startMock({ pollAfterMs: -1 }), /pollAfterMs/);
    await assert.rejects(startMock({ now: 5 }), /now must be a function/);
  });

  test('pollAfterMs: what a moving batch asks pollers to wait', async () => {
    const other = await startMock({ stepMs: 10_000, pollAfterMs: 25 });
    try {
      const file = other.addFile({ content: `${requestLine('a')}\n` });
      const created = await (await postJson(other, '/openai/v1/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions' })).json();
      const res = await fetch(`${other.url}/openai/v1/batches/${created.id}`, { headers: AUTH });
      assert.equal(res.headers.get('openai-poll-after-ms'), '25');
      await res.arrayBuffer();
    } finally {
      await other.close();
    }
  });
});

describe('batch lifecycle (a clock the test moves)', () => {
  const T0 = 1_795_400_000_000; // ms, a whole second
  const STEP = 1000;
  let clocked;
  let now = T0;

  before(async () => {
    clocked = await startMock({ now: () => now, stepMs: STEP });
  });
  after(() => clocked.close());
  beforeEach(() => {
    clocked.reset();
    now = T0;
  });

  const at = (steps) => {
    now = T0 + steps * STEP;
  };
  const retrieve = async (prefix, id) => {
    const res = await fetch(`${clocked.url}${prefix}/batches/${id}`, { headers: AUTH });
    assert.equal(res.status, 200);
    return { batch: await res.json(), pollAfter: res.headers.get('openai-poll-after-ms') };
  };
  /** Uploads `lines` and creates a batch from them; resolves to the created batch as sent. */
  async function createFrom(prefix, lines, extra = {}) {
    const file = await upload(clocked, prefix, `${lines.join('\n')}\n`);
    const res = await postJson(clocked, `${prefix}/batches`, { input_file_id: file.body.id, endpoint: '/v1/chat/completions', completion_window: '24h', ...extra });
    assert.equal(res.status, 200);
    return res.json();
  }

  test('create: a validating batch, first in the list, counting the input lines', async () => {
    const lines = [requestLine('a'), '', requestLine('b'), requestLine('c')];
    const batch = await createFrom('/openai/v1', lines, { metadata: { job: 'nightly' } });
    assert.deepEqual(batch, {
      id: 'batch_0001', object: 'batch', endpoint: '/v1/chat/completions', errors: null, input_file_id: 'file-0001',
      completion_window: '24h', status: 'validating', output_file_id: null, error_file_id: null,
      created_at: T0 / 1000, in_progress_at: null, expires_at: T0 / 1000 + 86_400, finalizing_at: null, completed_at: null,
      failed_at: null, expired_at: null, cancelling_at: null, cancelled_at: null,
      request_counts: { total: 3, completed: 0, failed: 0 }, metadata: { job: 'nightly' },
    });
    const page = await (await fetch(`${clocked.url}/openai/v1/batches?limit=2`, { headers: AUTH })).json();
    assert.deepEqual(page.data.map((b) => b.id), ['batch_0001', 'batch_oai_000']);
    assert.equal(clocked.batches('openai').length, 26);
    const { pollAfter } = await retrieve('/openai/v1', batch.id);
    assert.equal(pollAfter, String(STEP));
    const two = await createFrom('/openai/v1', [requestLine('x')], { completion_window: '48h' });
    assert.equal(two.expires_at, T0 / 1000 + 2 * 86_400);
    assert.equal(two.metadata, null);
    assert.deepEqual(clocked.batches().slice(0, 2).map((b) => b.id), ['batch_0002', 'batch_0001']);
  });

  test('create: 400 for a bad body, a missing or unknown input file, a missing endpoint', async () => {
    const input = clocked.addFile({ id: 'file-in', content: `${requestLine('a')}\n` });
    clocked.addGeneratedFile({ id: 'file-out', lines: 1 });
    const cases = [
      ['{', 'invalid_request', null],
      ['[]', 'invalid_request', null],
      [{ endpoint: '/v1/chat/completions' }, 'missing_required_parameter', 'input_file_id'],
      [{ input_file_id: input.id }, 'missing_required_parameter', 'endpoint'],
      [{ input_file_id: input.id, endpoint: 7 }, 'invalid_value', 'endpoint'],
      [{ input_file_id: 'file-nope', endpoint: '/v1/chat/completions' }, 'invalid_value', 'input_file_id'],
      [{ input_file_id: 'file-out', endpoint: '/v1/chat/completions' }, 'invalid_value', 'input_file_id'],
      [{ input_file_id: input.id, endpoint: '/v1/chat/completions', metadata: 'x' }, 'invalid_value', 'metadata'],
      [{ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: 24 }, 'invalid_value', 'completion_window'],
    ];
    for (const [body, code, param] of cases) {
      const res = await postJson(clocked, '/openai/v1/batches', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const { error } = await res.json();
      assert.deepEqual([error.code, error.param], [code, param], JSON.stringify(body));
    }
    const pp = await postJson(clocked, '/ppinfra/openai/v1/batches', { endpoint: '/v1/chat/completions', input_file_id: 'file-in' });
    assert.equal((await pp.json()).reason, 'BAD_REQUEST', 'files belong to their dialect');
    assert.equal(clocked.batches().length, 25, 'nothing was created');
  });

  test('the clock: validating, in_progress (counts growing), finalizing, completed with files', async () => {
    const lines = [requestLine('r1', { model: 'gpt-x' }), requestLine('r2', { fail: true }), requestLine('r3'), requestLine('r4', { fail: true })];
    const { id } = await createFrom('/openai/v1', lines);
    const seen = [];
    for (const steps of [0.5, 1, 1.5, 1.75, 2, 2.99]) {
      at(steps);
      const { batch, pollAfter } = await retrieve('/openai/v1', id);
      seen.push([steps, batch.status, batch.request_counts, batch.in_progress_at, batch.finalizing_at, pollAfter]);
    }
    const s = T0 / 1000;
    assert.deepEqual(seen, [
      [0.5, 'validating', { total: 4, completed: 0, failed: 0 }, null, null, '1000'],
      [1, 'in_progress', { total: 4, completed: 0, failed: 0 }, s + 1, null, '1000'],
      [1.5, 'in_progress', { total: 4, completed: 1, failed: 1 }, s + 1, null, '1000'],
      [1.75, 'in_progress', { total: 4, completed: 2, failed: 1 }, s + 1, null, '1000'],
      [2, 'finalizing', { total: 4, completed: 2, failed: 2 }, s + 1, s + 2, '1000'],
      [2.99, 'finalizing', { total: 4, completed: 2, failed: 2 }, s + 1, s + 2, '1000'],
    ]);
    at(3);
    const done = await retrieve('/openai/v1', id);
    assert.equal(done.pollAfter, null, 'a finished batch is not moving');
    assert.equal(done.batch.status, 'completed');
    assert.equal(done.batch.completed_at, s + 3);
    assert.match(done.batch.output_file_id, /^file-/);
    assert.match(done.batch.error_file_id, /^file-/);
    at(50);
    assert.deepEqual((await retrieve('/openai/v1', id)).batch, done.batch, 'stays put, same files');

    const output = (await readText(clocked, `/openai/v1/files/${done.batch.output_file_id}/content`)).split('\n');
    assert.equal(output.pop(), '');
    assert.deepEqual(output.map((l) => JSON.parse(l).custom_id), ['r1', 'r3']);
    const first = JSON.parse(output[0]);
    assert.equal(first.error, null);
    assert.equal(first.response.status_code, 200);
    assert.equal(first.response.body.model, 'gpt-x');
    assert.match(first.response.body.choices[0].message.content, /r1.*gpt-x/);
    const errors = (await readText(clocked, `/openai/v1/files/${done.batch.error_file_id}/content`)).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(errors.map((e) => [e.custom_id, e.response.status_code, e.response.body.error.type, e.error]), [
      ['r2', 400, 'invalid_request_error', null],
      ['r4', 400, 'invalid_request_error', null],
    ]);
  });

  test('no failing lines: no error file', async () => {
    const { id } = await createFrom('/openai/v1', [requestLine('only')]);
    at(3);
    const { batch } = await retrieve('/openai/v1', id);
    assert.equal(batch.error_file_id, null);
    assert.deepEqual(batch.request_counts, { total: 1, completed: 1, failed: 0 });
  });

  test('metadata.outcome fail and invalid input lines end failed, with errors', async () => {
    const asked = await createFrom('/openai/v1', [requestLine('a')], { metadata: { outcome: 'fail' } });
    const invalid = await createFrom('/openai/v1', [requestLine('a'), 'not json', '[1]']);
    at(1);
    const a = (await retrieve('/openai/v1', asked.id)).batch;
    assert.equal(a.status, 'failed');
    assert.equal(a.failed_at, T0 / 1000 + 1);
    assert.equal(a.errors.object, 'list');
    assert.equal(a.errors.data[0].code, 'batch_failed');
    assert.equal(a.output_file_id, null);
    const b = (await retrieve('/openai/v1', invalid.id)).batch;
    assert.deepEqual(b.errors.data.map((e) => [e.code, e.line]), [['invalid_json_line', 2], ['invalid_json_line', 3]]);

    const pp = await createFrom('/ppinfra/openai/v1', [requestLine('a')], { metadata: { outcome: 'fail' } });
    at(2);
    const ppBatch = (await retrieve('/ppinfra/openai/v1', pp.id)).batch;
    assert.equal(ppBatch.status, 'FAILED');
    assert.equal(typeof ppBatch.errors, 'string');
    assert.match(ppBatch.errors, /failed/);
  });

  test('metadata.outcome expire: half done, the rest in the error file as batch_expired', async () => {
    const { id } = await createFrom('/openai/v1', ['a', 'b', 'c', 'd'].map((c) => requestLine(c)), { metadata: { outcome: 'expire' } });
    at(1.5);
    assert.deepEqual((await retrieve('/openai/v1', id)).batch.request_counts, { total: 4, completed: 1, failed: 0 });
    at(2);
    const { batch } = await retrieve('/openai/v1', id);
    assert.equal(batch.status, 'expired');
    assert.equal(batch.expired_at, T0 / 1000 + 2);
    assert.deepEqual(batch.request_counts, { total: 4, completed: 2, failed: 0 });
    const errors = (await readText(clocked, `/openai/v1/files/${batch.error_file_id}/content`)).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(errors.map((e) => [e.custom_id, e.response, e.error.code]), [['c', null, 'batch_expired'], ['d', null, 'batch_expired']]);
  });

  test('cancel: cancelling now, cancelled one step later, counts frozen; 409 once ended', async () => {
    const { id } = await createFrom('/openai/v1', ['a', 'b', 'c', 'd'].map((c) => requestLine(c)));
    at(1.5);
    const res = await postJson(clocked, `/openai/v1/batches/${id}/cancel`, '');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('openai-poll-after-ms'), '1000');
    const cancelling = await res.json();
    assert.equal(cancelling.status, 'cancelling');
    assert.equal(cancelling.cancelling_at, T0 / 1000 + 1);
    assert.deepEqual(cancelling.request_counts, { total: 4, completed: 2, failed: 0 });
    at(2);
    assert.equal((await (await postJson(clocked, `/openai/v1/batches/${id}/cancel`, '')).json()).status, 'cancelling', 'cancelling again is fine');
    at(2.5);
    const { batch } = await retrieve('/openai/v1', id);
    assert.equal(batch.status, 'cancelled');
    assert.equal(batch.cancelled_at, T0 / 1000 + 2);
    assert.equal(batch.finalizing_at, null, 'the plan stopped at the cancel');
    assert.deepEqual(batch.request_counts, { total: 4, completed: 2, failed: 0 });
    const output = (await readText(clocked, `/openai/v1/files/${batch.output_file_id}/content`)).trim().split('\n');
    assert.deepEqual(output.map((l) => JSON.parse(l).custom_id), ['a', 'b']);
    const errors = (await readText(clocked, `/openai/v1/files/${batch.error_file_id}/content`)).trim().split('\n');
    assert.deepEqual(errors.map((l) => JSON.parse(l).error.code), ['batch_cancelled', 'batch_cancelled']);

    const again = await postJson(clocked, `/openai/v1/batches/${id}/cancel`, '');
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('x-should-retry'), 'false');
    assert.deepEqual((await again.json()).error, {
      message: `Cannot cancel batch '${id}': its status is 'cancelled'.`, type: 'invalid_request_error', param: null, code: 'conflict',
    });
    const missingOne = await postJson(clocked, '/openai/v1/batches/batch_nope/cancel', '');
    assert.equal(missingOne.status, 404);
    await missingOne.arrayBuffer();
  });

  test('cancel in PPInfra and token360 shapes; fixture batches can be cancelled too', async () => {
    const pp = await createFrom('/ppinfra/openai/v1', [requestLine('a')]);
    at(0.5);
    const ppCancel = await (await postJson(clocked, `/ppinfra/openai/v1/batches/${pp.id}/cancel`, '')).json();
    assert.equal(ppCancel.status, 'CANCELLING');
    assert.equal(ppCancel.cancelling_at, T0 / 1000);
    assert.deepEqual(ppCancel.cancelled_at, {});
    at(1.5);
    const ppDone = (await retrieve('/ppinfra/openai/v1', pp.id)).batch;
    assert.equal(ppDone.status, 'CANCELLED');
    assert.equal(ppDone.cancelled_at, T0 / 1000 + 1);
    assert.deepEqual(ppDone.in_progress_at, {}, 'cancelled while validating');
    assert.equal(ppDone.output_file_id, '', 'nothing done: no output file');

    const fixture = await (await postJson(clocked, '/ppinfra/openai/v1/batches/batch_ppi_001/cancel', '')).json();
    assert.equal(fixture.status, 'CANCELLING');
    assert.equal(fixture.version, 3, 'otherwise the fixture as it was');
    at(3);
    assert.equal((await retrieve('/ppinfra/openai/v1', 'batch_ppi_001')).batch.status, 'CANCELLED');
    const done = await postJson(clocked, '/ppinfra/openai/v1/batches/batch_ppi_002/cancel', '');
    assert.equal(done.status, 409);
    assert.deepEqual(await done.json(), { code: 409, reason: 'CONFLICT', message: "Cannot cancel batch 'batch_ppi_002': its status is 'COMPLETED'.", metadata: {} });

    const t = await (await postJson(clocked, '/token360/v1/batches/batch_02run/cancel', '')).json();
    assert.equal(t.status, 'cancelling');
    assert.equal(t.cancelling_at, T0 / 1000 + 3);
    assert.ok(!('cancelled_at' in t), 'token360 leaves unset timestamps out');
    const oai = await (await postJson(clocked, '/openai/v1/batches/batch_oai_000/cancel', '')).json();
    assert.equal(oai.cancelled_at, null);
    clocked.reset();
    assert.equal((await retrieve('/openai/v1', 'batch_oai_000')).batch.status, 'validating', 'reset restores the fixtures');
  });

  test('PPInfra shape of a created batch', async () => {
    const created = await createFrom('/ppinfra/openai/v1', [requestLine('a'), requestLine('b', { fail: true })], { metadata: { job: 'x' } });
    assert.equal(created.status, 'VALIDATING');
    assert.equal(created.created_at, new Date(T0).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(created.in_progress_at, {});
    assert.equal(created.output_file_id, '');
    assert.equal(created.errors, '');
    assert.equal(created.total, 2);
    assert.ok(!('request_counts' in created), 'counts at the top level only');
    for (const key of ['version', 'created_by', 'created_by_key_id', 'remark', 'updated_at']) assert.ok(key in created, key);
    at(1.5);
    const running = (await retrieve('/ppinfra/openai/v1', created.id)).batch;
    assert.equal(running.status, 'PROGRESS');
    assert.deepEqual([running.total, running.completed, running.failed], [2, 1, 0]);
    at(3);
    const done = (await retrieve('/ppinfra/openai/v1', created.id)).batch;
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.version, 4);
    assert.equal(done.updated_at, new Date(T0 + 3000).toISOString().replace('.000Z', 'Z'));
    assert.match(done.output_file_id, /^file-/);
    assert.match(await readText(clocked, `/ppinfra/openai/v1/files/${done.error_file_id}/content`), /"custom_id":"b"/);
  });

  test('nothing is scheduled: creating batches starts no timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await createFrom('/openai/v1', [requestLine('a')]);
    await createFrom('/token360/v1', [requestLine('a')]);
    assert.equal(timers(), before);
  });
});

describe('delivery faults', () => {
  test('drop_after_create: the batch is created, the client gets no answer', async () => {
    const file = mock.addFile({ content: `${requestLine('a')}\n` });
    const body = { input_file_id: file.id, endpoint: '/v1/chat/completions' };
    await assert.rejects(postJson(mock, '/openai/v1/batches', body, { 'x-mock-fault': 'drop_after_create' }), TypeError);
    const [newest] = mock.batches('openai');
    assert.equal(newest.input_file_id, file.id);
    assert.equal(newest.status, 'validating');
    mock.addFault({ method: 'POST', path: '/batches', fault: 'drop_after_create', times: 1 });
    await assert.rejects(postJson(mock, '/openai/v1/batches', body), TypeError);
    assert.equal(mock.batches('openai').filter((b) => b.input_file_id === file.id).length, 2);
  });

  test('drop_mid_body: headers and half the body, then the connection dies', async () => {
    mock.addGeneratedFile({ id: 'file-half', lines: 10, lineBytes: 1000 });
    const res = await get('/openai/v1/files/file-half/content', { 'x-mock-fault': 'drop_mid_body' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '10000');
    const reader = res.body.getReader();
    let received = 0;
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    }, TypeError);
    assert.equal(received, 5000);
    assert.deepEqual([mock.downloads[0].sent, await mock.downloads[0].ended], [5000, 'dropped']);
    const json = await get('/openai/v1/batches/batch_oai_000', { 'x-mock-fault': 'drop_mid_body' });
    assert.equal(json.status, 200);
    await assert.rejects(json.json());
  });

  test('slow: the real answer, a few bytes at a time', async () => {
    const expected = (await getJson('/openai/v1/batches/batch_oai_001')).body;
    const started = Date.now();
    const res = await get('/openai/v1/batches/batch_oai_001', { 'x-mock-fault': 'slow;bytes=200;every=30' });
    assert.deepEqual(await res.json(), expected);
    const pieces = Math.ceil(JSON.stringify(expected).length / 200);
    assert.ok(pieces >= 3);
    assert.ok(Date.now() - started >= (pieces - 1) * 30 - 5, `${Date.now() - started} ms for ${pieces} pieces`);
  });

  test('delivery faults apply to error answers too, and before auth', async () => {
    const res = await fetch(`${mock.url}/openai/v1/batches/batch_missing`, { headers: { 'x-mock-fault': 'drop_mid_body' } });
    assert.equal(res.status, 401);
    await assert.rejects(res.text());
  });
});

describe('faults of the fault matrix (tests/shared/faults.mjs)', () => {
  test('retry_after_date: Retry-After as an HTTP date that many seconds ahead', async () => {
    const res = await get('/openai/v1/batches/batch_oai_000', { 'x-mock-fault': 'status=429;retry_after_ms=none;retry_after_date=30' });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after-ms'), null);
    const at = Date.parse(res.headers.get('retry-after'));
    assert.match(res.headers.get('retry-after'), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.ok(Math.abs(at - (Date.now() + 30_000)) < 2_000, res.headers.get('retry-after'));
    await res.arrayBuffer();
    const bad = await get('/openai/v1/batches', { 'x-mock-fault': 'status=429;retry_after_date=soon' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  test('huge: a JSON batch (or a page of it) padded to mb MiB, or an HTML page of another status', async () => {
    const one = await get('/openai/v1/batches/batch_oai_000', { 'x-mock-fault': 'huge;mb=2' });
    assert.equal(one.status, 200);
    assert.equal(one.headers.get('content-length'), String(2 * 1024 * 1024));
    const batch = await one.json();
    assert.equal(batch.id, 'batch_huge');
    assert.equal(batch.object, 'batch');
    assert.ok(batch.padding.length > 2 * 1024 * 1024 - 300);
    const page = await (await get('/openai/v1/batches', { 'x-mock-fault': 'huge;mb=1' })).json();
    assert.deepEqual([page.object, page.data.length, page.data[0].id, page.has_more], ['list', 1, 'batch_huge', false]);
    const html = await get('/openai/v1/batches', { 'x-mock-fault': 'huge;mb=1;status=502' });
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type'), /^text\/html/);
    const text = await html.text();
    assert.equal(Buffer.byteLength(text), 1024 * 1024);
    assert.match(text, /^<html>[\s\S]*<h1>502 Bad Gateway<\/h1>[\s\S]*<\/html>\n$/);
    for (const spec of ['huge;mb=0', 'huge;mb=x', 'huge;status=99']) {
      const res = await get('/openai/v1/batches', { 'x-mock-fault': spec });
      assert.equal(res.status, 400, spec);
      await res.arrayBuffer();
    }
  });

  test('keepAlive: false closes every connection after its answer', async () => {
    const closing = await startMock({ keepAlive: false });
    try {
      const res = await fetch(`${closing.url}/openai/v1/batches`, { headers: AUTH });
      assert.equal(res.headers.get('connection'), 'close');
      await res.arrayBuffer();
    } finally {
      await closing.close();
    }
    const res = await get('/openai/v1/batches');
    assert.equal(res.headers.get('connection'), 'keep-alive');
    await res.arrayBuffer();
  });
});

describe('echo_auth variants', () => {
  test('bearer=no, pad and as=html', async () => {
    const res = await get('/openai/v1/batches', { 'x-mock-fault': 'echo_auth;bearer=no;pad=5' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.message, `.....Incorrect API key provided: ${KEY}`);
    const html = await get('/openai/v1/batches', { 'x-mock-fault': 'echo_auth;as=html' });
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type'), /^text\/html/);
    assert.ok((await html.text()).includes(`<p>Incorrect API key provided: Bearer ${KEY}</p>`));
    const bad = await get('/openai/v1/batches', { 'x-mock-fault': 'echo_auth;pad=-1' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.type, 'mock_error');
  });
});
