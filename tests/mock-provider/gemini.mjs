// The Gemini API's native Batch Mode, under /gemini (the client's base URL is <mock>/gemini, as it
// would be https://generativelanguage.googleapis.com). Batches are long-running Operations named
// `batches/<id>`; input comes from a file uploaded with Google's resumable protocol or inline;
// results are a generated file `files/batch-<id>` or inline responses; errors are google.rpc.Status.
import { addLiveBatch, batchOr404, contentAnswer, fileOr404, jsonObjectBody, listed, startAfter } from './api.mjs';
import { bufferPayload } from './files.mjs';
import { ApiError } from './http.mjs';
import { TERMINAL, inlineRequests } from './lifecycle.mjs';
import { USAGE, answerText, failureMessage, storeLines } from './results.mjs';
import { BASE62, LOWER_ALNUM, isObject, rfc3339, token } from './shapes.mjs';
import { createHash } from 'node:crypto';

const REAL_BASE = 'https://generativelanguage.googleapis.com';
const BATCH_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
const FILE_TTL_MS = 48 * 3_600_000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const CHUNK_GRANULARITY = String(8 * 1024 * 1024);

/** google.rpc.Code names by HTTP status. */
const STATUS_NAMES = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const statusName = (status) => STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN');

/** The wait a 429 / 503 asks for, as Google puts it: a RetryInfo detail in the body, e.g. `0.010s`. */
function retryDelay({ headers = {} }) {
  const ms = headers['retry-after-ms'] ?? (headers['retry-after'] !== undefined && /^\d+$/.test(headers['retry-after']) ? Number(headers['retry-after']) * 1000 : undefined);
  return ms === undefined ? null : `${(Number(ms) / 1000).toFixed(3)}s`;
}

/**
 * `{ error: { code, message, status, details? } }`. `status` is the canonical name for the HTTP
 * status, unless the error names one itself (`code: 'FAILED_PRECONDITION'`); `details` only when
 * there are some, as Google leaves it out otherwise.
 */
function errorBody(status, error) {
  const named = /^[A-Z][A-Z_]+$/.test(error.code ?? '') ? error.code : statusName(status);
  const details = [...(error.details ?? [])];
  const delay = status === 429 || status === 503 ? retryDelay(error) : null;
  if (delay) details.push({ '@type': RETRY_INFO, retryDelay: delay });
  return { error: { code: status, message: error.message, status: named, ...(details.length ? { details } : {}) } };
}

const invalidArgument = (message) => new ApiError(400, message, { code: 'INVALID_ARGUMENT' });
const NOT_FOUND = 'Requested entity was not found.';

/** `x-goog-api-key` or `?key=`. An upload session's URL is its own credential, as Google's are. */
function authorize({ headers, query, rest }) {
  if (rest === '/upload/v1beta/files' && query.upload_id !== undefined) return;
  if (!(headers['x-goog-api-key'] ?? query.key ?? '').trim()) {
    throw new ApiError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", { code: 'PERMISSION_DENIED' });
  }
}

const baseOf = (ctx) => (ctx.origin ? `${ctx.origin}${ctx.prefix}` : REAL_BASE);

// ---- files ------------------------------------------------------------------------------------

/** A File. Google's `sha256Hash` is the base64 of the hex digest. */
function renderFile(meta, ctx) {
  const base = baseOf(ctx);
  const created = rfc3339(meta.createdMs, 9);
  const uploaded = meta.kind === 'input';
  const file = { name: `files/${meta.id}` };
  if (uploaded) file.displayName = meta.displayName ?? meta.filename;
  Object.assign(file, {
    mimeType: meta.mimeType ?? 'application/jsonl',
    sizeBytes: String(meta.bytes),
    createTime: created,
    updateTime: created,
    expirationTime: rfc3339(meta.createdMs + FILE_TTL_MS, 9),
  });
  if (ctx.content) file.sha256Hash = Buffer.from(createHash('sha256').update(ctx.content).digest('hex')).toString('base64');
  file.uri = `${base}/v1beta/files/${meta.id}`;
  if (!uploaded) file.downloadUri = `${base}/download/v1beta/files/${meta.id}:download?alt=media`;
  file.state = 'ACTIVE';
  file.source = uploaded ? 'UPLOADED' : 'GENERATED';
  return file;
}

