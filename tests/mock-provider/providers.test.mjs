// Tests of the mock's Anthropic, Mistral, Gemini, Together, Groq and Azure OpenAI dialects:
// `node --test tests/mock-provider/`. Plain fetch against startMock(), on a clock the test moves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startMock } from './server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const fixtureText = (name) => readFileSync(path.join(HERE, '../fixtures', name), 'utf8');
const fixture = (name) => JSON.parse(fixtureText(name));

const KEY = 'sk-test-secret-123';
const T0 = 1_795_400_000_000; // ms, a whole second
const STEP = 1000;
const S0 = T0 / 1000;
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const AUTH = {
  anthropic: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
  mistral: { authorization: `Bearer ${KEY}` },
  gemini: { 'x-goog-api-key': KEY },
  together: { authorization: `Bearer ${KEY}` },
  groq: { authorization: `Bearer ${KEY}` },
  azure: { 'api-key': KEY },
};

let mock;
let now = T0;
const at = (steps) => {
  now = T0 + steps * STEP;
};

before(async () => {
  mock = await startMock({ now: () => now, stepMs: STEP });
});
after(() => mock.close());
beforeEach(() => {
  mock.reset();
  now = T0;
});

/** `fetch` as `provider`'s client would send it: its auth headers, JSON bodies. */
async function call(provider, method, p, { body, headers = {}, raw = false, on = mock } = {}) {
  const init = { method, headers: { ...AUTH[provider], ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof FormData || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!(body instanceof FormData) && !init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(on.url + p, init);
  if (raw) return res;
  const text = await res.text();
  return { res, status: res.status, text, body: parsed(text) };
}

/** The JSON of an answer, or undefined for one that is not (JSONL, broken JSON). */
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** RFC 3339 of `ms` after T0 with `digits` fraction digits, as the providers write them. */
function iso(ms, digits = 0) {
  const text = new Date(T0 + ms).toISOString();
  return digits ? text.replace(/\.(\d{3})Z$/, (_, f) => `.${`${f}000000`.slice(0, digits)}Z`) : text.replace(/\.\d{3}Z$/, 'Z');
}

const lines = (text) => text.trim().split('\n').map((l) => JSON.parse(l));
const jsonl = (items) => `${items.map((i) => JSON.stringify(i)).join('\n')}\n`;

// ---- Anthropic ----------------------------------------------------------------------------------

const A = '/anthropic/v1';
const claude = (customId, params = {}) => ({
  custom_id: customId,
  params: { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: `Hello ${customId}` }], ...params },
});
/** A fixture as the mock sends it: its results_url on the mock's origin. */
const onMock = (batch) => ({ ...batch, results_url: batch.results_url?.replace('https://api.anthropic.com/v1', `${mock.url}${A}`) ?? null });

