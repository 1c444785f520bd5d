// The whole batch lifecycle through the built package in Node, against the mock provider: list,
// upload, create, cancel, wait, results, submit — asserting what came back and, through the mock's
// record, what went over the wire.
//
//   node --test tests/node/lifecycle.test.mjs
import { test, before, after, beforeEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { getEventListeners } from 'node:events';
import { startMock } from '../mock-provider/server.mjs';
import { BatchClient, BatchError, validateRequests, toJsonl } from 'llm-batches';

// The glue module the package's node entry instantiated; initSync() hands back the same exports.
const GLUE = fileURLToPath(new URL('../../pkg/llm_batches.js', import.meta.url));
const { initSync } = await import(GLUE);

const STEP_MS = 150; // one status per step: created batches finish within 3 steps
const ENDPOINT = '/v1/chat/completions';
/** The marker create puts in metadata: the time and 48 random bits, in hex. */
const MARKER = /^[0-9a-f]+-[0-9a-f]{12}$/;

let mock;
let openai;
let ppinfra;

before(async () => {
  mock = await startMock({ stepMs: STEP_MS });
  openai = `${mock.url}/openai/v1`;
  ppinfra = `${mock.url}/ppinfra/openai/v1`;
});
after(() => mock.close());
beforeEach(() => mock.reset());

const client = (options = {}) => new BatchClient({ apiKey: 'sk-test-lifecycle', baseURL: openai, ...options });

/** What the mock saw, without the noise of anything else. */
const seen = () => mock.requests.map((r) => `${r.method} ${r.path}`);

const isBatchError = (kind, extra = {}) => (error) => {
  assert.ok(error instanceof BatchError, `expected a BatchError, got ${error?.stack ?? error}`);
  assert.equal(error.kind, kind, error.message);
  for (const [key, value] of Object.entries(extra)) assert.equal(error[key], value, `${key} of: ${error.message}`);
  return true;
};

const request = (customId, body = {}) => ({ custom_id: customId, method: 'POST', url: ENDPOINT, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${customId}` }], ...body } });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (no tight timing: generous deadline, short naps) until it returns truthy. */
async function eventually(check, what, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Raw bytes of a file as the mock serves them, read without the library. */
async function rawContent(base, id) {
  const res = await fetch(`${base}/files/${id}/content`, { headers: { authorization: 'Bearer x' } });
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A `fetch` that answers every call with `pages[i]` (the last one repeating), counting calls. */
function fakeFetch(pages) {
  const calls = [];
  const fetch = async (url) => {
    calls.push(url);
    const page = pages[Math.min(calls.length, pages.length) - 1];
    return new Response(JSON.stringify(page), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, calls };
}

/** Creates a batch over the mock from `requests` and returns it (upload + create). */
async function createBatch(c, requests, params = {}) {
  const file = await c.uploadFile(toJsonl(requests));
  return c.create({ input_file_id: file.id, endpoint: ENDPOINT, ...params });
}

// ---- listAll ---------------------------------------------------------------------------------------

describe('listAll', () => {
  test('OpenAI: all 25 in order, each page after the previous last id', async () => {
    const ids = (await collect(client().listAll({ limit: 7 }))).map((b) => b.id);
    assert.deepEqual(ids, Array.from({ length: 25 }, (_, i) => `batch_oai_${String(i).padStart(3, '0')}`));
    assert.deepEqual(mock.requests.map((r) => [r.path, r.query]), [
      ['/openai/v1/batches', { limit: '7' }],
      ['/openai/v1/batches', { limit: '7', after: 'batch_oai_006' }],
      ['/openai/v1/batches', { limit: '7', after: 'batch_oai_013' }],
      ['/openai/v1/batches', { limit: '7', after: 'batch_oai_020' }],
    ]);
  });

  test('PPInfra: every batch, normalised, following its cursors', async () => {
    const batches = await collect(client({ baseURL: ppinfra }).listAll({ limit: 3 }));
    assert.deepEqual(batches.map((b) => [b.id, b.status]), [
      ['batch_ppi_001', 'in_progress'],
      ['batch_ppi_002', 'completed'],
      ['batch_ppi_003', 'failed'],
      ['batch_ppi_004', 'cancelling'],
    ]);
    assert.deepEqual(batches[0].request_counts, { total: 1000, completed: 420, failed: 3 });
    assert.equal(batches[0].remark, 'nightly eval', 'PPInfra extras pass through');
    assert.deepEqual(mock.requests.map((r) => r.query), [{ limit: '3' }, { limit: '3', after: 'batch_ppi_003' }]);
  });

  test('the iterator protocol: calls not awaited in turn are served in order, return() stops it, errors come at the first next()', async () => {
    const it = client().listAll({ limit: 7 });
    assert.equal(it[Symbol.asyncIterator](), it);
    // Ten next() calls at once straddle the first page boundary; they resolve in call order.
    const first = await Promise.all(Array.from({ length: 10 }, () => it.next()));
    assert.deepEqual(first.map((r) => r.value.id), Array.from({ length: 10 }, (_, i) => `batch_oai_${String(i).padStart(3, '0')}`));
    assert.deepEqual(await it.return('bye'), { value: 'bye', done: true });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    assert.equal(mock.requests.length, 2, 'no page fetched after return()');

    // Bad arguments are refused when iteration starts, as with an async generator.
    const bad = client().listAll({ limit: -1 });
    await assert.rejects(bad.next(), isBatchError('invalid_argument'));
    assert.deepEqual(await bad.next(), { value: undefined, done: true });
  });

  test('an empty page claiming has_more ends with invalid_response after that one page', async () => {
    const { fetch, calls } = fakeFetch([{ object: 'list', data: [], first_id: null, last_id: null, has_more: true }]);
    const seenIds = [];
    await assert.rejects(async () => {
      for await (const b of client({ fetch }).listAll({ limit: 2 })) seenIds.push(b.id);
    }, isBatchError('invalid_response'));
    assert.equal(calls.length, 1);
    assert.deepEqual(seenIds, []);
  });

  test('a cursor that does not advance ends with invalid_response after at most one bad page', async () => {
    const stuck = { object: 'list', data: [{ id: 'batch_a', status: 'completed' }, { id: 'batch_b', status: 'completed' }], first_id: 'batch_a', last_id: 'batch_b', has_more: true };
    const { fetch, calls } = fakeFetch([stuck]);
    const seenIds = [];
    await assert.rejects(async () => {
      for await (const b of client({ fetch }).listAll({ limit: 2 })) seenIds.push(b.id);
    }, isBatchError('invalid_response'));
    assert.equal(calls.length, 2, 'the first page, then the one that repeats its cursor');
    assert.ok(calls[1].includes('after=batch_b'), calls[1]);
    assert.deepEqual(seenIds, ['batch_a', 'batch_b']);
  });

  test('a cursor that comes back ends it too', async () => {
    const page = (a, b) => ({ object: 'list', data: [{ id: a, status: 'completed' }, { id: b, status: 'completed' }], first_id: a, last_id: b, has_more: true });
    const { fetch, calls } = fakeFetch([page('batch_1', 'batch_2'), page('batch_3', 'batch_4'), page('batch_1', 'batch_2')]);
    await assert.rejects(collect(client({ fetch }).listAll()), isBatchError('invalid_response'));
    assert.equal(calls.length, 3);
  });
});

// ---- files -----------------------------------------------------------------------------------------

describe('uploadFile and fileContent', () => {
  const text = `${JSON.stringify(request('r1'))}\n${JSON.stringify(request('r2', { messages: [{ role: 'user', content: 'héllo 👋' }] }))}\n`;

  for (const [kind, make] of [
    ['a string', () => text],
    ['a Uint8Array', () => new TextEncoder().encode(text)],
    ['a Blob', () => new Blob([text], { type: 'application/jsonl' })],
  ]) {
    test(`uploads ${kind}: filename and purpose arrive, the bytes are identical`, async () => {
      const file = await client().uploadFile(make(), { filename: `in-${kind.split(' ')[1]}.jsonl`, purpose: 'batch' });
      const bytes = Buffer.byteLength(text);
      assert.match(file.id, /^file-/);
      assert.deepEqual({ ...file, id: null, created_at: null }, {
        id: null, object: 'file', bytes, created_at: null, expires_at: null, filename: `in-${kind.split(' ')[1]}.jsonl`, purpose: 'batch', status: 'processed',
      });
      assert.deepEqual(seen(), ['POST /openai/v1/files']);
      assert.match(mock.requests[0].headers['content-type'], /^multipart\/form-data; boundary=/);
      assert.equal((await rawContent(openai, file.id)).toString('utf8'), text);
      const res = await client().fileContent(file.id);
      assert.ok(res instanceof Response);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), text);
    });
  }

  test('defaults: filename input.jsonl, purpose batch; binary content survives', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x00, 0xfe, 0x0d, 0x0a, 0x2d, 0x2d, 0x7d]);
    const file = await client().uploadFile(bytes);
    assert.equal(file.filename, 'input.jsonl');
    assert.equal(file.purpose, 'batch');
    assert.deepEqual(new Uint8Array(await rawContent(openai, file.id)), bytes);
  });

  test('fileContent of a generated file equals what the mock serves; 404 is an api error', async () => {
    const size = mock.addGeneratedFile({ id: 'file-gen-small', lines: 200, errorEvery: 7, malformedEvery: 50 });
    const res = await client().fileContent('file-gen-small');
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, size);
    assert.deepEqual(body, await rawContent(openai, 'file-gen-small'));
    await assert.rejects(client().fileContent('file-missing'), isBatchError('api', { status: 404, code: 'not_found' }));
  });

  test('PPInfra: uploads and serves too', async () => {
    const file = await client({ baseURL: ppinfra }).uploadFile(text, { filename: 'pp.jsonl' });
    assert.equal(file.filename, 'pp.jsonl');
    assert.equal(await (await client({ baseURL: ppinfra }).fileContent(file.id)).text(), text);
  });
});

// ---- create and cancel -------------------------------------------------------------------------------

describe('create and cancel', () => {
  test('create sends JSON with completion_window defaulted and metadata; returns the new batch', async () => {
    const c = client();
    const file = await c.uploadFile(toJsonl([request('a'), request('b'), request('c')]));
    const batch = await c.create({ input_file_id: file.id, endpoint: ENDPOINT, metadata: { job: 'nightly' } });
    const post = mock.requests.at(-1);
    assert.deepEqual([post.method, post.path], ['POST', '/openai/v1/batches']);
    assert.match(post.headers['content-type'], /^application\/json/);
    // The caller's metadata, with the marker that lets create find this very batch after a failure.
    const sent = JSON.parse(post.body);
    assert.match(sent.metadata.llm_batches_call, MARKER);
    assert.deepEqual(sent, { input_file_id: file.id, endpoint: ENDPOINT, metadata: { job: 'nightly', llm_batches_call: sent.metadata.llm_batches_call }, completion_window: '24h' });
    assert.equal(batch.status, 'validating');
    assert.equal(batch.input_file_id, file.id);
    assert.equal(batch.endpoint, ENDPOINT);
    assert.deepEqual(batch.request_counts, { total: 3, completed: 0, failed: 0 });
    assert.deepEqual(batch.metadata, sent.metadata);
    assert.equal(batch.expires_at - batch.created_at, 86_400);
    assert.deepEqual(mock.batches()[0].id, batch.id);
  });

  test('invalid arguments send nothing', async () => {
    const c = client();
    const bad = [
      undefined,
      {},
      { endpoint: ENDPOINT },
      { input_file_id: '', endpoint: ENDPOINT },
      { input_file_id: 'file-1' },
      { input_file_id: 'file-1', endpoint: 'v1/chat/completions' },
      { input_file_id: 'file-1', endpoint: ENDPOINT, metadata: { n: 1 } },
      { input_file_id: 'file-1', endpoint: ENDPOINT, completion_window: 24 },
    ];
    for (const params of bad) await assert.rejects(c.create(params), isBatchError('invalid_argument'), JSON.stringify(params));
    await assert.rejects(c.cancel(''), isBatchError('invalid_argument'));
    await assert.rejects(c.uploadFile('x', { filename: 'a"b' }), isBatchError('invalid_argument'));
    await assert.rejects(c.uploadFile('x', { purpose: ' ' }), isBatchError('invalid_argument'));
    assert.deepEqual(mock.requests, []);
  });

  test('a provider 400 is an api error, sent once', async () => {
    await assert.rejects(client().create({ input_file_id: 'file-nope', endpoint: ENDPOINT }), isBatchError('api', { status: 400, code: 'invalid_value' }));
    assert.deepEqual(seen(), ['POST /openai/v1/batches']);
  });

  for (const [dialect, base] of [['OpenAI', () => openai], ['PPInfra', () => ppinfra]]) {
    test(`${dialect}: cancel -> cancelling, then cancelled (normalised)`, async () => {
      const c = client({ baseURL: base() });
      const batch = await createBatch(c, [request('a'), request('b')]);
      const cancelling = await c.cancel(batch.id);
      assert.equal(cancelling.id, batch.id);
      assert.equal(cancelling.status, 'cancelling');
      assert.equal(typeof cancelling.cancelling_at, 'number');
      assert.equal(cancelling.cancelled_at, null);
      assert.deepEqual(Object.keys(cancelling.request_counts).sort(), ['completed', 'failed', 'total']);
      assert.equal(cancelling.request_counts.total, 2);
      const cancelled = await eventually(async () => {
        const b = await c.retrieve(batch.id);
        return b.status === 'cancelled' && b;
      }, 'the cancellation to finish');
      assert.equal(typeof cancelled.cancelled_at, 'number');
      assert.ok(cancelled.cancelled_at >= cancelling.cancelling_at);
      assert.equal(seen().filter((s) => s.endsWith('/cancel')).length, 1);
    });
  }

  test('cancelling an ended batch: a 409 api error, not retried (x-should-retry: false)', async () => {
    await assert.rejects(client().cancel('batch_oai_003'), isBatchError('api', { status: 409, code: 'conflict' }));
    assert.deepEqual(seen(), ['POST /openai/v1/batches/batch_oai_003/cancel']);
  });
});

// ---- results ---------------------------------------------------------------------------------------

describe('results', () => {
  test('a finished batch: output then error file, by object and by id', async () => {
    const c = client();
    const requests = [request('ok-1'), request('bad-2', { fail: true }), request('ok-3'), request('bad-4', { fail: true }), request('ok-5')];
    const created = await createBatch(c, requests);
    const done = await c.waitFor(created.id, { pollInterval: 50 });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.request_counts, { total: 5, completed: 3, failed: 2 });

    const byObject = await collect(c.results(done));
    assert.deepEqual(byObject.map((r) => [r.source, r.line, r.custom_id]), [
      ['output', 1, 'ok-1'],
      ['output', 2, 'ok-3'],
      ['output', 3, 'ok-5'],
      ['error', 1, 'bad-2'],
      ['error', 2, 'bad-4'],
    ]);
    const ok = byObject[0];
    assert.equal(ok.error, null);
    assert.equal(ok.response.status_code, 200);
    assert.equal(ok.response.body.model, 'gpt-4o-mini');
    assert.equal(ok.response.body.choices[0].message.content, 'Mock answer to ok-1 from gpt-4o-mini.');
    assert.equal(ok.response.request_id, `req_${done.id}_1`);
    const bad = byObject[3];
    assert.equal(bad.response.status_code, 400);
    // The body's error has `code: null` beside `type`: the type stands in as the code.
    assert.deepEqual(bad.error, { code: 'invalid_request_error', message: 'Mock failure of bad-2: its body asked to fail.' });

    const before = mock.requests.length;
    const byId = await collect(c.results(done.id));
    assert.deepEqual(byId, byObject);
    assert.deepEqual(mock.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
      `GET /openai/v1/batches/${done.id}`,
      `GET /openai/v1/files/${done.output_file_id}/content`,
      `GET /openai/v1/files/${done.error_file_id}/content`,
    ]);
  });

  test('awkward files: no final newline, CRLF, blank lines, a BOM, malformed lines', async () => {
    const line = (id, extra = {}) => JSON.stringify({ id: `br_${id}`, custom_id: id, response: { status_code: 200, request_id: null, body: { n: id } }, error: null, ...extra });
    mock.addFile({ id: 'file-out', content: `\uFEFF${line('a')}\r\n\r\n{broken\n   \n${line('b')}\r\n[1,2]\n${line('c')}` });
    mock.addFile({ id: 'file-err', content: `${JSON.stringify({ custom_id: 'e1', response: null, error: { code: 'batch_expired', message: 'too late' } })}\nnot json either` });
    const results = await collect(client().results({ output_file_id: 'file-out', error_file_id: 'file-err' }));
    assert.deepEqual(results.map((r) => [r.source, r.line, r.custom_id, r.error?.code ?? null]), [
      ['output', 1, 'a', null],
      ['output', 3, null, 'invalid_line'],
      ['output', 5, 'b', null],
      ['output', 6, null, 'invalid_line'],
      ['output', 7, 'c', null],
      ['error', 1, 'e1', 'batch_expired'],
      ['error', 2, null, 'invalid_line'],
    ]);
    assert.equal(results[1].raw, '{broken');
    assert.equal(results[3].raw, '[1,2]');
    assert.equal(results[6].raw, 'not json either');
    assert.deepEqual(results[4].response.body, { n: 'c' });
    assert.deepEqual(results[5].error, { code: 'batch_expired', message: 'too late' });
  });

  test('a generated file with error and malformed lines, in small chunks', async () => {
    mock.addGeneratedFile({ id: 'file-mixed', lines: 300, errorEvery: 7, malformedEvery: 40 });
    const results = await collect(client().results({ output_file_id: 'file-mixed' }));
    assert.equal(results.length, 300);
    for (const [i, r] of results.entries()) {
      const n = i + 1;
      assert.equal(r.line, n);
      if (n % 40 === 0) {
        assert.equal(r.error.code, 'invalid_line', `line ${n}`);
      } else if (n % 7 === 0) {
        assert.equal(r.custom_id, `req-${n}`);
        assert.equal(r.error.code, 'invalid_request_error');
        assert.match(r.error.message, new RegExp(`^Generated failure of req-${n}\\.`));
      } else {
        assert.equal(r.error, null, `line ${n}`);
        assert.match(r.response.body.choices[0].message.content, new RegExp(`^Answer ${n}: héllo wörld 👋 `));
      }
    }
  });

  test('a batch without files yields nothing', async () => {
    assert.deepEqual(await collect(client().results({ output_file_id: null, error_file_id: null })), []);
    assert.deepEqual(await collect(client().results({ output_file_id: '', error_file_id: null })), []);
    assert.deepEqual(mock.requests, []);
    assert.deepEqual(await collect(client().results('batch_oai_000')), [], 'a validating batch');
    assert.deepEqual(seen(), ['GET /openai/v1/batches/batch_oai_000']);
  });

  test('aborting the signal mid-stream rejects with kind aborted', async () => {
    const bytes = mock.addGeneratedFile({ id: 'file-long', lines: 20_000 });
    const controller = new AbortController();
    let count = 0;
    await assert.rejects(async () => {
      for await (const r of client().results({ output_file_id: 'file-long' }, { signal: controller.signal })) {
        count += 1;
        assert.equal(r.line, count);
        if (count === 10) controller.abort();
      }
    }, isBatchError('aborted'));
    assert.ok(count >= 10 && count < 20_000, `stopped after ${count}`);
    const [download] = mock.downloads;
    assert.equal(await download.ended, 'closed');
    assert.ok(download.sent < bytes);
  });

  test('break out of the loop stops the download', async () => {
    const bytes = mock.addGeneratedFile({ id: 'file-long', lines: 20_000 });
    for await (const r of client().results({ output_file_id: 'file-long', error_file_id: 'file-never' })) {
      assert.equal(r.custom_id, 'req-1');
      break;
    }
    const [download] = mock.downloads;
    assert.equal(await download.ended, 'closed', 'the mock saw the connection close');
    assert.ok(download.sent < bytes, `${download.sent} of ${bytes} bytes sent`);
    assert.equal(mock.downloads.length, 1, 'the error file was never opened');
    assert.ok(!seen().some((s) => s.includes('file-never')));
  });

  test('a stream that stalls longer than timeout is kind timeout', async () => {
    mock.addGeneratedFile({ id: 'file-stall', lines: 10 });
    mock.addFault({ path: '/files/file-stall/content', fault: 'slow;bytes=10;every=2000' });
    const started = Date.now();
    await assert.rejects(collect(client({ timeout: 300 }).results({ output_file_id: 'file-stall' })), isBatchError('timeout'));
    assert.ok(Date.now() - started < 1_900, `took ${Date.now() - started} ms`);
    assert.equal(await mock.downloads[0].ended, 'closed');
  });

  test('a stream that breaks off mid-file is kind connection, after the lines that arrived', async () => {
    mock.addGeneratedFile({ id: 'file-cut', lines: 100, lineBytes: 1000 });
    mock.addFault({ path: '/files/file-cut/content', fault: 'drop_mid_body' });
    const got = [];
    await assert.rejects(async () => {
      for await (const r of client().results({ output_file_id: 'file-cut' })) got.push(r.line);
    }, isBatchError('connection'));
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i + 1), 'exactly the 50 complete lines of the first half');
    assert.equal(mock.requests.length, 1, 'a broken stream is not silently re-downloaded');
  });

  /** Reads `fileContent`'s body, aborting after the first chunk; resolves to what the read threw. */
  async function abortedBodyRead() {
    mock.addGeneratedFile({ id: 'file-body', lines: 20_000 });
    const controller = new AbortController();
    const res = await client().fileContent('file-body', { signal: controller.signal });
    const reader = res.body.getReader();
    assert.equal((await reader.read()).done, false);
    controller.abort();
    try {
      for (;;) if ((await reader.read()).done) return { ended: true };
    } catch (thrown) {
      return { thrown, signal: controller.signal };
    }
  }

  test('fileContent: the signal also aborts the body', async () => {
    const outcome = await abortedBodyRead();
    assert.ok('thrown' in outcome, 'the read rejects instead of ending normally');
    assert.equal(await mock.downloads[0].ended, 'closed');
  });

  test('fileContent: an aborted body rejects with an AbortError, like fetch', async () => {
    const { thrown, signal } = await abortedBodyRead();
    assert.ok(thrown instanceof Error || thrown === signal.reason, `rejected with ${Object.prototype.toString.call(thrown)}`);
    assert.equal(thrown.name, 'AbortError');
  });

  test('fileContent leaves no listener on the caller\'s signal, however often it is called', async () => {
    const file = await client().uploadFile('{"a":1}\n');
    const controller = new AbortController();
    for (let i = 0; i < 25; i++) {
      const res = await client().fileContent(file.id, { signal: controller.signal });
      await res.arrayBuffer();
    }
    // Node warns past 10 listeners; the request's own signal follows the caller's instead.
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('memory: 100,000 lines (~55 MB) stream through with bounded wasm memory', async (t) => {
    const LINES = 100_000;
    const bytes = mock.addGeneratedFile({ id: 'file-huge', lines: LINES });
    const wasm = initSync({ module: new Uint8Array() }); // already initialised: returns its exports
    assert.ok(wasm.memory instanceof WebAssembly.Memory, 'initSync handed back the live exports');
    const wasmBefore = wasm.memory.buffer.byteLength;
    const rssBefore = process.memoryUsage().rss;
    let count = 0;
    let lastLine = 0;
    let errors = 0;
    for await (const r of client().results({ output_file_id: 'file-huge' })) {
      count += 1;
      if (r.line !== lastLine + 1) assert.fail(`line ${r.line} after ${lastLine}`);
      lastLine = r.line;
      if (r.error !== null) errors += 1;
    }
    const wasmAfter = wasm.memory.buffer.byteLength;
    const rssAfter = process.memoryUsage().rss;
    const mb = (n) => (n / 1024 / 1024).toFixed(1);
    t.diagnostic(`file ${mb(bytes)} MB, ${count} results`);
    t.diagnostic(`wasm memory ${mb(wasmBefore)} -> ${mb(wasmAfter)} MB (growth ${mb(wasmAfter - wasmBefore)} MB)`);
    t.diagnostic(`process RSS ${mb(rssBefore)} -> ${mb(rssAfter)} MB (growth ${mb(rssAfter - rssBefore)} MB)`);
    assert.equal(count, LINES);
    assert.equal(errors, 0);
    assert.ok(wasmAfter - wasmBefore < 8 * 1024 * 1024, `wasm memory grew by ${wasmAfter - wasmBefore} bytes`);
    assert.equal(await mock.downloads[0].ended, 'done');
  });
});

// ---- waitFor ---------------------------------------------------------------------------------------

describe('waitFor', () => {
  // Its own mock: batches take long steps but ask to be polled often, so every status is seen
  // however loaded the machine is, and polls follow the server's pace rather than pollInterval.
  let slow;
  let base;
  const POLL_AFTER_MS = 60;
  before(async () => {
    slow = await startMock({ stepMs: 400, pollAfterMs: POLL_AFTER_MS });
    base = `${slow.url}/openai/v1`;
  });
  after(() => slow.close());
  beforeEach(() => slow.reset());

  test('resolves completed, onProgress sees every status in order, polls at the server pace', async () => {
    const c = client({ baseURL: base });
    const batch = await createBatch(c, [request('a'), request('b')]);
    const statuses = [];
    const started = Date.now();
    const done = await c.waitFor(batch.id, { pollInterval: 5_000, onProgress: (b) => statuses.push(b.status) });
    assert.equal(done.status, 'completed');
    assert.equal(done.id, batch.id);
    assert.deepEqual(done.request_counts, { total: 2, completed: 2, failed: 0 });
    assert.deepEqual([...new Set(statuses)], ['validating', 'in_progress', 'finalizing', 'completed']);
    assert.deepEqual(statuses.filter((s, i) => s !== statuses[i - 1]), ['validating', 'in_progress', 'finalizing', 'completed'], 'in order, never back');
    const polls = slow.requests.filter((r) => r.method === 'GET' && r.path === `/openai/v1/batches/${batch.id}`);
    assert.equal(polls.length, statuses.length, 'onProgress once per poll');
    const gaps = polls.slice(1).map((p, i) => p.time - polls[i].time);
    // Not a busy loop, and the server's 60 ms rather than the 5 s pollInterval.
    assert.ok(Math.min(...gaps) >= POLL_AFTER_MS - 15, `gaps ${gaps}`);
    assert.ok(Date.now() - started < 4_500, `took ${Date.now() - started} ms: pollInterval was used`);
  });

  test('PPInfra: the same walk, statuses normalised', async () => {
    const c = client({ baseURL: `${slow.url}/ppinfra/openai/v1` });
    const batch = await createBatch(c, [request('a'), request('b')]);
    assert.equal(batch.status, 'validating');
    assert.equal(batch.created_at, Date.parse(slow.batches('ppinfra')[0].created_at) / 1000, 'the RFC 3339 string as seconds');
    const statuses = [];
    const done = await c.waitFor(batch.id, { pollInterval: 5_000, onProgress: (b) => statuses.push(b.status) });
    assert.deepEqual([...new Set(statuses)], ['validating', 'in_progress', 'finalizing', 'completed']);
    assert.deepEqual(done.request_counts, { total: 2, completed: 2, failed: 0 });
    assert.equal(done.error_file_id, null, 'PPInfra\'s "" is no file');
    assert.equal(done.version, 4, 'PPInfra extras pass through');
    const results = await collect(c.results(done.id));
    assert.deepEqual(results.map((r) => [r.source, r.line, r.custom_id]), [['output', 1, 'a'], ['output', 2, 'b']]);
    assert.deepEqual(slow.requests.filter((r) => r.path.includes('/files')).map((r) => `${r.method} ${r.path}`), [
      'POST /ppinfra/openai/v1/files',
      `GET /ppinfra/openai/v1/files/${done.output_file_id}/content`,
    ]);
  });

  test('without openai-poll-after-ms, pollInterval spaces the polls', async () => {
    // A fixture batch that never moves sends no header; onProgress ends the wait after 3 polls.
    const enough = new Error('three polls');
    let polls = 0;
    const onProgress = () => {
      polls += 1;
      if (polls === 3) throw enough;
    };
    await assert.rejects(client({ baseURL: base }).waitFor('batch_oai_000', { pollInterval: 200, onProgress }), (e) => e === enough);
    const times = slow.requests.map((r) => r.time);
    assert.equal(times.length, 3);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(Math.min(...gaps) >= 180, `gaps ${gaps}`);
  });

  test('timeout ends it with kind timeout', async () => {
    const started = Date.now();
    await assert.rejects(client({ baseURL: base }).waitFor('batch_oai_001', { pollInterval: 50, timeout: 300 }), isBatchError('timeout'));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 5_000, `took ${took} ms`);
  });

  // A poll that starts just before the deadline gets only the time left, and is not retried past it.
  test('timeout is kept when the provider answers slowly (no retries past the deadline)', async () => {
    const fetch = async (url, init) => {
      await sleep(80); // a provider that takes 80 ms to answer
      return globalThis.fetch(url, init);
    };
    const started = Date.now();
    await assert.rejects(client({ baseURL: base, fetch }).waitFor('batch_oai_001', { pollInterval: 50, timeout: 300 }), isBatchError('timeout'));
    const took = Date.now() - started;
    assert.ok(took < 300 + 400, `a 300 ms waitFor timeout took ${took} ms`);
  });

  test('signal ends it with kind aborted, promptly, also during a sleep', async () => {
    const controller = new AbortController();
    const waiting = client({ baseURL: base }).waitFor('batch_oai_001', { pollInterval: 60_000, signal: controller.signal });
    await eventually(() => slow.requests.length === 1, 'the first poll');
    await sleep(50);
    const aborted = Date.now();
    controller.abort();
    await assert.rejects(waiting, isBatchError('aborted'));
    assert.ok(Date.now() - aborted < 1_000, `took ${Date.now() - aborted} ms after the abort`);
    assert.equal(slow.requests.length, 1);
    const already = new AbortController();
    already.abort();
    await assert.rejects(client({ baseURL: base }).waitFor('batch_oai_001', { signal: already.signal }), isBatchError('aborted'));
    assert.equal(slow.requests.length, 1, 'an aborted signal sends nothing');
  });

  test('transient 503s while polling are ridden out', async () => {
    const c = client({ baseURL: base });
    const batch = await createBatch(c, [request('a')]);
    // More 503s than one poll's own retries (maxRetries 2): a whole poll fails, and the next succeeds.
    slow.addFault({ method: 'GET', path: `/batches/${batch.id}`, fault: 'status=503', times: 4 });
    const done = await c.waitFor(batch.id, { pollInterval: 50 });
    assert.equal(done.status, 'completed');
    const polls = slow.requests.filter((r) => r.path === `/openai/v1/batches/${batch.id}`);
    assert.ok(polls.length >= 5, `${polls.length} polls`);
  });

  test('onProgress throwing rejects with that exact error', async () => {
    const boom = new Error('stop here');
    const thrown = { not: 'an Error' };
    await assert.rejects(client({ baseURL: base }).waitFor('batch_oai_001', { pollInterval: 50, onProgress: () => { throw boom; } }), (e) => e === boom);
    await assert.rejects(client({ baseURL: base }).waitFor('batch_oai_001', { pollInterval: 50, onProgress: () => { throw thrown; } }), (e) => e === thrown);
    assert.equal(slow.requests.length, 2, 'one poll each');
  });
});

// ---- validateRequests, toJsonl, submit ------------------------------------------------------------

describe('validateRequests, toJsonl, submit', () => {
  const good = [request('a'), request('b')];

  test('toJsonl: one compact object per line, ending with a newline', () => {
    const text = toJsonl(good);
    assert.equal(text, `${JSON.stringify(good[0])}\n${JSON.stringify(good[1])}\n`);
    assert.equal(toJsonl([]), '');
  });

  test('validateRequests: ok, count and bytes, for text and for objects', () => {
    const text = toJsonl(good);
    assert.deepEqual(validateRequests(text), { ok: true, count: 2, bytes: Buffer.byteLength(text), problems: 0, errors: [] });
    assert.deepEqual(validateRequests(good), { ok: true, count: 2, bytes: Buffer.byteLength(text), problems: 0, errors: [] });
    const accented = [request('é', { messages: [{ role: 'user', content: '👋' }] })];
    assert.equal(validateRequests(accented).bytes, Buffer.byteLength(toJsonl(accented)), 'bytes, not UTF-16 units');
  });

  test('validateRequests: every problem with its line', () => {
    const lines = [
      JSON.stringify(request('a')),
      '{"custom_id": "b",',
      JSON.stringify({ ...request('c'), method: 'GET' }),
      JSON.stringify(request('a')),
      '',
      JSON.stringify(request('d', { model: 'other-model' })),
      JSON.stringify({ ...request('e'), url: '/v1/embeddings' }),
      '[1]',
      JSON.stringify({ custom_id: 'f', method: 'POST', url: ENDPOINT, body: {} }),
    ];
    const report = validateRequests(lines.join('\n'));
    assert.equal(report.ok, false);
    assert.equal(report.count, 8);
    assert.deepEqual(report.errors.map((e) => e.line), [2, 3, 4, 5, 6, 7, 8, 9]);
    assert.match(report.errors[0].message, /not valid JSON/);
    assert.match(report.errors[1].message, /method/);
    assert.match(report.errors[2].message, /duplicate custom_id "a"/);
    assert.match(report.errors[3].message, /blank/);
    assert.match(report.errors[4].message, /model "other-model" differs from "gpt-4o-mini" on line 1/);
    assert.match(report.errors[5].message, /url/);
    assert.match(report.errors[6].message, /not a JSON object/);
    assert.match(report.errors[7].message, /body\.model/);
    const objects = validateRequests([request('a'), { custom_id: 'b' }]);
    assert.deepEqual(objects.errors.map((e) => e.line), [2, 2, 2]);
    assert.deepEqual(validateRequests('').errors, [{ line: null, message: 'there are no requests' }]);
    assert.equal(validateRequests(good, { endpoint: '/v1/embeddings' }).errors.length, 2);
  });

  test('submit: upload then create; returns the batch', async () => {
    const batch = await client().submit(good, { metadata: { job: 'submit' } });
    assert.deepEqual(seen(), ['POST /openai/v1/files', 'POST /openai/v1/batches']);
    assert.equal(batch.status, 'validating');
    assert.equal(batch.metadata.job, 'submit');
    assert.match(batch.metadata.llm_batches_call, MARKER);
    assert.equal(batch.endpoint, ENDPOINT);
    assert.deepEqual(batch.request_counts, { total: 2, completed: 0, failed: 0 });
    assert.equal((await rawContent(openai, batch.input_file_id)).toString('utf8'), toJsonl(good));
    const created = JSON.parse(mock.requests[1].body);
    assert.deepEqual(created, { metadata: batch.metadata, endpoint: ENDPOINT, input_file_id: batch.input_file_id, completion_window: '24h' });
  });

  test('submit: invalid requests throw invalid_argument with every error, sending nothing', async () => {
    const bad = [request('a'), { ...request('a'), method: 'GET' }];
    await assert.rejects(client().submit(bad), (error) => {
      isBatchError('invalid_argument')(error);
      assert.deepEqual(error.errors, validateRequests(bad).errors);
      assert.equal(error.errors.length, 2);
      return true;
    });
    await assert.rejects(client().submit('not jsonl'), isBatchError('invalid_argument'));
    assert.deepEqual(mock.requests, []);
  });
});

// ---- no duplicate paid batches -----------------------------------------------------------------------

describe('create never makes a second paid batch', () => {
  /** An uploaded input file, with the upload's request taken off the record. */
  async function inputFile() {
    const file = await client().uploadFile(toJsonl([request('a')]));
    mock.requests.length = 0;
    return file;
  }
  const fromFile = (file) => mock.batches().filter((b) => b.input_file_id === file.id);

  test('the connection drops after the batch was made: the client finds it', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'drop_after_create', times: 1 });
    const batch = await client().create({ input_file_id: file.id, endpoint: ENDPOINT });
    const made = fromFile(file);
    assert.equal(made.length, 1);
    assert.equal(batch.id, made[0].id);
    assert.equal(batch.input_file_id, file.id);
    assert.deepEqual(mock.requests.map((r) => [r.method, r.path, r.query]), [
      ['POST', '/openai/v1/batches', {}],
      ['GET', '/openai/v1/batches', { limit: '100' }],
    ]);
  });

  test('the answer breaks off mid-body after the batch was made: the client finds it', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'drop_mid_body', times: 1 });
    const batch = await client().create({ input_file_id: file.id, endpoint: ENDPOINT });
    assert.equal(fromFile(file).length, 1);
    assert.equal(batch.id, fromFile(file)[0].id);
    assert.deepEqual(seen(), ['POST /openai/v1/batches', 'GET /openai/v1/batches']);
  });

  test('a 500 (nothing made): the client looks, finds nothing, sends once more', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'status=500', times: 1 });
    const batch = await client().create({ input_file_id: file.id, endpoint: ENDPOINT });
    // Three rounds of lookups (for a batch listed late), then the one resend.
    assert.deepEqual(seen(), ['POST /openai/v1/batches', ...Array(3).fill('GET /openai/v1/batches'), 'POST /openai/v1/batches']);
    assert.equal(fromFile(file).length, 1);
    assert.equal(batch.id, fromFile(file)[0].id);
  });

  test('500 twice: reported, never a third send', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'status=500', times: 2 });
    await assert.rejects(client().create({ input_file_id: file.id, endpoint: ENDPOINT }), isBatchError('api', { status: 500 }));
    assert.equal(seen().filter((s) => s === 'POST /openai/v1/batches').length, 2);
    assert.equal(fromFile(file).length, 0);
  });

  test('a 503 with retry-after-ms is retried (the server said "not now"): one batch', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'status=503', times: 1 });
    const batch = await client().create({ input_file_id: file.id, endpoint: ENDPOINT });
    assert.deepEqual(seen(), ['POST /openai/v1/batches', 'POST /openai/v1/batches']);
    assert.equal(batch.id, fromFile(file)[0].id);
    assert.equal(fromFile(file).length, 1);
  });

  test('uploadFile: a dropped connection is not retried (the file may exist); a 429 is', async () => {
    mock.addFault({ method: 'POST', path: '/files', fault: 'drop', times: 1 });
    await assert.rejects(client().uploadFile('{"a":1}\n'), isBatchError('connection'));
    assert.deepEqual(seen(), ['POST /openai/v1/files']);
    mock.requests.length = 0;
    mock.addFault({ method: 'POST', path: '/files', fault: 'status=429', times: 1 });
    const file = await client().uploadFile('{"a":1}\n');
    assert.deepEqual(seen(), ['POST /openai/v1/files', 'POST /openai/v1/files']);
    assert.equal(file.bytes, 8);
  });

  test('a 429 is retried (the server did nothing): one batch', async () => {
    const file = await inputFile();
    mock.addFault({ method: 'POST', path: '/batches', fault: 'status=429;times=1' });
    const batch = await client().create({ input_file_id: file.id, endpoint: ENDPOINT });
    assert.deepEqual(seen(), ['POST /openai/v1/batches', 'POST /openai/v1/batches']);
    assert.equal(fromFile(file).length, 1);
    assert.equal(batch.id, fromFile(file)[0].id);
  });
});