const EMPTY = bufferPayload(Buffer.alloc(0));

/**
 * `POST /upload/v1beta/files`: `X-Goog-Upload-Command: start` opens a session and answers its URL
 * in `x-goog-upload-url`; that URL then takes the bytes (`upload`, at `X-Goog-Upload-Offset`, in
 * one piece or several) and `finalize` makes the file, which must have the size announced.
 */
function upload(ctx) {
  if (ctx.query.upload_id !== undefined) return uploadBytes(ctx);
  const { headers, body, sessions, newId, site } = ctx;
  if ((headers['x-goog-upload-protocol'] ?? '').toLowerCase() !== 'resumable') {
    throw invalidArgument('Only resumable uploads are supported here: send X-Goog-Upload-Protocol: resumable.');
  }
  if ((headers['x-goog-upload-command'] ?? '').toLowerCase() !== 'start') throw invalidArgument('The first request of an upload must send X-Goog-Upload-Command: start.');
  const size = headers['x-goog-upload-header-content-length'];
  if (!/^\d+$/.test(size ?? '')) throw invalidArgument('X-Goog-Upload-Header-Content-Length must give the size of the file in bytes.');
  let file = {};
  if (body.length) {
    const metadata = jsonObjectBody(body);
    file = isObject(metadata.file) ? metadata.file : {};
  }
  const id = typeof file.name === 'string' && file.name.startsWith('files/') ? file.name.slice('files/'.length) : newId('file');
  const uploadId = newId('upload');
  sessions.set(uploadId, {
    id, size: Number(size), displayName: file.displayName ?? file.display_name, mimeType: headers['x-goog-upload-header-content-type'] ?? file.mimeType, chunks: [], received: 0,
  });
  const url = `${site.origin}${site.prefix}/upload/v1beta/files?upload_id=${uploadId}&upload_protocol=resumable`;
  return {
    payload: EMPTY,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-goog-upload-url': url, 'x-goog-upload-status': 'active', 'x-goog-upload-chunk-granularity': CHUNK_GRANULARITY },
  };
}

function uploadBytes({ headers, query, body, sessions, files, clock, site }) {
  const session = sessions.get(query.upload_id);
  if (!session) throw new ApiError(404, `No upload session '${query.upload_id}'.`);
  const command = (headers['x-goog-upload-command'] ?? '').split(',').map((c) => c.trim().toLowerCase());
  if (!command.includes('upload') && !command.includes('finalize')) throw invalidArgument('X-Goog-Upload-Command must be upload, finalize or both.');
  if (command.includes('upload')) {
    const offset = Number(headers['x-goog-upload-offset']);
    if (offset !== session.received) throw invalidArgument(`X-Goog-Upload-Offset is ${headers['x-goog-upload-offset']}, but ${session.received} bytes have been received.`);
    session.chunks.push(Buffer.from(body));
    session.received += body.length;
  }
  if (!command.includes('finalize')) return { payload: EMPTY, headers: { 'x-goog-upload-status': 'active' } };
  sessions.delete(query.upload_id);
  if (session.received !== session.size) {
    throw invalidArgument(`Upload size mismatch: X-Goog-Upload-Header-Content-Length announced ${session.size} bytes, ${session.received} were sent.`);
  }
  const entry = files.add({
    id: session.id, filename: session.displayName ?? session.id, purpose: 'batch', content: Buffer.concat(session.chunks), createdMs: clock.now(),
    displayName: session.displayName, mimeType: session.mimeType, upload: true,
  });
  return { body: { file: entry.view(site) }, headers: { 'x-goog-upload-status': 'final' } };
}

function retrieveFile({ files, params, site }) {
  return { body: fileOr404(files, params.id, NOT_FOUND).view(site) };
}