describe('Anthropic', () => {
  const create = (requests) => call('anthropic', 'POST', `${A}/messages/batches`, { body: { requests } });
  const retrieve = async (id) => (await call('anthropic', 'GET', `${A}/messages/batches/${id}`)).body;

  test('auth: x-api-key and anthropic-version, browsers opt in; request-id on every answer', async () => {
    for (const headers of [{}, { 'anthropic-version': '2023-06-01' }, { 'x-api-key': KEY }, { 'x-api-key': ' ', 'anthropic-version': '2023-06-01' }]) {
      const res = await fetch(`${mock.url}${A}/messages/batches`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      const body = await res.json();
      assert.deepEqual(Object.keys(body), ['type', 'error', 'request_id']);
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'authentication_error');
      assert.match(body.request_id, /^req_/);
      assert.equal(res.headers.get('request-id'), body.request_id);
    }
    const cors = await call('anthropic', 'GET', `${A}/messages/batches`, { headers: { origin: 'http://example.test' } });
    assert.equal(cors.status, 401);
    assert.equal(cors.body.error.message, "CORS requests must set 'anthropic-dangerous-direct-browser-access' header");
    assert.equal(cors.res.headers.get('access-control-allow-origin'), '*', 'readable by the page that made it');
    const opted = await call('anthropic', 'GET', `${A}/messages/batches`, { headers: { origin: 'http://example.test', 'anthropic-dangerous-direct-browser-access': 'true' } });
    assert.equal(opted.status, 200);
    assert.match(opted.res.headers.get('request-id'), /^req_011C/);
    assert.match(opted.res.headers.get('access-control-expose-headers'), /request-id, x-goog-upload-url, x-goog-upload-status, apim-request-id, mistral-correlation-id/);
  });

  test('fixtures: the list page, the in-progress and ended batches, the results file', async () => {
    const page = await call('anthropic', 'GET', `${A}/messages/batches`);
    const expected = fixture('anthropic_list_page.json');
    assert.deepEqual(page.body, { ...expected, data: expected.data.map(onMock) });
    assert.deepEqual(await retrieve('msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'), fixture('anthropic_batch_in_progress.json'));
    const ended = await retrieve('msgbatch_013Zva2CMHLNnXjNJJKqJ2EF');
    assert.deepEqual(ended, onMock(fixture('anthropic_batch_ended.json')));
    const results = await call('anthropic', 'GET', new URL(ended.results_url).pathname);
    assert.equal(results.res.headers.get('content-type'), 'application/x-jsonl');
    assert.equal(results.text, fixtureText('anthropic_results.jsonl'));
    // An ended fixture without a results fixture: lines made from its counts.
    const other = await call('anthropic', 'GET', `${A}/messages/batches/msgbatch_01Bq7XzK2mRt9LpW4cVh6NdE/results`);
    const types = lines(other.text).map((l) => l.result.type);
    assert.deepEqual([types.length, types.filter((t) => t === 'expired').length, types.filter((t) => t === 'errored').length], [200, 18, 2]);
  });

  test('list: limit, after_id and before_id; has_more in the direction asked', async () => {
    const all = fixture('anthropic_list_page.json').data.map((b) => b.id);
    const seen = [];
    let afterId;
    for (;;) {
      const { body } = await call('anthropic', 'GET', `${A}/messages/batches?limit=2${afterId ? `&after_id=${afterId}` : ''}`);
      assert.deepEqual(Object.keys(body), ['data', 'has_more', 'first_id', 'last_id']);
      seen.push(...body.data.map((b) => b.id));
      if (!body.has_more) break;
      afterId = body.last_id;
    }
    assert.deepEqual(seen, all);
    const back = (await call('anthropic', 'GET', `${A}/messages/batches?limit=2&before_id=${all[3]}`)).body;
    assert.deepEqual([back.data.map((b) => b.id), back.has_more, back.first_id], [all.slice(1, 3), true, all[1]]);
    const first = (await call('anthropic', 'GET', `${A}/messages/batches?before_id=${all[1]}`)).body;
    assert.deepEqual([first.data.map((b) => b.id), first.has_more], [[all[0]], false]);
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'after_id=msgbatch_nope', `after_id=${all[0]}&before_id=${all[2]}`]) {
      const res = await call('anthropic', 'GET', `${A}/messages/batches?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.type, 'invalid_request_error', q);
    }
    assert.equal((await call('anthropic', 'GET', `${A}/messages/batches?limit=1000`)).body.data.length, all.length);
  });

  test('create: validated, then in_progress with every request processing', async () => {
    const bad = [
      [{}, /requests: Field required/],
      [{ requests: [] }, /at least 1 item/],
      [{ requests: [claude('has.dot')] }, /custom_id: String should match pattern/],
      [{ requests: [claude('a'), claude('a')] }, /Duplicate custom_id 'a'/],
      [{ requests: [{ custom_id: 'a' }] }, /params: Field required/],
      [{ requests: [claude('a', { max_tokens: undefined })] }, /params.max_tokens: Field required/],
      [{ requests: [claude('a', { messages: 'hi' })] }, /params.messages: Field required/],
      [{ requests: [claude('a', { model: 7 })] }, /params.model: Field required/],
    ];
    for (const [body, message] of bad) {
      const res = await call('anthropic', 'POST', `${A}/messages/batches`, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, message);
    }
    assert.equal(mock.batches('anthropic').length, 5, 'nothing was created');
    const { status, body } = await create([claude('r1'), claude('r2')]);
    assert.equal(status, 200);
    assert.match(body.id, /^msgbatch_01[0-9A-Za-z]{22}$/);
    assert.deepEqual({ ...body, id: 'X' }, {
      id: 'X', type: 'message_batch', processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null, created_at: iso(0, 6), expires_at: iso(86_400_000, 6),
      archived_at: null, cancel_initiated_at: null, results_url: null,
    });
    assert.equal(new Date(body.created_at).getTime(), T0);
    assert.deepEqual(mock.batches('anthropic')[0], body, 'first in the list');
    assert.deepEqual(mock.addBatch({ dialect: 'anthropic', requests: [claude('x')] }).request_counts.processing, 1);
  });

  test('the clock: processing until ended, then counts, results_url and results (in reverse order)', async () => {
    const { body: created } = await create([claude('ok-1'), claude('bad', { fail: true }), claude('ok-2', { model: 'claude-haiku-4-5' })]);
    for (const steps of [0.5, 1.5, 2.5]) {
      at(steps);
      const batch = await retrieve(created.id);
      assert.deepEqual([batch.processing_status, batch.request_counts.processing, batch.results_url], ['in_progress', 3, null], `at ${steps}`);
    }
    const early = await call('anthropic', 'GET', `${A}/messages/batches/${created.id}/results`);
    assert.equal(early.status, 404);
    assert.equal(early.body.error.type, 'not_found_error');
    at(3);
    const ended = await retrieve(created.id);
    assert.equal(ended.processing_status, 'ended');
    assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    assert.equal(ended.ended_at, iso(3 * STEP, 6));
    assert.match(ended.ended_at, MICROS);
    assert.equal(ended.results_url, `${mock.url}${A}/messages/batches/${created.id}/results`);
    const res = await fetch(ended.results_url, { headers: AUTH.anthropic });
    assert.equal(res.headers.get('content-type'), 'application/x-jsonl');
    const results = lines(await res.text());
    assert.deepEqual(results.map((r) => [r.custom_id, r.result.type]), [['ok-2', 'succeeded'], ['bad', 'errored'], ['ok-1', 'succeeded']]);
    const { message } = results[0].result;
    assert.match(message.id, /^msg_01/);
    assert.deepEqual({ ...message, id: 'X' }, {
      id: 'X', type: 'message', role: 'assistant', model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'Mock answer to ok-2 from claude-haiku-4-5.' }], stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 8 },
    });
    const { error } = results[1].result;
    assert.deepEqual([error.type, error.error.type, Object.keys(error)], ['error', 'invalid_request_error', ['type', 'error', 'request_id']]);
    assert.match(error.error.message, /bad/);
    assert.match(error.request_id, /^req_/);
    at(10);
    assert.deepEqual(await retrieve(created.id), ended, 'stays put');
  });

  test('cancel: canceling now, ended a step later, undone requests canceled; 409 once ended', async () => {
    const { body: created } = await create(['a', 'b', 'c', 'd'].map((c) => claude(c)));
    at(1.5);
    const canceling = await call('anthropic', 'POST', `${A}/messages/batches/${created.id}/cancel`);
    assert.equal(canceling.status, 200);
    assert.equal(canceling.body.processing_status, 'canceling');
    assert.equal(canceling.body.cancel_initiated_at, iso(1.5 * STEP, 6));
    assert.equal(canceling.body.request_counts.processing, 4, 'counts move only when it ends');
    at(2.5);
    const ended = await retrieve(created.id);
    assert.deepEqual([ended.processing_status, ended.request_counts], ['ended', { processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 0 }]);
    const results = lines((await call('anthropic', 'GET', `${A}/messages/batches/${created.id}/results`)).text);
    assert.deepEqual(results.map((r) => [r.custom_id, r.result.type]), [['d', 'canceled'], ['c', 'canceled'], ['b', 'succeeded'], ['a', 'succeeded']]);
    assert.deepEqual(results[0].result, { type: 'canceled' });
    const again = await call('anthropic', 'POST', `${A}/messages/batches/${created.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.type, 'conflict_error');
    assert.equal(again.res.headers.get('x-should-retry'), 'false');
    // A fixture batch can be cancelled too.
    const fixtureCancel = (await call('anthropic', 'POST', `${A}/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/cancel`)).body;
    assert.equal(fixtureCancel.processing_status, 'canceling');
    at(4);
    const fixtureEnded = await retrieve('msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d');
    assert.deepEqual([fixtureEnded.processing_status, fixtureEnded.request_counts.canceled], ['ended', 2]);
    assert.deepEqual(lines((await call('anthropic', 'GET', new URL(fixtureEnded.results_url).pathname)).text).map((r) => r.result.type), ['canceled', 'canceled']);
  });

  test('mock_outcome in a request: expire, fail', async () => {
    const expire = (await create([claude('a', { mock_outcome: 'expire' }), claude('b'), claude('c'), claude('d')])).body;
    const fail = (await create([claude('a'), claude('b', { mock_outcome: 'fail' })])).body;
    at(2);
    assert.deepEqual((await retrieve(expire.id)).request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 2 });
    const failed = await retrieve(fail.id);
    assert.deepEqual([failed.processing_status, failed.request_counts.errored], ['ended', 2]);
    const results = lines((await call('anthropic', 'GET', `${A}/messages/batches/${fail.id}/results`)).text);
    assert.ok(results.every((r) => r.result.type === 'errored' && /mock_outcome/.test(r.result.error.error.message)));
  });

  test('404 body', async () => {
    const res = await call('anthropic', 'GET', `${A}/messages/batches/msgbatch_nope`);
    assert.equal(res.status, 404);
    assert.equal(res.body.type, 'error');
    assert.equal(res.body.error.type, 'not_found_error');
    assert.match(res.body.error.message, /msgbatch_nope/);
    assert.equal((await call('anthropic', 'GET', `${A}/batches`)).body.error.type, 'not_found_error');
  });
});

// ---- Mistral ------------------------------------------------------------------------------------

const M = '/mistral/v1';
const bodyLine = (customId, body = {}) => ({ custom_id: customId, body: { messages: [{ role: 'user', content: `Hi ${customId}` }], ...body } });

async function uploadForm(provider, p, content, fields) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([content]), 'input.jsonl');
  return call(provider, 'POST', p, { body: form });
}

