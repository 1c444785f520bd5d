// Mistral's Batch API and Files API, under /mistral/v1. Jobs read `{ custom_id, body }` lines from
// uploaded files (or take them inline), go QUEUED -> RUNNING -> SUCCESS | FAILED | TIMEOUT_EXCEEDED
// (or CANCELLATION_REQUESTED -> CANCELLED), count their requests only once running, and list by
// page number with a total.
import { addLiveBatch, batchOr404, cancelOr409, contentAnswer, fileOr404, formOf, jsonObjectBody, listed, requireBearer } from './api.mjs';
import { ApiError } from './http.mjs';
import { TERMINAL, inlineRequests } from './lifecycle.mjs';
import { USAGE, answerText, failureMessage, storeLines } from './results.mjs';
import { isObject, openaiCode, seconds, uuid } from './shapes.mjs';

const ENDPOINTS = new Set([
  '/v1/chat/completions', '/v1/embeddings', '/v1/fim/completions', '/v1/moderations', '/v1/chat/moderations',
  '/v1/ocr', '/v1/classifications', '/v1/chat/classifications', '/v1/conversations', '/v1/audio/transcriptions',
]);
const PURPOSES = new Set(['fine-tune', 'batch', 'ocr', 'audio']);
const MAX_INLINE = 10_000;
const DEFAULT_PAGE_SIZE = 100;

const STATUS = {
  validating: 'QUEUED',
  in_progress: 'RUNNING',
  finalizing: 'RUNNING',
  completed: 'SUCCESS',
  failed: 'FAILED',
  expired: 'TIMEOUT_EXCEEDED',
  cancelling: 'CANCELLATION_REQUESTED',
  cancelled: 'CANCELLED',
};
const CANONICAL = {
  QUEUED: 'validating',
  RUNNING: 'in_progress',
  SUCCESS: 'completed',
  FAILED: 'failed',
  TIMEOUT_EXCEEDED: 'expired',
  CANCELLATION_REQUESTED: 'cancelling',
  CANCELLED: 'cancelled',
};

const correlationId = (requestId) => uuid(`mistral:${requestId}`);

/** The gateway's 401 is its own shape; everything else is the API's error object. */
function errorBody(status, { message, code, param = null }, { requestId = '' } = {}) {
  if (status === 401) return { message, request_id: correlationId(requestId).replaceAll('-', '') };
  const type = status === 429 ? 'rate_limited' : status >= 500 ? 'server_error' : 'invalid_request_error';
  // "1300" is what Mistral's rate limiter has been seen to send.
  return { object: 'error', message, type, param, code: code ?? (status === 429 ? '1300' : openaiCode(status)) };
}

const authorize = (req) => requireBearer(req, 'Unauthorized');

const invalid = (message, param = null) => new ApiError(400, message, { code: 'invalid_request', param });

// ---- files ------------------------------------------------------------------------------------

function countLines(content) {
  return content.toString('utf8').split('\n').filter((line) => line.trim() !== '').length;
}

const SAMPLE_TYPE = { output: 'batch_result', error: 'batch_error' };

/** Uploads are `source: upload`; a job's output and error files are Mistral's own. */
function renderFile(meta, { content }) {
  const upload = meta.kind === 'input';
  return {
    id: meta.id,
    object: 'file',
    bytes: meta.bytes,
    created_at: seconds(meta.createdMs),
    filename: meta.filename,
    purpose: upload ? meta.purpose : 'batch',
    sample_type: SAMPLE_TYPE[meta.kind] ?? (meta.purpose === 'batch' ? 'batch_request' : 'instruct'),
    source: upload ? 'upload' : 'mistral',
    num_lines: content ? countLines(content) : null,
    mimetype: 'application/jsonl',
    signature: null,
  };
}

function upload({ files, body, headers, clock, newId, site }) {
  const { file, field } = formOf({ headers, body });
  if (!file) throw invalid("Field 'file' is required.", 'file');
  // Optional in the spec; Mistral's historical default.
  const purpose = field('purpose') ?? 'fine-tune';
  if (!PURPOSES.has(purpose)) throw invalid(`Invalid purpose '${purpose}': expected one of ${[...PURPOSES].join(', ')}.`, 'purpose');
  const entry = files.add({ id: newId('file'), filename: file.filename, purpose, content: file.content, createdMs: clock.now(), upload: true });
  return { body: entry.view(site) };
}

const fileNotFound = (id) => `File ${id} not found.`;

function retrieveFile({ files, params, site }) {
  return { body: { ...fileOr404(files, params.id, fileNotFound(params.id)).view(site), deleted: false } };
}

function fileContent({ files, params }) {
  return contentAnswer(fileOr404(files, params.id, fileNotFound(params.id)), params.id);
}

// ---- jobs -------------------------------------------------------------------------------------