/** Only generated files (batch results) can be downloaded, with `?alt=media`. */
function download({ files, params, query }) {
  const entry = fileOr404(files, params.id, NOT_FOUND);
  if (query.alt !== 'media') throw invalidArgument('Downloads need ?alt=media.');
  if (entry.meta.kind === 'input') throw invalidArgument(`Only generated files can be downloaded; files/${params.id} was uploaded.`);
  return contentAnswer(entry, params.id);
}

// ---- batches ----------------------------------------------------------------------------------

const STATE = {
  validating: 'BATCH_STATE_PENDING',
  in_progress: 'BATCH_STATE_RUNNING',
  finalizing: 'BATCH_STATE_RUNNING',
  completed: 'BATCH_STATE_SUCCEEDED',
  failed: 'BATCH_STATE_FAILED',
  expired: 'BATCH_STATE_EXPIRED',
  cancelling: 'BATCH_STATE_RUNNING',
  cancelled: 'BATCH_STATE_CANCELLED',
};
const CANONICAL = {
  BATCH_STATE_PENDING: 'validating',
  BATCH_STATE_RUNNING: 'in_progress',
  BATCH_STATE_SUCCEEDED: 'completed',
  BATCH_STATE_FAILED: 'failed',
  BATCH_STATE_EXPIRED: 'expired',
  BATCH_STATE_CANCELLED: 'cancelled',
};

/** int64 counts go out as strings, and zero counts not at all (proto3 JSON). */
function int64s(counts) {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => [k, String(n)]));
}

/** The Operation's `error` when it did not succeed: a google.rpc.Status with its numeric code. */
function operationError(status, problems) {
  if (status === 'failed') {
    const forced = problems.every((p) => p.code === 'batch_failed');
    const message = problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message)).join('; ');
    return { code: forced ? 13 : 3, message };
  }
  if (status === 'cancelled') return { code: 1, message: 'The batch was cancelled.' };
  if (status === 'expired') return { code: 4, message: 'The batch was pending or running for more than 48 hours and has expired.' };
  return null;
}

/** An Operation whose metadata is the GenerateContentBatch, in the key order Google writes. */
function renderBatch(batch, { id, params, createdMs, times, problems, settled }) {
  const ended = TERMINAL.has(batch.status);
  const name = `batches/${id}`;
  const { total, completed, failed } = batch.request_counts;
  const output = settled?.output ?? null;
  const metadata = { '@type': BATCH_TYPE, model: `models/${params.model}`, displayName: params.displayName, inputConfig: structuredClone(params.inputConfig) };
  if (output) metadata.output = structuredClone(output);
  metadata.createTime = rfc3339(createdMs, 9);
  if (ended) metadata.endTime = rfc3339(times[batch.status], 9);
  metadata.updateTime = rfc3339(Math.max(createdMs, ...Object.values(times)), 9);
  metadata.batchStats = int64s({
    requestCount: total, successfulRequestCount: completed, failedRequestCount: failed, pendingRequestCount: ended ? 0 : total - completed - failed,
  });
  metadata.state = STATE[batch.status];
  metadata.name = name;
  const operation = { name, metadata };
  if (ended) operation.done = true;
  if (output) operation.response = { '@type': OUTPUT_TYPE, ...structuredClone(output) };
  const error = ended ? operationError(batch.status, problems) : null;
  if (error) operation.error = error;
  return operation;
}

/** A cancelled Operation at once: Gemini has no state between RUNNING and CANCELLED. */
function overlayCancel(operation, { cancelledMs }) {
  const { metadata } = operation;
  const at = rfc3339(cancelledMs, 9);
  metadata.state = 'BATCH_STATE_CANCELLED';
  metadata.endTime = at;
  metadata.updateTime = at;
  delete metadata.batchStats.pendingRequestCount;
  operation.done = true;
  operation.error = operationError('cancelled', []);
}