describe('Mistral', () => {
  const retrieve = async (id, q = '') => (await call('mistral', 'GET', `${M}/batch/jobs/${id}${q}`)).body;
  const createJob = (body) => call('mistral', 'POST', `${M}/batch/jobs`, { body });

  test('auth: bearer; the gateway 401; mistral-correlation-id on every answer', async () => {
    const res = await fetch(`${mock.url}${M}/batch/jobs`);
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ['message', 'request_id']);
    assert.equal(body.message, 'Unauthorized');
    assert.match(res.headers.get('mistral-correlation-id'), UUID);
    assert.equal(body.request_id, res.headers.get('mistral-correlation-id').replaceAll('-', ''));
  });

  test('fixtures: the list page and the SUCCESS job; pages from 0 with a total', async () => {
    assert.deepEqual((await call('mistral', 'GET', `${M}/batch/jobs`)).body, fixture('mistral_list_page.json'));
    assert.deepEqual(await retrieve('5befe8c6-b8cb-4858-a068-d600cf5ed73f'), fixture('mistral_job_success.json'));
    const all = fixture('mistral_list_page.json').data.map((j) => j.id);
    const pages = [];
    for (let page = 0; page < 4; page += 1) {
      const { body } = await call('mistral', 'GET', `${M}/batch/jobs?page=${page}&page_size=3`);
      assert.equal(body.total, 7);
      pages.push(body.data.map((j) => j.id));
    }
    assert.deepEqual(pages, [all.slice(0, 3), all.slice(3, 6), all.slice(6), []]);
    assert.deepEqual((await call('mistral', 'GET', `${M}/batch/jobs?status=RUNNING`)).body.data.map((j) => j.status), ['RUNNING']);
    const bad = await call('mistral', 'GET', `${M}/batch/jobs?page=-1`);
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.body), ['object', 'message', 'type', 'param', 'code']);
  });

  test('files: upload, retrieve, content', async () => {
    const content = jsonl([bodyLine('a'), bodyLine('b'), bodyLine('c')]);
    const { status, body: file } = await uploadForm('mistral', `${M}/files`, content, { purpose: 'batch' });
    assert.equal(status, 200);
    assert.match(file.id, UUID);
    assert.deepEqual({ ...file, id: 'X' }, {
      id: 'X', object: 'file', bytes: Buffer.byteLength(content), created_at: S0, filename: 'input.jsonl', purpose: 'batch',
      sample_type: 'batch_request', source: 'upload', num_lines: 3, mimetype: 'application/jsonl', signature: null,
    });
    assert.deepEqual((await call('mistral', 'GET', `${M}/files/${file.id}`)).body, { ...file, deleted: false });
    const back = await call('mistral', 'GET', `${M}/files/${file.id}/content`);
    assert.equal(back.res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(back.text, content);
    assert.equal((await uploadForm('mistral', `${M}/files`, content, { purpose: 'nope' })).status, 400);
    assert.equal((await call('mistral', 'GET', `${M}/files/nope`)).body.code, 'not_found');
  });

  test('a job from files: QUEUED with no counts, RUNNING, SUCCESS with output and error files', async () => {
    const input = mock.addFile({ dialect: 'mistral', content: jsonl([bodyLine('a'), bodyLine('b', { fail: true }), bodyLine('c', { model: 'mistral-large-latest' })]) });
    const { status, body: job } = await createJob({ input_files: [input.id], endpoint: '/v1/chat/completions', model: 'mistral-small-latest', metadata: { job_type: 'testing' } });
    assert.equal(status, 200);
    assert.match(job.id, UUID);
    assert.deepEqual({ ...job, id: 'X' }, {
      id: 'X', object: 'batch', input_files: [input.id], metadata: { job_type: 'testing' }, endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest', agent_id: null, output_file: null, error_file: null, errors: [], outputs: null, status: 'QUEUED',
      created_at: S0, started_at: null, completed_at: null, total_requests: 0, completed_requests: 0, succeeded_requests: 0, failed_requests: 0,
    });
    at(1.7);
    const running = await retrieve(job.id);
    assert.deepEqual([running.status, running.started_at, running.total_requests, running.completed_requests], ['RUNNING', S0 + 1, 3, 2]);
    at(3);
    const done = await retrieve(job.id);
    assert.deepEqual([done.status, done.completed_at, done.succeeded_requests, done.failed_requests, done.outputs], ['SUCCESS', S0 + 3, 2, 1, null]);
    const output = lines((await call('mistral', 'GET', `${M}/files/${done.output_file}/content`)).text);
    assert.deepEqual(output.map((l) => [l.custom_id, l.response.status_code, l.response.body.model, l.error]), [
      ['a', 200, 'mistral-small-latest', null], ['c', 200, 'mistral-large-latest', null],
    ]);
    assert.match(output[0].id, new RegExp(`^batch-${job.id.slice(0, 8)}-1-`));
    assert.equal(output[0].response.body.object, 'chat.completion');
    assert.equal(output[0].response.body.choices[0].message.content, 'Mock answer to a from mistral-small-latest.');
    const [error] = lines((await call('mistral', 'GET', `${M}/files/${done.error_file}/content`)).text);
    assert.deepEqual([error.custom_id, error.response.status_code, error.response.body.object, error.response.body.type, Object.keys(error.error)], ['b', 400, 'error', 'invalid_request_error', ['message', 'code']]);
    const outFile = (await call('mistral', 'GET', `${M}/files/${done.output_file}`)).body;
    assert.deepEqual([outFile.sample_type, outFile.source, outFile.purpose, outFile.num_lines], ['batch_result', 'mistral', 'batch', 2]);
    assert.equal((await retrieve(job.id, '?inline=true')).outputs.length, 3, '?inline=true puts the results in the job');
  });

  test('inline requests: results in outputs; a line without any model fails', async () => {
    const { body: job } = await createJob({ requests: [bodyLine('x', { model: 'open-mistral-nemo' }), bodyLine('y')], endpoint: '/v1/chat/completions' });
    assert.deepEqual(job.input_files, []);
    at(3);
    const done = await retrieve(job.id);
    assert.deepEqual([done.succeeded_requests, done.failed_requests], [1, 1]);
    assert.deepEqual(done.outputs.map((o) => [o.custom_id, o.response.status_code]), [['x', 200], ['y', 400]]);
    assert.match(done.outputs[1].error.message, /No model/);
  });

  test('outcomes: TIMEOUT_EXCEEDED, FAILED; cancel: CANCELLATION_REQUESTED then CANCELLED', async () => {
    const input = mock.addFile({ dialect: 'mistral', content: jsonl(['a', 'b', 'c', 'd'].map((c) => bodyLine(c))) });
    const base = { input_files: [input.id], endpoint: '/v1/chat/completions', model: 'mistral-small-latest' };
    const expire = (await createJob({ ...base, metadata: { outcome: 'expire' } })).body;
    const fail = (await createJob({ ...base, metadata: { outcome: 'fail' } })).body;
    const cancel = (await createJob(base)).body;
    at(1.5);
    const requested = await call('mistral', 'POST', `${M}/batch/jobs/${cancel.id}/cancel`);
    assert.equal(requested.body.status, 'CANCELLATION_REQUESTED');
    at(2.5);
    const expired = await retrieve(expire.id);
    assert.deepEqual([expired.status, expired.succeeded_requests, expired.total_requests], ['TIMEOUT_EXCEEDED', 2, 4]);
    assert.equal(lines((await call('mistral', 'GET', `${M}/files/${expired.output_file}/content`)).text).length, 2);
    const failed = await retrieve(fail.id);
    assert.deepEqual([failed.status, failed.errors], ['FAILED', [{ message: 'The batch failed (metadata.outcome was "fail").', count: 1 }]]);
    const cancelled = await retrieve(cancel.id);
    assert.deepEqual([cancelled.status, cancelled.completed_at, cancelled.succeeded_requests], ['CANCELLED', S0 + 2, 2]);
    const again = await call('mistral', 'POST', `${M}/batch/jobs/${cancel.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.object, 'error');
  });

  test('create is checked; 404 body', async () => {
    const input = mock.addFile({ dialect: 'mistral', content: jsonl([bodyLine('a')]) });
    for (const body of [
      { input_files: [input.id], endpoint: '/v1/responses' },
      { endpoint: '/v1/chat/completions' },
      { input_files: [input.id], requests: [bodyLine('a')], endpoint: '/v1/chat/completions' },
      { input_files: ['nope'], endpoint: '/v1/chat/completions' },
      { input_files: [input.id], endpoint: '/v1/chat/completions', timeout_hours: 200 },
      { input_files: [input.id], endpoint: '/v1/chat/completions', metadata: { n: 1 } },
      { requests: [{ custom_id: 'x' }], endpoint: '/v1/chat/completions' },
    ]) {
      const res = await createJob(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual([res.body.object, res.body.type], ['error', 'invalid_request_error']);
    }
    const res = await call('mistral', 'GET', `${M}/batch/jobs/00000000-0000-4000-8000-000000000000`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { object: 'error', message: 'Batch job 00000000-0000-4000-8000-000000000000 not found.', type: 'invalid_request_error', param: null, code: 'not_found' });
  });
});

// ---- Gemini -------------------------------------------------------------------------------------

const G = '/gemini';
const geminiLine = (key, request = {}) => ({ key, request: { contents: [{ parts: [{ text: `Say ${key}` }], role: 'user' }], ...request } });

/** The two steps of a resumable upload; resolves to `{ start, finish }` answers. */
async function resumableUpload(content, { declared = Buffer.byteLength(content), displayName = 'my-batch-requests' } = {}) {
  const start = await call('gemini', 'POST', `${G}/upload/v1beta/files`, {
    body: { file: { displayName } },
    headers: {
      'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': String(declared), 'x-goog-upload-header-content-type': 'application/jsonl',
    },
  });
  const url = start.res.headers.get('x-goog-upload-url');
  // The session URL is its own credential: no API key on this request.
  const res = await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, body: content });
  const text = await res.text();
  return { start, url, finish: { res, status: res.status, body: JSON.parse(text) } };
}

describe('Gemini', () => {
  const retrieve = async (name) => (await call('gemini', 'GET', `${G}/v1beta/${name}`)).body;
  const createBatch = (batch, model = 'gemini-2.5-flash') => call('gemini', 'POST', `${G}/v1beta/models/${model}:batchGenerateContent`, { body: { batch } });

  test('auth: x-goog-api-key or ?key=, else 403 PERMISSION_DENIED', async () => {
    const res = await fetch(`${mock.url}${G}/v1beta/batches`);
    assert.equal(res.status, 403);
    const body = await res.json();
    assert.deepEqual(Object.keys(body.error), ['code', 'message', 'status']);
    assert.deepEqual([body.error.code, body.error.status], [403, 'PERMISSION_DENIED']);
    assert.equal((await fetch(`${mock.url}${G}/v1beta/batches?key=${KEY}`)).status, 200);
  });

  test('fixtures: the list page (no inline responses), the succeeded batch, a responses file', async () => {
    assert.deepEqual((await call('gemini', 'GET', `${G}/v1beta/batches`)).body, fixture('gemini_list_page.json'));
    const succeeded = fixture('gemini_batch_succeeded.json');
    assert.deepEqual(await retrieve(succeeded.name), succeeded);
    const fileBatch = await retrieve('batches/o08hk76gv328ihxcssjsgwt3g6omtfysxi46');
    assert.equal(fileBatch.response.responsesFile, 'files/batch-o08hk76gv328ihxcssjsgwt3g6omtfysxi46');
    const download = await call('gemini', 'GET', `${G}/download/v1beta/${fileBatch.response.responsesFile}:download?alt=media`);
    assert.equal(download.text, fixtureText('gemini_responses.jsonl'));
  });

  test('list: pageSize and pageToken, no token on the last page; a bad token is a 400', async () => {
    const all = fixture('gemini_list_page.json').operations.map((o) => o.name);
    const seen = [];
    let token = '';
    for (let pages = 0; pages < 5; pages += 1) {
      const { body } = await call('gemini', 'GET', `${G}/v1beta/batches?pageSize=3${token ? `&pageToken=${token}` : ''}`);
      seen.push(...body.operations.map((o) => o.name));
      if (!body.nextPageToken) break;
      token = body.nextPageToken;
    }
    assert.deepEqual(seen, all);
    const bad = await call('gemini', 'GET', `${G}/v1beta/batches?pageToken=nope`);
    assert.deepEqual([bad.status, bad.body.error.status], [400, 'INVALID_ARGUMENT']);
  });

  test('resumable upload: a session URL on the mock, then the bytes; the size must match', async () => {
    const content = jsonl([geminiLine('request-1'), geminiLine('request-2')]);
    const { start, url, finish } = await resumableUpload(content);
    assert.equal(start.status, 200);
    assert.equal(start.text, '');
    assert.ok(url.startsWith(`${mock.url}${G}/upload/v1beta/files?upload_id=`), url);
    assert.equal(start.res.headers.get('x-goog-upload-status'), 'active');
    assert.equal(finish.status, 200);
    assert.equal(finish.res.headers.get('x-goog-upload-status'), 'final');
    const { file } = finish.body;
    assert.match(file.name, /^files\/[a-z0-9]{12}$/);
    assert.deepEqual({ ...file, name: 'X', sha256Hash: 'H', uri: 'U' }, {
      name: 'X', displayName: 'my-batch-requests', mimeType: 'application/jsonl', sizeBytes: String(Buffer.byteLength(content)),
      createTime: iso(0, 9), updateTime: iso(0, 9), expirationTime: iso(48 * 3_600_000, 9),
      sha256Hash: 'H', uri: 'U', state: 'ACTIVE', source: 'UPLOADED',
    });
    assert.equal(file.uri, `${mock.url}${G}/v1beta/${file.name}`);
    assert.match(Buffer.from(file.sha256Hash, 'base64').toString(), /^[0-9a-f]{64}$/);
    assert.deepEqual(await retrieve(file.name), file);
    const wrong = await resumableUpload(content, { declared: 5 });
    assert.deepEqual([wrong.finish.status, wrong.finish.body.error.status], [400, 'INVALID_ARGUMENT']);
    assert.match(wrong.finish.body.error.message, /size mismatch/);
    const plain = await call('gemini', 'POST', `${G}/upload/v1beta/files`, { body: content });
    assert.equal(plain.status, 400, 'only the resumable protocol');
    // Uploaded files cannot be downloaded.
    assert.equal((await call('gemini', 'GET', `${G}/download/v1beta/${file.name}:download?alt=media`)).status, 400);
  });

  test('a batch from a file: PENDING, RUNNING, SUCCEEDED with a responses file', async () => {
    const { finish } = await resumableUpload(jsonl([geminiLine('request-1'), geminiLine('request-2', { fail: true }), geminiLine('request-3')]));
    const fileName = finish.body.file.name;
    const { status, body: op } = await createBatch({ displayName: 'my-batch', inputConfig: { fileName } });
    assert.equal(status, 200);
    assert.match(op.name, /^batches\/[a-z0-9]{36}$/);
    assert.deepEqual(op, {
      name: op.name,
      metadata: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch', model: 'models/gemini-2.5-flash',
        displayName: 'my-batch', inputConfig: { fileName }, createTime: iso(0, 9), updateTime: iso(0, 9),
        batchStats: { requestCount: '3', pendingRequestCount: '3' }, state: 'BATCH_STATE_PENDING', name: op.name,
      },
    });
    at(1.5);
    const running = await retrieve(op.name);
    assert.deepEqual([running.metadata.state, running.metadata.batchStats, 'done' in running], ['BATCH_STATE_RUNNING', { requestCount: '3', successfulRequestCount: '1', pendingRequestCount: '2' }, false]);
    at(3);
    const done = await retrieve(op.name);
    const id = op.name.slice('batches/'.length);
    assert.equal(done.done, true);
    assert.equal(done.metadata.state, 'BATCH_STATE_SUCCEEDED');
    assert.match(done.metadata.endTime, NANOS);
    assert.deepEqual(done.metadata.batchStats, { requestCount: '3', successfulRequestCount: '2', failedRequestCount: '1' });
    assert.deepEqual(done.metadata.output, { responsesFile: `files/batch-${id}` });
    assert.deepEqual(done.response, { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput', responsesFile: `files/batch-${id}` });
    const file = await retrieve(`files/batch-${id}`);
    assert.deepEqual([file.source, file.downloadUri], ['GENERATED', `${mock.url}${G}/download/v1beta/files/batch-${id}:download?alt=media`]);
    const text = (await call('gemini', 'GET', `${G}/download/v1beta/files/batch-${id}:download?alt=media`)).text;
    const out = lines(text);
    assert.deepEqual(out.map((l) => Object.keys(l)), [['response', 'key'], ['error', 'key'], ['response', 'key']]);
    assert.deepEqual(out.map((l) => l.key), ['request-1', 'request-2', 'request-3']);
    assert.deepEqual(out[0].response.candidates[0], { content: { parts: [{ text: 'Mock answer to request-1 from gemini-2.5-flash.' }], role: 'model' }, finishReason: 'STOP', index: 0 });
    assert.deepEqual(out[0].response.usageMetadata, { promptTokenCount: 10, candidatesTokenCount: 8, totalTokenCount: 18 });
    assert.equal(out[0].response.modelVersion, 'gemini-2.5-flash');
    assert.deepEqual([out[1].error.code, out[1].error.status], [400, 'INVALID_ARGUMENT']);
    assert.equal((await call('gemini', 'GET', `${G}/v1beta/files/batch-${id}:download?alt=media`)).text, text, "the SDK's path too");
  });

  test('inline requests, snake_case spellings: inlined responses on get, not in the list', async () => {
    const requests = { requests: [{ request: geminiLine('k1').request, metadata: { key: 'k1' } }, { request: geminiLine('k2').request, metadata: { key: 'k2' } }] };
    const { status, body: op } = await createBatch({ display_name: 'inline', input_config: { requests } }, 'gemini-2.5-pro');
    assert.equal(status, 200);
    assert.equal(op.metadata.model, 'models/gemini-2.5-pro');
    assert.deepEqual(op.metadata.inputConfig, { requests });
    at(3);
    const done = await retrieve(op.name);
    const inlined = done.metadata.output.inlinedResponses.inlinedResponses;
    assert.deepEqual(inlined.map((r) => [Object.keys(r), r.metadata.key]), [[['response', 'metadata'], 'k1'], [['response', 'metadata'], 'k2']]);
    assert.deepEqual(done.response.inlinedResponses, done.metadata.output.inlinedResponses);
    const listed = (await call('gemini', 'GET', `${G}/v1beta/batches?pageSize=1`)).body.operations[0];
    assert.equal(listed.name, op.name);
    assert.ok(!('output' in listed.metadata) && !('response' in listed), 'the list leaves inline responses out');
    const created = mock.addBatch({ dialect: 'gemini', model: 'gemini-2.5-flash', batch: { displayName: 'x', inputConfig: { requests } } });
    assert.equal(created.metadata.state, 'BATCH_STATE_PENDING');
  });

  test('cancel answers {} and cancels at once; FAILED batches; create is checked', async () => {
    const requests = { requests: [{ request: geminiLine('a').request }] };
    const { body: op } = await createBatch({ displayName: 'c', inputConfig: { requests } });
    at(1.5);
    const cancel = await call('gemini', 'POST', `${G}/v1beta/${op.name}:cancel`);
    assert.deepEqual([cancel.status, cancel.body], [200, {}]);
    const cancelled = await retrieve(op.name);
    assert.deepEqual([cancelled.metadata.state, cancelled.done, cancelled.error.code], ['BATCH_STATE_CANCELLED', true, 1]);
    const again = await call('gemini', 'POST', `${G}/v1beta/${op.name}:cancel`);
    assert.deepEqual([again.status, again.body.error.status], [400, 'FAILED_PRECONDITION']);
    const fixtureCancel = await call('gemini', 'POST', `${G}/v1beta/batches/h2j7k1l6z3x8c4v9b5n0m2q7w1e6r3t8y4u9:cancel`);
    assert.equal(fixtureCancel.status, 200);
    assert.equal((await retrieve('batches/h2j7k1l6z3x8c4v9b5n0m2q7w1e6r3t8y4u9')).metadata.state, 'BATCH_STATE_CANCELLED');

    const forced = (await createBatch({ displayName: 'f', inputConfig: { requests: { requests: [{ request: geminiLine('a', { mock_outcome: 'fail' }).request }] } } })).body;
    const file = mock.addFile({ dialect: 'gemini', content: `${JSON.stringify(geminiLine('a'))}\nnot json\n` });
    const broken = (await createBatch({ displayName: 'b', inputConfig: { fileName: file.name } })).body;
    at(3);
    const forcedDone = await retrieve(forced.name);
    assert.deepEqual([forcedDone.metadata.state, forcedDone.error.code], ['BATCH_STATE_FAILED', 13]);
    const brokenDone = await retrieve(broken.name);
    assert.deepEqual([brokenDone.metadata.state, brokenDone.error], ['BATCH_STATE_FAILED', { code: 3, message: 'line 2: This line is not parseable as a JSON object.' }]);

    for (const batch of [undefined, { inputConfig: { requests } }, { displayName: 'x' }, { displayName: 'x', inputConfig: { fileName: 'files/nope' } }, { displayName: 'x', inputConfig: { requests: { requests: [] } } }]) {
      const res = await createBatch(batch);
      assert.deepEqual([res.status, res.body.error.status], [400, 'INVALID_ARGUMENT'], JSON.stringify(batch));
    }
  });

  test('404 body; 429 and 503 faults carry a RetryInfo detail', async () => {
    const missing = await call('gemini', 'GET', `${G}/v1beta/batches/nope`);
    assert.deepEqual(missing.body, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    for (const [status, name] of [[429, 'RESOURCE_EXHAUSTED'], [503, 'UNAVAILABLE']]) {
      const res = await call('gemini', 'GET', `${G}/v1beta/batches`, { headers: { 'x-mock-fault': `status=${status}` } });
      assert.equal(res.res.headers.get('retry-after-ms'), '10');
      assert.deepEqual(res.body.error, {
        code: status, message: `Injected fault: HTTP ${status}.`, status: name, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.010s' }],
      });
    }
    const slower = await call('gemini', 'GET', `${G}/v1beta/batches`, { headers: { 'x-mock-fault': 'status=429;retry_after_ms=1500' } });
    assert.equal(slower.body.error.details[0].retryDelay, '1.500s');
    const named = await call('gemini', 'GET', `${G}/v1beta/batches`, { headers: { 'x-mock-fault': 'status=400;code=FAILED_PRECONDITION' } });
    assert.equal(named.body.error.status, 'FAILED_PRECONDITION');
  });
});

// ---- Together -----------------------------------------------------------------------------------

const TG = '/together/v1';

describe('Together', () => {
  const retrieve = async (id) => (await call('together', 'GET', `${TG}/batches/${id}`)).body;
  const input = (items) => mock.addFile({ dialect: 'together', content: jsonl(items) });
  const createJob = (body) => call('together', 'POST', `${TG}/batches`, { body });

  test('auth: bearer; batch routes answer a bare message, file routes an object', async () => {
    const batches = await fetch(`${mock.url}${TG}/batches`);
    assert.equal(batches.status, 401);
    const body = await batches.json();
    assert.deepEqual(Object.keys(body), ['error']);
    assert.equal(typeof body.error, 'string');
    const files = await (await fetch(`${mock.url}${TG}/files/file-x`)).json();
    assert.deepEqual(Object.keys(files.error), ['message', 'type', 'param', 'code']);
  });

  test('fixtures: a bare array, newest first; the completed job', async () => {
    assert.deepEqual((await call('together', 'GET', `${TG}/batches`)).body, fixture('together_list.json'));
    assert.deepEqual(await retrieve('01234567-8901-2345-6789-012345678901'), fixture('together_batch.json'));
  });

  test('upload: multipart to /files/upload with purpose, file_name and file_type', async () => {
    const content = jsonl([bodyLine('a', { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' })]);
    const { status, body: file } = await uploadForm('together', `${TG}/files/upload`, content, { purpose: 'batch-api', file_name: 'batch_input.jsonl', file_type: 'jsonl' });
    assert.equal(status, 200);
    assert.match(file.id, /^file-[0-9a-f-]{36}$/);
    assert.deepEqual({ ...file, id: 'X' }, {
      id: 'X', object: 'file', created_at: S0, filename: 'batch_input.jsonl', bytes: Buffer.byteLength(content), purpose: 'batch-api', FileType: 'jsonl', Processed: true,
    });
    const back = await call('together', 'GET', `${TG}/files/${file.id}/content`);
    assert.equal(back.res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(back.text, content);
    const missing = await uploadForm('together', `${TG}/files/upload`, content, { purpose: 'batch-api' });
    assert.deepEqual([missing.status, missing.body.error.param], [400, 'file_name']);
  });

  test('create: 201 { job, warning }; VALIDATING, IN_PROGRESS with progress, COMPLETED; result files', async () => {
    const file = input([bodyLine('a', { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' }), bodyLine('b', { fail: true }), bodyLine('c'), bodyLine('d')]);
    const { status, body } = await createJob({ input_file_id: file.id, endpoint: '/v1/chat/completions' });
    assert.equal(status, 201);
    assert.deepEqual(Object.keys(body), ['job', 'warning']);
    assert.equal(body.warning, '');
    const { job } = body;
    assert.match(job.id, UUID);
    assert.deepEqual({ ...job, id: 'X' }, {
      id: 'X', user_id: 'user_789xyz012', input_file_id: file.id, file_size_bytes: file.bytes, status: 'VALIDATING',
      job_deadline: iso(86_400_000), created_at: iso(0), endpoint: '/v1/chat/completions', progress: 0,
      model_id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    });
    at(1.5);
    assert.deepEqual((({ status: s, progress }) => [s, progress])(await retrieve(job.id)), ['IN_PROGRESS', 50]);
    at(3);
    const done = await retrieve(job.id);
    assert.deepEqual([done.status, done.progress, done.completed_at, 'error' in done], ['COMPLETED', 100, iso(3 * STEP), false]);
    const output = lines((await call('together', 'GET', `${TG}/files/${done.output_file_id}/content`)).text);
    assert.deepEqual(output.map((l) => [Object.keys(l), l.custom_id, l.response.status_code]), [
      [['custom_id', 'response'], 'a', 200], [['custom_id', 'response'], 'c', 200], [['custom_id', 'response'], 'd', 200],
    ]);
    assert.equal(output[0].response.body.object, 'chat.completion');
    const errors = lines((await call('together', 'GET', `${TG}/files/${done.error_file_id}/content`)).text);
    assert.deepEqual(errors.map((l) => [Object.keys(l), l.custom_id, Object.keys(l.error)]), [[['custom_id', 'error'], 'b', ['message', 'code']]]);
    assert.equal((await call('together', 'GET', `${TG}/files/${done.output_file_id}`)).body.purpose, 'batch-generated');
    assert.equal(mock.addBatch({ dialect: 'together', input_file_id: file.id, endpoint: '/v1/chat/completions' }).status, 'VALIDATING');
  });

  test('cancel: CANCELLED at once; an ended job is a 400; failed jobs have an error string; 404', async () => {
    const file = input(['a', 'b'].map((c) => bodyLine(c, { model: 'm' })));
    const { body: { job } } = await createJob({ input_file_id: file.id, endpoint: '/v1/chat/completions' });
    at(1.5);
    const cancelled = await call('together', 'POST', `${TG}/batches/${job.id}/cancel`);
    assert.deepEqual([cancelled.status, cancelled.body.status, cancelled.body.progress, cancelled.body.completed_at], [200, 'CANCELLED', 50, iso(1.5 * STEP)]);
    const again = await call('together', 'POST', `${TG}/batches/${job.id}/cancel`);
    assert.equal(again.status, 400);
    assert.match(again.body.error, /CANCELLED/);
    const broken = mock.addFile({ dialect: 'together', content: 'not json\n' });
    const failing = (await createJob({ input_file_id: broken.id, endpoint: '/v1/chat/completions' })).body.job;
    at(3);
    assert.deepEqual((({ status: s, error }) => [s, error])(await retrieve(failing.id)), ['FAILED', 'line 1: This line is not parseable as a JSON object.']);
    const missing = await call('together', 'GET', `${TG}/batches/nope`);
    assert.deepEqual([missing.status, missing.body], [404, { error: 'batch job nope not found' }]);
    for (const body of [{ endpoint: '/v1/chat/completions' }, { input_file_id: 'file-nope', endpoint: '/v1/chat/completions' }, { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '48h' }]) {
      const res = await createJob(body);
      assert.deepEqual([res.status, typeof res.body.error], [400, 'string'], JSON.stringify(body));
    }
  });
});

// ---- Groq ---------------------------------------------------------------------------------------

const GQ = '/groq/openai/v1';
const openaiLine = (customId, body = {}) => ({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'llama-3.1-8b-instant', messages: [], ...body } });

describe('Groq', () => {
  test('auth: bearer; the error body has no param', async () => {
    const res = await fetch(`${mock.url}${GQ}/batches`);
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.deepEqual(Object.keys(body.error), ['message', 'type', 'code']);
    assert.equal(body.error.code, 'invalid_api_key');
  });

  test('fixtures: two pages by cursor, the completed batch, errors as a bare array', async () => {
    const first = (await call('groq', 'GET', `${GQ}/batches`)).body;
    assert.deepEqual(first, fixture('groq_list_page.json'));
    assert.equal(first.data.length, 10);
    const second = (await call('groq', 'GET', `${GQ}/batches?cursor=${first.paging.next_cursor}`)).body;
    assert.deepEqual(second, fixture('groq_list_page_2.json'));
    assert.ok(!('paging' in second) && !('has_more' in second), 'the last page has no cursor');
    assert.deepEqual((await call('groq', 'GET', `${GQ}/batches/batch_01jsht3h8eetvan84vnmdvar2h`)).body, fixture('groq_batch.json'));
    assert.ok(first.data.some((b) => Array.isArray(b.errors)));
    for (const cursor of ['cursor_nope', 'x']) {
      const bad = await call('groq', 'GET', `${GQ}/batches?cursor=${cursor}`);
      assert.deepEqual([bad.status, bad.body.error.type], [400, 'invalid_request_error']);
    }
  });

  test('completion_window from 24h to 7d; answers carry x_groq and timings', async () => {
    const file = mock.addFile({ dialect: 'groq', content: jsonl([openaiLine('a'), openaiLine('b', { fail: true })]) });
    assert.match(file.id, /^file_01[0-9a-hjkmnp-tv-z]{24}$/);
    assert.ok(!('status' in file));
    const create = (extra) => call('groq', 'POST', `${GQ}/batches`, { body: { input_file_id: file.id, endpoint: '/v1/chat/completions', ...extra } });
    for (const window of [undefined, '12h', '8d', 'soon']) {
      const res = await create(window === undefined ? {} : { completion_window: window });
      assert.equal(res.status, 400, String(window));
      assert.equal(res.body.error.type, 'invalid_request_error');
    }
    const week = (await create({ completion_window: '7d' })).body;
    assert.match(week.id, /^batch_01[0-9a-hjkmnp-tv-z]{24}$/);
    assert.equal(week.expires_at, S0 + 7 * 86_400);
    const day = (await create({ completion_window: '24h' })).body;
    at(3);
    const done = (await call('groq', 'GET', `${GQ}/batches/${day.id}`)).body;
    assert.equal(done.status, 'completed');
    const [line] = lines((await call('groq', 'GET', `${GQ}/files/${done.output_file_id}/content`)).text);
    assert.deepEqual(Object.keys(line), ['id', 'custom_id', 'response', 'error']);
    assert.match(line.response.body.x_groq.id, /^req_/);
    assert.deepEqual(Object.keys(line.response.body.usage), ['queue_time', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'prompt_time', 'completion_time', 'total_time']);
    const [error] = lines((await call('groq', 'GET', `${GQ}/files/${done.error_file_id}/content`)).text);
    assert.equal(error.response.status_code, 400);
  });
});

// ---- Azure OpenAI -------------------------------------------------------------------------------

const AZ = '/azure/openai/v1';
const AZC = '/azure/openai';
const V = 'api-version=2024-10-21';
const deploymentLine = (customId, body = {}) => ({ custom_id: customId, method: 'POST', url: '/chat/completions', body: { model: 'gpt-4.1-batch', messages: [], ...body } });

describe('Azure OpenAI', () => {
  test('auth: api-key, else the gateway 401; apim-request-id on every answer', async () => {
    for (const p of [`${AZ}/batches`, `${AZC}/batches?${V}`]) {
      const res = await fetch(mock.url + p, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(res.status, 401, p);
      const body = await res.json();
      assert.deepEqual(Object.keys(body.error), ['code', 'message']);
      assert.equal(body.error.code, '401');
      assert.match(body.error.message, /^Access denied due to invalid subscription key or wrong API endpoint/);
      assert.match(res.headers.get('apim-request-id'), UUID);
    }
  });

  test('the dated API needs ?api-version=; both URL styles reach one resource', async () => {
    const missing = await call('azure', 'GET', `${AZC}/batches`);
    assert.deepEqual([missing.status, missing.body], [400, { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } }]);
    assert.deepEqual((await call('azure', 'GET', `${AZC}/batches?${V}`)).body, fixture('azure_list_page.json'));
    assert.deepEqual((await call('azure', 'GET', `${AZ}/batches`)).body, fixture('azure_list_page.json'));
    assert.deepEqual((await call('azure', 'GET', `${AZ}/batches/${fixture('azure_batch.json').id}`)).body, fixture('azure_batch.json'));
    const page = (await call('azure', 'GET', `${AZ}/batches?limit=2`)).body;
    assert.deepEqual([page.data.length, page.has_more], [2, true]);
    const file = mock.addFile({ dialect: 'azure', content: jsonl([deploymentLine('a')]) });
    assert.match(file.id, /^file-[0-9a-f]{32}$/);
    assert.equal((await call('azure', 'GET', `${AZC}/files/${file.id}?${V}`)).body.id, file.id);
  });

  test('uploads are pending for a step; a batch from a pending file is a 400', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([jsonl([deploymentLine('a'), deploymentLine('b', { fail: true })])]), 'in.jsonl');
    const { body: file } = await call('azure', 'POST', `${AZ}/files`, { body: form });
    assert.equal(file.status, 'pending');
    const early = await call('azure', 'POST', `${AZ}/batches`, { body: { input_file_id: file.id, endpoint: '/chat/completions', completion_window: '24h' } });
    assert.equal(early.status, 400);
    assert.deepEqual(Object.keys(early.body.error), ['code', 'message', 'param', 'type', 'inner_error']);
    assert.deepEqual([early.body.error.code, early.body.error.type, early.body.error.inner_error], ['invalid_request', 'error', null]);
    assert.match(early.body.error.message, /not processed/);
    at(1);
    assert.equal((await call('azure', 'GET', `${AZ}/files/${file.id}`)).body.status, 'processed');
    const { body: batch } = await call('azure', 'POST', `${AZC}/batches?${V}`, { body: { input_file_id: file.id, endpoint: '/chat/completions', completion_window: '24h' } });
    assert.match(batch.id, /^batch_[0-9a-f-]{36}$/);
    at(4);
    const done = (await call('azure', 'GET', `${AZ}/batches/${batch.id}`)).body;
    assert.equal(done.status, 'completed');
    const [line] = lines((await call('azure', 'GET', `${AZ}/files/${done.output_file_id}/content`)).text);
    assert.equal(line.response.body.model, 'gpt-4.1-batch');
    assert.deepEqual(line.response.body.choices[0].content_filter_results.hate, { filtered: false, severity: 'safe' });
    assert.equal(line.response.body.prompt_filter_results[0].prompt_index, 0);
    assert.equal(lines((await call('azure', 'GET', `${AZ}/files/${done.error_file_id}/content`)).text).length, 1);
  });

  test('a successful job still has an (empty) error file; one deployment and a 24h window or it fails', async () => {
    const ok = mock.addFile({ dialect: 'azure', content: jsonl([deploymentLine('a')]) });
    const mixed = mock.addFile({ dialect: 'azure', content: jsonl([deploymentLine('a'), deploymentLine('b', { model: 'gpt-4o-batch' })]) });
    const create = (fileId, window = '24h') => mock.addBatch({ dialect: 'azure', input_file_id: fileId, endpoint: '/chat/completions', completion_window: window });
    const good = create(ok.id);
    const mismatch = create(mixed.id);
    const window = create(ok.id, '48h');
    at(3);
    const done = (await call('azure', 'GET', `${AZ}/batches/${good.id}`)).body;
    assert.equal(done.status, 'completed');
    assert.match(done.error_file_id, /^file-/);
    const empty = await call('azure', 'GET', `${AZ}/files/${done.error_file_id}/content`);
    assert.deepEqual([empty.status, empty.text, empty.res.headers.get('content-length')], [200, '', '0']);
    const failed = (await call('azure', 'GET', `${AZ}/batches/${mismatch.id}`)).body;
    assert.deepEqual([failed.status, failed.errors.data.map((e) => [e.code, e.line])], ['failed', [['model_mismatch', 2]]]);
    const late = (await call('azure', 'GET', `${AZ}/batches/${window.id}`)).body;
    assert.deepEqual([late.status, late.errors.data[0].param], ['failed', 'completion_window']);
  });

  test('404 body', async () => {
    const res = await call('azure', 'GET', `${AZ}/batches/batch_nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { error: { code: 'not_found', message: "No batch found with id 'batch_nope'.", param: null, type: 'error', inner_error: null } });
  });
});

