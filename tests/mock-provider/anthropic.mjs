// Anthropic's Message Batches API, under /anthropic/v1 (the client's base URL is <mock>/anthropic/v1).
// Requests come inline in the create body; a batch is `in_progress`, `canceling` or `ended`, its
// counts stay in `processing` until it ends, and its results are one JSONL file at `results_url`.
import { addLiveBatch, batchOr404, cancelOr409, jsonObjectBody, listed, startAfter } from './api.mjs';
import { bufferPayload } from './files.mjs';
import { ApiError } from './http.mjs';
import { TERMINAL, inlineRequests } from './lifecycle.mjs';
import { USAGE, answerText, failureMessage, storeLines } from './results.mjs';
import { BASE62, isObject, rfc3339, token } from './shapes.mjs';

const REAL_BASE = 'https://api.anthropic.com/v1';
const MAX_REQUESTS = 100_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const DAY_MS = 86_400_000;
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 20;
/** The model of results made up for fixture batches (the batch guide's own example). */
const FIXTURE_MODEL = 'claude-sonnet-4-5-20250929';

const ERROR_TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The documented types; other 4xx are `invalid_request_error`, as the errors page says. */
const errorType = (status) => ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

/** `req_011C…`, as Anthropic's look, derived from the mock's own request id (and so unique). */
const requestIdOf = (requestId) => `req_011C${token(`anthropic:${requestId}`, 20, BASE62)}`;

function errorBody(status, { message }, { requestId = '' } = {}) {
  return { type: 'error', error: { type: errorType(status), message }, request_id: requestIdOf(requestId) };
}

const invalidRequest = (message) => new ApiError(400, message, { code: 'invalid_request_error' });

/**
 * `x-api-key` and `anthropic-version`; and, as the real API does, a request from a browser page
 * (it carries an `Origin`) must opt in with `anthropic-dangerous-direct-browser-access: true`.
 */
function authorize({ headers }) {
  if (headers.origin !== undefined && headers['anthropic-dangerous-direct-browser-access'] !== 'true') {
    throw new ApiError(401, "CORS requests must set 'anthropic-dangerous-direct-browser-access' header");
  }
  if (!(headers['x-api-key'] ?? '').trim()) throw new ApiError(401, 'x-api-key header is required');
  if (!headers['anthropic-version']) throw new ApiError(401, 'anthropic-version header is required');
}

// ---- batches ----------------------------------------------------------------------------------

const resultsUrl = (site, id) => `${site.origin}${site.prefix}/messages/batches/${id}/results`;