function responseOf(request, batchId) {
  return {
    candidates: [{ content: { parts: [{ text: answerText(request) }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: USAGE.input, candidatesTokenCount: USAGE.output, totalTokenCount: USAGE.input + USAGE.output },
    modelVersion: request.model,
    responseId: token(`gemini:response:${batchId}:${request.line}`, 22, BASE62),
  };
}

const requestError = (request) => ({ code: 400, message: failureMessage(request), status: 'INVALID_ARGUMENT' });

/**
 * Results exist only for a batch that succeeded: inline responses in input order, or the file
 * `files/batch-<id>` with one line per request, `response` (or `error`) before `key` as Google writes.
 */
function settle({ id, status, outcomes, params, makeFile }) {
  if (status !== 'completed') return { output_file_id: null, error_file_id: null, output: null };
  const results = outcomes.map(({ request, outcome }) => [request, outcome === 'succeeded' ? { response: responseOf(request, id) } : { error: requestError(request) }]);
  if (params.inline) {
    const inlinedResponses = results.map(([request, result]) => ({ ...result, ...(request.custom_id === null ? {} : { metadata: { key: request.custom_id } }) }));
    return { output_file_id: null, error_file_id: null, output: { inlinedResponses: { inlinedResponses } } };
  }
  const fileId = `batch-${id}`;
  const lines = results.map(([request, result]) => JSON.stringify({ ...result, key: request.custom_id }));
  storeLines(makeFile, lines, fileId, { id: fileId, kind: 'output' });
  return { output_file_id: fileId, error_file_id: null, output: { responsesFile: `files/${fileId}` } };
}

/** One request of a file line (`{ key, request }`) or of an inline one (`{ request, metadata: { key } }`). */
function requestOf(key, request, model) {
  const body = isObject(request) ? request : {};
  const read = { custom_id: key ?? null, model, fail: body.fail === true, outcome: body.mock_outcome, body };
  return isObject(request) ? read : { ...read, fail: true, failure: 'The line has no request object.' };
}

function create(ctx) {
  const { batch } = jsonObjectBody(ctx.body);
  if (!isObject(batch)) throw invalidArgument('Invalid JSON payload: the request needs a "batch" object.');
  // Google's JSON accepts both spellings of every field.
  const displayName = batch.displayName ?? batch.display_name;
  if (typeof displayName !== 'string' || displayName === '') throw invalidArgument('batch.display_name is required.');
  const config = batch.inputConfig ?? batch.input_config;
  if (!isObject(config)) throw invalidArgument('batch.input_config is required.');
  const fileName = config.fileName ?? config.file_name;
  const inline = config.requests;
  if ((fileName === undefined) === (inline === undefined)) throw invalidArgument('batch.input_config needs exactly one of file_name and requests.');
  const model = ctx.params.model.replace(/^models\//, '');
  const params = { endpoint: 'generateContent', completion_window: '48h', metadata: null, input_file_id: fileName ?? null, model, displayName, inline: inline !== undefined };
  if (!params.inline) {
    const entry = typeof fileName === 'string' ? ctx.files.get(fileName.replace(/^files\//, '')) : undefined;
    if (!entry || entry.meta.kind !== 'input') throw invalidArgument(`batch.input_config.file_name: no uploaded file '${fileName}'.`);
    params.inputConfig = { fileName };
    return { body: addLiveBatch(ctx, { params, input: entry.content }).view(ctx.site).batch };
  }
  const items = isObject(inline) ? inline.requests : undefined;
  if (!Array.isArray(items) || items.length === 0 || items.some((item) => !isObject(item))) {
    throw invalidArgument('batch.input_config.requests.requests must be a non-empty list of {request, metadata} objects.');
  }
  params.inputConfig = { requests: { requests: structuredClone(items) } };
  const requests = inlineRequests(items, (item) => requestOf(isObject(item.metadata) ? item.metadata.key : undefined, item.request, model));
  return { body: addLiveBatch(ctx, { params, requests }).view(ctx.site).batch };
}

const readLine = (line, params) => requestOf(line.key, line.request, params.model);

/** Listing leaves out inline responses, as the Gemini API does ("make a get call" for them). */
function withoutInlineResponses(operation) {
  if (operation.metadata?.output?.inlinedResponses === undefined) return operation;
  delete operation.metadata.output;
  delete operation.response;
  return operation;
}

const pageToken = (id) => Buffer.from(JSON.stringify({ after: id })).toString('base64url');

function tokenTarget(raw) {
  try {
    const after = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))?.after;
    return typeof after === 'string' ? after : '';
  } catch {
    return '';
  }
}

function pageSizeOf(raw) {
  if (raw === undefined || raw === '' || Number(raw) === 0) return DEFAULT_PAGE_SIZE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw invalidArgument('page_size must be a positive integer.');
  return Math.min(n, MAX_PAGE_SIZE);
}

/** `?pageSize=` (50, at most 1000) and `?pageToken=`; the last page has no `nextPageToken`. */
function list({ batches, query, listing, clock, site }) {
  const entries = listed(batches, listing, clock);
  const size = pageSizeOf(query.pageSize);
  const after = query.pageToken ? tokenTarget(query.pageToken) : undefined;
  const start = startAfter(entries, after, () => invalidArgument('Invalid page token.'));
  const page = entries.slice(start, start + size);
  const body = { operations: page.map((entry) => withoutInlineResponses(entry.view(site).batch)) };
  if (start + page.length < entries.length) body.nextPageToken = pageToken(page.at(-1).id);
  return { body };
}

function retrieve({ batches, params, site }) {
  return { body: batchOr404(batches, params.id, NOT_FOUND).view(site).batch };
}

function cancel({ batches, params }) {
  const entry = batchOr404(batches, params.id, NOT_FOUND);
  if (!entry.cancel()) throw new ApiError(400, `batches/${params.id} has already ended and cannot be cancelled.`, { code: 'FAILED_PRECONDITION' });
  return { body: {} };
}

/** Google's custom methods (`:cancel`, `:download`, …) end the last segment; see api.mjs' matchRoute. */
const ROUTES = [
  { method: 'POST', pattern: ['upload', 'v1beta', 'files'], shape: 'file', handle: upload },
  { method: 'GET', pattern: ['v1beta', 'files', ':id:download'], shape: 'content', handle: download },
  { method: 'GET', pattern: ['v1beta', 'files', ':id'], shape: 'file', handle: retrieveFile },
  { method: 'GET', pattern: ['download', 'v1beta', 'files', ':id:download'], shape: 'content', handle: download },
  {
    method: 'POST',
    pattern: ['v1beta', 'models', ':model:batchGenerateContent'],
    shape: 'batch',
    handle: create,
    create: true,
    // mock.addBatch({ dialect: 'gemini', model, batch }): the model goes in the path.
    fromParams: ({ model = 'gemini-2.5-flash', ...body }) => ({ params: { model }, body }),
  },
  { method: 'GET', pattern: ['v1beta', 'batches'], shape: 'page', handle: list },
  { method: 'GET', pattern: ['v1beta', 'batches', ':id'], shape: 'batch', handle: retrieve },
  { method: 'POST', pattern: ['v1beta', 'batches', ':id:cancel'], shape: 'batch', handle: cancel },
];

const ID_LENGTH = { batch: 36, file: 12 };

export const GEMINI = {
  name: 'gemini',
  prefixes: [{ prefix: '/gemini' }],
  routes: ROUTES,
  authorize,
  errorBody,
  renderBatch,
  overlayCancel,
  idOf: (wire) => wire.name.replace(/^batches\//, ''),
  statusOf: (wire) => CANONICAL[wire.metadata.state] ?? wire.metadata.state,
  readLine,
  settle,
  renderFile,
  cancelSteps: 0,
  idScope: 'gemini',
  formatId: (kind, n) => (kind === 'upload' ? `ABgVH${token(`gemini:upload:${n}`, 60, BASE62)}` : token(`gemini:${kind}:${n}`, ID_LENGTH[kind] ?? 12, LOWER_ALNUM)),
};