// ---- faults on every provider's routes ----------------------------------------------------------

const OPENAI_ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * Per provider: where its list is, what its error body looks like, how to make a batch on mock `m`
 * (so a `drop_after_create` can be seen to have made one), and how to poll it until it has ended.
 */
const PROVIDERS = {
  anthropic: {
    list: `${A}/messages/batches`,
    isError: (body, status) => body.type === 'error' && body.error.type === (status === 503 ? 'api_error' : 'authentication_error') && /^req_/.test(body.request_id),
    create: () => ({ path: `${A}/messages/batches`, body: { requests: [claude('a'), claude('b', { fail: true })] } }),
    poll: (created) => `${A}/messages/batches/${created.id}`,
    ended: (batch) => batch.processing_status === 'ended',
  },
  mistral: {
    list: `${M}/batch/jobs`,
    isError: (body, status) => (status === 401 ? body.message === 'Unauthorized' : body.object === 'error' && body.type === 'server_error'),
    create: (m = mock) => ({ path: `${M}/batch/jobs`, body: { input_files: [m.addFile({ dialect: 'mistral', content: jsonl([bodyLine('a', { model: 'm' })]) }).id], endpoint: '/v1/chat/completions' } }),
    poll: (created) => `${M}/batch/jobs/${created.id}`,
    ended: (job) => ['SUCCESS', 'FAILED', 'TIMEOUT_EXCEEDED', 'CANCELLED'].includes(job.status),
  },
  gemini: {
    list: `${G}/v1beta/batches`,
    isError: (body, status) => body.error.code === status && body.error.status === (status === 503 ? 'UNAVAILABLE' : 'PERMISSION_DENIED'),
    create: (m = mock) => ({ path: `${G}/v1beta/models/gemini-2.5-flash:batchGenerateContent`, body: { batch: { displayName: 'd', inputConfig: { fileName: m.addFile({ dialect: 'gemini', content: jsonl([geminiLine('a')]) }).name } } } }),
    poll: (created) => `${G}/v1beta/${created.name}`,
    ended: (op) => op.done === true,
  },
  together: {
    list: `${TG}/batches`,
    isError: (body) => typeof body.error === 'string',
    create: (m = mock) => ({ path: `${TG}/batches`, body: { input_file_id: m.addFile({ dialect: 'together', content: jsonl([bodyLine('a', { model: 'm' })]) }).id, endpoint: '/v1/chat/completions' } }),
    poll: (created) => `${TG}/batches/${created.job.id}`,
    ended: (job) => ['COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED'].includes(job.status),
  },
  groq: {
    list: `${GQ}/batches`,
    isError: (body, status) => Object.keys(body.error).join() === 'message,type,code' && body.error.type === (status === 503 ? 'server_error' : 'invalid_request_error'),
    create: (m = mock) => ({ path: `${GQ}/batches`, body: { input_file_id: m.addFile({ dialect: 'groq', content: jsonl([openaiLine('a')]) }).id, endpoint: '/v1/chat/completions', completion_window: '24h' } }),
    poll: (created) => `${GQ}/batches/${created.id}`,
    ended: (batch) => OPENAI_ENDED.has(batch.status),
  },
  azure: {
    list: `${AZ}/batches`,
    isError: (body, status) => (status === 401 ? body.error.code === '401' : body.error.type === 'error' && body.error.code === 'server_error' && body.error.inner_error === null),
    create: (m = mock) => ({ path: `${AZC}/batches?${V}`, body: { input_file_id: m.addFile({ dialect: 'azure', content: jsonl([deploymentLine('a')]) }).id, endpoint: '/chat/completions', completion_window: '24h' } }),
    poll: (created) => `${AZ}/batches/${created.id}`,
    ended: (batch) => OPENAI_ENDED.has(batch.status),
  },
};