/** `processing` until the batch ends; then succeeded / errored / canceled / expired, summing to the total. */
function countsOf({ status, request_counts: { total, completed, failed } }) {
  if (!TERMINAL.has(status)) return { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const undone = total - completed - failed;
  // A batch forced to fail has no such state here: every request errors instead.
  if (status === 'failed') return { processing: 0, succeeded: 0, errored: total, canceled: 0, expired: 0 };
  return { processing: 0, succeeded: completed, errored: failed, canceled: status === 'cancelled' ? undone : 0, expired: status === 'expired' ? undone : 0 };
}

function processingStatus(status) {
  if (TERMINAL.has(status)) return 'ended';
  return status === 'cancelling' ? 'canceling' : 'in_progress';
}

/** A MessageBatch from the OpenAI-shaped state; times with microseconds, as Anthropic sends them. */
function renderBatch(batch, { id, createdMs, times, origin, prefix }) {
  const ended = TERMINAL.has(batch.status);
  return {
    id,
    type: 'message_batch',
    processing_status: processingStatus(batch.status),
    request_counts: countsOf(batch),
    ended_at: ended ? rfc3339(times[batch.status], 6) : null,
    created_at: rfc3339(createdMs, 6),
    expires_at: rfc3339(createdMs + DAY_MS, 6),
    archived_at: null,
    cancel_initiated_at: times.cancelling === undefined ? null : rfc3339(times.cancelling, 6),
    results_url: ended ? resultsUrl({ origin, prefix }, id) : null,
  };
}

/** A fixture's `results_url` names api.anthropic.com; sent from the mock, it names the mock. */
function renderStatic(batch, site) {
  if (typeof batch.results_url === 'string' && batch.results_url.startsWith(REAL_BASE) && site.origin) {
    batch.results_url = `${site.origin}${site.prefix}${batch.results_url.slice(REAL_BASE.length)}`;
  }
  return batch;
}

function overlayCancel(batch, { status, cancelMs, cancelledMs, wasCancelling }) {
  if (!wasCancelling) batch.cancel_initiated_at = rfc3339(cancelMs, 6);
  if (status !== 'cancelled') {
    batch.processing_status = 'canceling';
    return;
  }
  const { processing, succeeded, errored, canceled, expired } = batch.request_counts;
  batch.processing_status = 'ended';
  batch.request_counts = { processing: 0, succeeded, errored, canceled: canceled + processing, expired };
  batch.ended_at = rfc3339(cancelledMs, 6);
  batch.results_url = `${REAL_BASE}/messages/batches/${batch.id}/results`;
}

const STATUS_OF = { in_progress: 'in_progress', canceling: 'cancelling', ended: 'completed' };

// ---- results ----------------------------------------------------------------------------------

/** One request's `result`: what it produced (`outcome` from lifecycle.mjs) in Anthropic's shape. */
function resultOf(request, outcome, batchId, batchFailure) {
  if (outcome === 'succeeded') {
    return {
      type: 'succeeded',
      message: {
        id: `msg_01${token(`anthropic:message:${batchId}:${request.line}`, 22, BASE62)}`,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [{ type: 'text', text: answerText(request) }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: USAGE.input, output_tokens: USAGE.output },
      },
    };
  }
  if (outcome === 'errored' || outcome === 'failed') {
    const message = outcome === 'failed' ? batchFailure : failureMessage(request);
    const error = { type: 'error', error: { type: 'invalid_request_error', message }, request_id: requestIdOf(`${batchId}:${request.line}`) };
    return { type: 'errored', error };
  }
  return { type: outcome === 'cancelled' ? 'canceled' : 'expired' };
}

const resultsId = (batchId) => `${batchId}/results`;

/**
 * Every request has a line, undone ones too (`canceled`, `expired`). Anthropic does not promise the
 * input's order, so the mock answers in reverse: a client that assumes the order finds out.
 */
function settle({ id, outcomes, problems, makeFile }) {
  const failure = problems[0]?.message;
  const lines = outcomes.map(({ request, outcome }) => JSON.stringify({ custom_id: request.custom_id, result: resultOf(request, outcome, id, failure) }));
  lines.reverse();
  return { output_file_id: storeLines(makeFile, lines, `${id}_results.jsonl`, { id: resultsId(id), kind: 'output' }), error_file_id: null };
}

/** Results for a fixture batch without a results fixture: made up from its counts. */
function resultsFromCounts(batch) {
  const lines = [];
  for (const [type, outcome] of [['succeeded', 'succeeded'], ['errored', 'errored'], ['canceled', 'cancelled'], ['expired', 'expired']]) {
    for (let i = 0; i < batch.request_counts[type]; i += 1) {
      const line = lines.length + 1;
      const request = { line, custom_id: `request-${line}`, model: FIXTURE_MODEL };
      lines.push(JSON.stringify({ custom_id: request.custom_id, result: resultOf(request, outcome, batch.id) }));
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

// ---- routes -----------------------------------------------------------------------------------

const notFound = (id) => `The requested resource could not be found: no message batch with id '${id}'.`;

/** Checks what the API checks when a batch is created; `params` themselves are the model's business. */
function checkRequests(requests) {
  if (requests === undefined) throw invalidRequest('requests: Field required');
  if (!Array.isArray(requests)) throw invalidRequest('requests: Input should be a valid list');
  if (requests.length === 0) throw invalidRequest('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > MAX_REQUESTS) {
    throw invalidRequest(`requests: List should have at most ${MAX_REQUESTS} items after validation, not ${requests.length}`);
  }
  const seen = new Set();
  for (const [i, item] of requests.entries()) {
    const at = `requests.${i}`;
    if (!isObject(item)) throw invalidRequest(`${at}: Input should be a valid dictionary`);
    if (typeof item.custom_id !== 'string' || !CUSTOM_ID.test(item.custom_id)) {
      throw invalidRequest(`${at}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
    }
    if (seen.has(item.custom_id)) throw invalidRequest(`${at}.custom_id: Duplicate custom_id '${item.custom_id}'; each request in a batch needs its own.`);
    seen.add(item.custom_id);
    const { params } = item;
    if (!isObject(params)) throw invalidRequest(`${at}.params: Field required`);
    if (typeof params.model !== 'string' || !params.model) throw invalidRequest(`${at}.params.model: Field required`);
    if (!Number.isInteger(params.max_tokens)) throw invalidRequest(`${at}.params.max_tokens: Field required`);
    if (!Array.isArray(params.messages)) throw invalidRequest(`${at}.params.messages: Field required`);
  }
}

const readRequest = (item) => ({
  custom_id: item.custom_id,
  model: item.params.model,
  fail: item.params.fail === true,
  outcome: item.params.mock_outcome,
  body: item.params,
});

function create(ctx) {
  const { requests } = jsonObjectBody(ctx.body);
  checkRequests(requests);
  const params = { endpoint: '/v1/messages', completion_window: '24h', metadata: null, input_file_id: null };
  const batch = addLiveBatch(ctx, { params, requests: inlineRequests(requests, readRequest) });
  return { body: batch.view(ctx.site).batch };
}

function limitOf(raw) {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw invalidRequest(`limit: Input should be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/** `after_id` pages forward, `before_id` backward; `has_more` is about the direction asked. */
function list({ batches, query, listing, clock, site }) {
  const entries = listed(batches, listing, clock);
  const limit = limitOf(query.limit);
  const { after_id: afterId, before_id: beforeId } = query;
  if (afterId !== undefined && beforeId !== undefined) throw invalidRequest('Only one of after_id and before_id may be given.');
  const unknown = (name, id) => () => invalidRequest(`${name}: no message batch with id '${id}'`);
  let start;
  let end;
  if (beforeId !== undefined) {
    end = startAfter(entries, beforeId, unknown('before_id', beforeId)) - 1;
    start = Math.max(0, end - limit);
  } else {
    start = startAfter(entries, afterId, unknown('after_id', afterId));
    end = Math.min(entries.length, start + limit);
  }
  const data = entries.slice(start, end).map((entry) => entry.view(site).batch);
  const hasMore = beforeId !== undefined ? start > 0 : end < entries.length;
  return { body: { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null } };
}

function retrieve({ batches, params, site }) {
  return { body: batchOr404(batches, params.id, notFound(params.id)).view(site).batch };
}

function cancel({ batches, params, site }) {
  const entry = batchOr404(batches, params.id, notFound(params.id));
  return { body: cancelOr409(entry, params.id, { site, status: (b) => b.processing_status }).batch };
}

/** The JSONL results of an ended batch: written when it ended, a fixture's own, or made from its counts. */
function results({ batches, files, params, site }) {
  const entry = batchOr404(batches, params.id, notFound(params.id));
  const { batch } = entry.view(site);
  if (batch.processing_status !== 'ended') {
    throw new ApiError(404, `Message batch '${params.id}' has not ended yet (processing_status '${batch.processing_status}'): no results are available.`);
  }
  const file = files.get(resultsId(params.id));
  const payload = file ? file.payload : bufferPayload(Buffer.from(resultsFromCounts(batch)));
  return { payload, headers: { 'content-type': 'application/x-jsonl' }, download: resultsId(params.id) };
}

const ROUTES = [
  { method: 'GET', pattern: ['messages', 'batches'], shape: 'page', handle: list },
  { method: 'POST', pattern: ['messages', 'batches'], shape: 'batch', handle: create, create: true },
  { method: 'GET', pattern: ['messages', 'batches', ':id'], shape: 'batch', handle: retrieve },
  { method: 'POST', pattern: ['messages', 'batches', ':id', 'cancel'], shape: 'batch', handle: cancel },
  { method: 'GET', pattern: ['messages', 'batches', ':id', 'results'], shape: 'content', handle: results },
];

export const ANTHROPIC = {
  name: 'anthropic',
  prefixes: [{ prefix: '/anthropic/v1' }],
  routes: ROUTES,
  authorize,
  errorBody,
  headers: (requestId) => ({ 'request-id': requestIdOf(requestId) }),
  renderBatch,
  renderStatic,
  overlayCancel,
  statusOf: (wire) => STATUS_OF[wire.processing_status] ?? wire.processing_status,
  settle,
  idScope: 'anthropic',
  formatId: (kind, n) => (kind === 'batch' ? `msgbatch_01${token(`anthropic:batch:${n}`, 22, BASE62)}` : `${kind}_01${token(`anthropic:${kind}:${n}`, 22, BASE62)}`),
};