/** A line is `{ custom_id, body }`; its model is its body's or, failing that, the job's. */
function readLine(line, params) {
  const body = isObject(line.body) ? line.body : {};
  const model = typeof body.model === 'string' ? body.model : params.model;
  const read = { custom_id: line.custom_id ?? null, model, fail: body.fail === true, outcome: body.mock_outcome, body };
  if (!isObject(line.body)) return { ...read, fail: true, failure: 'The line has no body object.' };
  if (!model) return { ...read, model: null, fail: true, failure: 'No model: set one on the job or in the body.' };
  return read;
}

function checkedParams(body) {
  const { input_files: inputFiles, requests, endpoint, model = null, metadata = null, timeout_hours: hours = 24 } = body;
  if (typeof endpoint !== 'string' || !ENDPOINTS.has(endpoint)) {
    throw invalid(`Invalid endpoint '${endpoint}': expected one of ${[...ENDPOINTS].join(', ')}.`, 'endpoint');
  }
  if ((inputFiles ?? null) === null && (requests ?? null) === null) throw invalid('Either input_files or requests is required.', 'input_files');
  if ((inputFiles ?? null) !== null && (requests ?? null) !== null) throw invalid('Give input_files or requests, not both.', 'requests');
  if (model !== null && typeof model !== 'string') throw invalid('model must be a string.', 'model');
  if (metadata !== null && (!isObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string'))) {
    throw invalid('metadata must be an object of string values.', 'metadata');
  }
  if (!Number.isInteger(hours) || hours < 1 || hours > 168) throw invalid('timeout_hours must be an integer from 1 to 168.', 'timeout_hours');
  return { inputFiles, requests, endpoint, model, metadata, hours };
}

/** The input files' lines, one after the other. */
function inputOf(files, inputFiles) {
  if (!Array.isArray(inputFiles) || inputFiles.length === 0 || inputFiles.some((id) => typeof id !== 'string')) {
    throw invalid('input_files must be a non-empty list of file ids.', 'input_files');
  }
  const parts = inputFiles.map((id) => {
    const entry = files.get(id);
    if (!entry) throw invalid(`Input file ${id} not found.`, 'input_files');
    return entry.content.toString('utf8').replace(/\n?$/, '\n');
  });
  return Buffer.from(parts.join(''));
}

function inlineOf(requests, params) {
  if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_INLINE) {
    throw invalid(`requests must be a list of 1 to ${MAX_INLINE} requests.`, 'requests');
  }
  for (const [i, r] of requests.entries()) {
    if (!isObject(r) || !isObject(r.body)) throw invalid(`requests.${i}.body: an object is required.`, 'requests');
  }
  return inlineRequests(requests, (line) => readLine(line, params));
}

function create(ctx) {
  const checked = checkedParams(jsonObjectBody(ctx.body));
  const { inputFiles, requests, endpoint, model, metadata, hours } = checked;
  const params = {
    endpoint, completion_window: `${hours}h`, metadata, input_file_id: null, model, inputFiles: inputFiles ?? [], inline: requests !== undefined && requests !== null,
  };
  const source = params.inline ? { requests: inlineOf(requests, params) } : { input: inputOf(ctx.files, inputFiles) };
  const batch = addLiveBatch(ctx, { params, ...source });
  return { body: batch.view(ctx.site).batch };
}

/**
 * A BatchJob. `total_requests` stays 0 until the job runs (as Mistral's do); `outputs` holds the
 * results of an inline job once it has ended, or of any ended job asked for with `?inline=true`.
 */
function renderBatch(batch, { id, params, times, problems, settled, inline }) {
  const { total, completed, failed } = batch.request_counts;
  const counted = times.in_progress !== undefined || batch.status === 'failed';
  const endMs = TERMINAL.has(batch.status) ? times[batch.status] : undefined;
  return {
    id,
    object: 'batch',
    input_files: params.inputFiles,
    metadata: params.metadata,
    endpoint: params.endpoint,
    model: params.model,
    agent_id: null,
    output_file: batch.output_file_id,
    error_file: batch.error_file_id,
    errors: batch.status === 'failed' ? problems.map((p) => ({ message: p.line ? `line ${p.line}: ${p.message}` : p.message, count: 1 })) : [],
    outputs: settled && (params.inline || inline) ? structuredClone(settled.outputs) : null,
    status: STATUS[batch.status],
    created_at: batch.created_at,
    started_at: times.in_progress === undefined ? null : seconds(times.in_progress),
    completed_at: endMs === undefined ? null : seconds(endMs),
    total_requests: counted ? total : 0,
    completed_requests: completed + failed,
    succeeded_requests: completed,
    failed_requests: failed,
  };
}