describe('a real clock (stepMs: 20)', () => {
  test('every provider: create, then retrieve until it has ended', async () => {
    const live = await startMock({ stepMs: 20 });
    try {
      for (const [name, provider] of Object.entries(PROVIDERS)) {
        const { path: p, body } = provider.create(live);
        const created = await call(name, 'POST', p, { body, on: live });
        assert.ok([200, 201].includes(created.status), `${name}: ${created.text}`);
        const seen = [];
        let batch;
        for (let polls = 0; polls < 200; polls += 1) {
          batch = (await call(name, 'GET', provider.poll(created.body), { on: live })).body;
          seen.push(JSON.stringify(batch).length);
          if (provider.ended(batch)) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(provider.ended(batch), `${name} ended: ${JSON.stringify(batch)}`);
        assert.ok(seen.length > 1, `${name} was seen moving`);
      }
    } finally {
      await live.close();
    }
  });
});

describe('faults on every provider', () => {
  for (const [name, provider] of Object.entries(PROVIDERS)) {
    describe(name, () => {
      const faulty = (spec, init = {}) => call(name, 'GET', provider.list, { ...init, headers: { 'x-mock-fault': spec, ...init.headers } });

      test('auth refused without its header, in its error body', async () => {
        const res = await fetch(mock.url + provider.list);
        assert.ok([401, 403].includes(res.status), String(res.status));
        assert.ok(provider.isError(await res.json(), res.status));
      });

      test('status=503: its error body, retry-after-ms 10, before auth', async () => {
        const res = await faulty('status=503');
        assert.equal(res.status, 503);
        assert.equal(res.res.headers.get('retry-after-ms'), '10');
        assert.ok(provider.isError(res.body, 503), JSON.stringify(res.body));
        const bare = await fetch(mock.url + provider.list, { headers: { 'x-mock-fault': 'status=503' } });
        assert.equal(bare.status, 503, 'faults come before auth');
        assert.ok(provider.isError(await bare.json(), 503));
        assert.equal(bare.headers.get('x-request-id').startsWith('req_'), true);
      });

      test('drop, hang, malformed_json, slow', async () => {
        await assert.rejects(faulty('drop'), TypeError);
        await assert.rejects(fetch(mock.url + provider.list, { headers: { ...AUTH[name], 'x-mock-fault': 'hang' }, signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' });
        const malformed = await faulty('malformed_json');
        assert.deepEqual([malformed.status, malformed.text], [200, '{"id": "batch_']);
        const expected = (await call(name, 'GET', provider.list)).text;
        const slow = await faulty('slow;bytes=512;every=1');
        assert.equal(slow.text, expected);
      });

      test('drop_after_create: the batch is made, the answer never comes', async () => {
        const { path: p, body } = provider.create();
        const before = mock.batches(name).length;
        await assert.rejects(call(name, 'POST', p, { body, headers: { 'x-mock-fault': 'drop_after_create' } }), TypeError);
        assert.equal(mock.batches(name).length, before + 1);
        const recorded = mock.requests.at(-1);
        assert.deepEqual([recorded.method, recorded.path], ['POST', p.split('?')[0]]);
      });

      test('addFault({ dialect }) faults only that provider', async () => {
        mock.addFault({ dialect: name, fault: 'status=503', times: 1 });
        assert.equal((await call('groq', 'GET', '/openai/v1/batches', { headers: { authorization: `Bearer ${KEY}` } })).status, 200, 'other dialects are not faulted');
        assert.equal((await call(name, 'GET', provider.list)).status, 503);
        assert.equal((await call(name, 'GET', provider.list)).status, 200);
      });
    });
  }
});

describe('shared mechanics', () => {
  test('preflights on a provider prefix echo the asked-for headers and carry its request id', async () => {
    const res = await fetch(`${mock.url}${A}/messages/batches`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,anthropic-version,anthropic-dangerous-direct-browser-access' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-headers'), 'x-api-key,anthropic-version,anthropic-dangerous-direct-browser-access');
    assert.match(res.headers.get('request-id'), /^req_011C/);
    assert.equal(mock.requests.length, 1);
  });

  test('files and faults by dialect over the control routes; requests recorded', async () => {
    const res = await fetch(`${mock.url}/__mock/files`, { method: 'POST', body: JSON.stringify({ dialect: 'gemini', id: 'ctlfile00001', content: 'x\n' }) });
    assert.equal(res.status, 201);
    assert.deepEqual([(await res.json()).file.name], ['files/ctlfile00001']);
    assert.equal((await call('gemini', 'GET', `${G}/v1beta/files/ctlfile00001`)).body.sizeBytes, '2');
    const arm = await fetch(`${mock.url}/__mock/faults`, { method: 'POST', body: JSON.stringify({ dialect: 'mistral', pathRegex: '^/batch/jobs$', fault: 'status=429', times: 1 }) });
    assert.equal(arm.status, 201);
    const limited = await call('mistral', 'GET', `${M}/batch/jobs`);
    assert.deepEqual([limited.status, limited.body.type, limited.body.code], [429, 'rate_limited', '1300']);
    assert.deepEqual(mock.requests.map((r) => r.path), [`${G}/v1beta/files/ctlfile00001`, `${M}/batch/jobs`]);
    assert.equal(mock.requests[1].headers.authorization, `Bearer ${KEY}`);
  });

  test('a Gemini upload in two pieces, at their offsets', async () => {
    const content = jsonl([geminiLine('a'), geminiLine('b')]);
    const start = await call('gemini', 'POST', `${G}/upload/v1beta/files`, {
      headers: { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'x-goog-upload-header-content-length': String(content.length) },
    });
    const url = start.res.headers.get('x-goog-upload-url');
    const half = Math.floor(content.length / 2);
    const first = await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, body: content.slice(0, half) });
    assert.deepEqual([first.status, first.headers.get('x-goog-upload-status')], [200, 'active']);
    const wrong = await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload', 'x-goog-upload-offset': '0' }, body: 'x' });
    assert.equal(wrong.status, 400);
    const last = await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': String(half) }, body: content.slice(half) });
    const { file } = await last.json();
    assert.deepEqual([last.headers.get('x-goog-upload-status'), file.sizeBytes], ['final', String(content.length)]);
    const gone = await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, body: '' });
    assert.deepEqual([gone.status, (await gone.json()).error.status], [404, 'NOT_FOUND']);
  });
});

describe('demo data', () => {
  test('Anthropic and Mistral batches beside the OpenAI and PPInfra ones, some moving', async () => {
    const demo = await startMock({ demo: { speed: 50 } });
    try {
      const anthropic = demo.batches('anthropic');
      const mistral = demo.batches('mistral');
      assert.ok(anthropic.length >= 5 && mistral.length >= 5);
      assert.deepEqual(new Set(anthropic.map((b) => b.processing_status)), new Set(['ended', 'in_progress', 'canceling']));
      assert.ok(new Set(mistral.map((b) => b.status)).size >= 4);
      assert.equal(demo.batches('openai').length, 19);
      assert.equal(demo.batches('ppinfra').length, 12);
      const ended = anthropic.find((b) => b.processing_status === 'ended');
      const res = await fetch(ended.results_url, { headers: AUTH.anthropic });
      assert.equal(res.status, 200);
      assert.ok(lines(await res.text()).length > 0);
    } finally {
      await demo.close();
    }
  });

  test('usage and history: 143 OpenAI batches with model and usage, 13 running past the first page, some overdue', async () => {
    const demo = await startMock({ demo: { usage: true, history: 124 } });
    try {
      const all = demo.batches('openai');
      assert.equal(all.length, 143);
      const ended = new Set(['completed', 'failed', 'expired', 'cancelled']);
      const older = all.slice(100).filter((b) => !ended.has(b.status));
      assert.equal(older.length, 13, 'running batches beyond the newest page of 100');
      assert.ok(older.every((b) => b.status === 'in_progress' && b.metadata.job.startsWith('reindex-shard-')));
      const now = Date.now() / 1000;
      const overdue = older.filter((b) => b.expires_at < now);
      assert.ok(overdue.length >= 3 && overdue.length < older.length, `some, not all, past their deadline (${overdue.length})`);
      assert.ok(new Set(all.map((b) => b.status)).size >= 6, 'every kind of ending among them');
      // The order OpenAI sends them in, and usage that agrees with the results.
      const done = all.find((b) => b.status === 'completed' && b.endpoint === '/v1/chat/completions' && b.request_counts.failed > 0);
      assert.deepEqual(Object.keys(done).slice(0, 4), ['id', 'object', 'endpoint', 'model']);
      assert.deepEqual(Object.keys(done).slice(-2), ['usage', 'metadata']);
      const res = await fetch(`${demo.url}/openai/v1/files/${done.output_file_id}/content`, { headers: { authorization: `Bearer ${KEY}` } });
      const answers = lines(await res.text()).map((line) => line.response.body.usage);
      assert.equal(answers.length, done.request_counts.completed);
      const sum = (key) => answers.reduce((n, u) => n + u[key], 0);
      assert.deepEqual(
        [done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens],
        [sum('prompt_tokens'), sum('completion_tokens'), sum('total_tokens')],
      );
      const embed = all.find((b) => b.status === 'completed' && b.endpoint === '/v1/embeddings');
      assert.equal(embed.usage.output_tokens, 0);
      assert.ok(embed.usage.input_tokens > 0);
      // The other dialects are as they were.
      assert.equal(demo.batches('ppinfra').length, 12);
      assert.ok(demo.batches('ppinfra').every((b) => !('usage' in b)));
    } finally {
      await demo.close();
    }
  });

  test('without usage or history the OpenAI demo batches are as before', async () => {
    const demo = await startMock({ demo: true });
    try {
      const all = demo.batches('openai');
      assert.equal(all.length, 19);
      assert.ok(all.every((b) => !('usage' in b) && !('model' in b)));
      assert.equal(all.at(-1).id, 'batch_0001');
    } finally {
      await demo.close();
    }
  });
});