function answerBody(endpoint, request, lineId, createdSecs) {
  const usage = { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output };
  if (endpoint === '/v1/embeddings') {
    return { id: lineId, object: 'list', data: [{ object: 'embedding', embedding: [0.0023, -0.0091, 0.0154], index: 0 }], model: request.model, usage: { prompt_tokens: 8, total_tokens: 8, completion_tokens: 0 } };
  }
  // Every other endpoint answers as chat does: the mock has one kind of model.
  return {
    id: lineId.replace(/^batch-/, '').replaceAll('-', '').slice(0, 32),
    object: 'chat.completion',
    model: request.model,
    usage,
    created: createdSecs,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answerText(request), tool_calls: null } }],
  };
}

/**
 * The output file: one line per request that succeeded. The error file's lines are undocumented;
 * the mock writes those that failed as `{ id, custom_id, response: { status_code: 400, body: <the
 * API's error object> }, error: { message, code } }`. Requests the job never ran (cancelled, timed
 * out) are in neither.
 */
function settle({ id, status, outcomes, params, createdMs, makeFile }) {
  if (status === 'failed') return { output_file_id: null, error_file_id: null, outputs: [] };
  const output = [];
  const errors = [];
  for (const { request, outcome } of outcomes) {
    const lineId = `batch-${id.slice(0, 8)}-${request.line}-${uuid(`mistral:line:${id}:${request.line}`)}`;
    const base = { id: lineId, custom_id: request.custom_id };
    if (outcome === 'succeeded') {
      output.push({ ...base, response: { status_code: 200, body: answerBody(params.endpoint, request, lineId, seconds(createdMs)) }, error: null });
    } else if (outcome === 'errored') {
      const message = failureMessage(request);
      const body = { object: 'error', message, type: 'invalid_request_error' };
      errors.push({ ...base, response: { status_code: 400, body }, error: { message, code: 'invalid_request' } });
    }
  }
  const write = (lines, kind) => storeLines(makeFile, lines.map((l) => JSON.stringify(l)), `${id}_${kind}.jsonl`, { kind });
  return { output_file_id: write(output, 'output'), error_file_id: write(errors, 'error'), outputs: [...output, ...errors] };
}

function overlayCancel(batch, { status, cancelledMs }) {
  batch.status = STATUS[status];
  if (status === 'cancelled') batch.completed_at = seconds(cancelledMs);
}

function pageNumber(raw, fallback, name, min) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw invalid(`${name} must be an integer of at least ${min}.`, name);
  return n;
}

/** `?page=` from 0, `?page_size=` (100), `?status=`; newest first, with the total of all pages. */
function list({ batches, query, listing, clock, site }) {
  let entries = listed(batches, listing, clock);
  if (query.status !== undefined) entries = entries.filter((entry) => entry.view(site).batch.status === query.status);
  const page = pageNumber(query.page, 0, 'page', 0);
  const size = pageNumber(query.page_size, DEFAULT_PAGE_SIZE, 'page_size', 1);
  const data = entries.slice(page * size, (page + 1) * size).map((entry) => entry.view(site).batch);
  return { body: { data, object: 'list', total: entries.length } };
}

const jobNotFound = (id) => `Batch job ${id} not found.`;

function retrieve({ batches, params, query, site }) {
  const entry = batchOr404(batches, params.id, jobNotFound(params.id));
  return { body: entry.view({ ...site, inline: query.inline === 'true' }).batch };
}

function cancel({ batches, params, site }) {
  return { body: cancelOr409(batchOr404(batches, params.id, jobNotFound(params.id)), params.id, { site }).batch };
}

const ROUTES = [
  { method: 'POST', pattern: ['files'], shape: 'file', handle: upload },
  { method: 'GET', pattern: ['files', ':id'], shape: 'file', handle: retrieveFile },
  { method: 'GET', pattern: ['files', ':id', 'content'], shape: 'content', handle: fileContent },
  { method: 'GET', pattern: ['batch', 'jobs'], shape: 'page', handle: list },
  { method: 'POST', pattern: ['batch', 'jobs'], shape: 'batch', handle: create, create: true },
  { method: 'GET', pattern: ['batch', 'jobs', ':id'], shape: 'batch', handle: retrieve },
  { method: 'POST', pattern: ['batch', 'jobs', ':id', 'cancel'], shape: 'batch', handle: cancel },
];

export const MISTRAL = {
  name: 'mistral',
  prefixes: [{ prefix: '/mistral/v1' }],
  routes: ROUTES,
  authorize,
  errorBody,
  headers: (requestId) => ({ 'mistral-correlation-id': correlationId(requestId) }),
  renderBatch,
  overlayCancel,
  statusOf: (wire) => CANONICAL[wire.status] ?? wire.status,
  readLine,
  settle,
  renderFile,
  idScope: 'mistral',
  formatId: (kind, n) => uuid(`mistral:${kind}:${n}`),
};
