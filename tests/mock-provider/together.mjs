// Together AI's Batch API, under /together/v1. Files are uploaded with `purpose=batch-api` to
// /files/upload; jobs are upper-case (VALIDATING, IN_PROGRESS, COMPLETED, FAILED, EXPIRED,
// CANCELLED) with RFC 3339 times, a 0..100 `progress` and no unset fields; a create answers 201
// `{ job, warning }`, the list a bare array. Batch routes' errors are `{ error: "<message>" }`,
// file routes' the OpenAI-style object.
import { addLiveBatch, batchOr404, contentAnswer, fileOr404, formOf, jsonObjectBody, listed, requireBearer } from './api.mjs';
import { ApiError } from './http.mjs';
import { TERMINAL } from './lifecycle.mjs';
import { failureMessage, openaiBody, storeLines } from './results.mjs';
import { openaiErrorBody, rfc3339, seconds, uuid } from './shapes.mjs';

const PURPOSES = new Set(['batch-api', 'fine-tune', 'eval']);
const FILE_TYPES = new Set(['jsonl', 'csv', 'parquet']);
const DAY_MS = 86_400_000;
/** The owner of every job (the API reference's example user). */
const USER_ID = 'user_789xyz012';

const STATUS = {
  validating: 'VALIDATING',
  in_progress: 'IN_PROGRESS',
  finalizing: 'IN_PROGRESS',
  completed: 'COMPLETED',
  failed: 'FAILED',
  expired: 'EXPIRED',
  // Together documents no status between a cancel and CANCELLED (cancelSteps 0 below).
  cancelling: 'CANCELLED',
  cancelled: 'CANCELLED',
};

const isFileRoute = (rest = '') => rest === '/files' || rest.startsWith('/files/');

/** Two shapes on one host: the batch endpoints answer a bare message, the file endpoints an object. */
function errorBody(status, error, { rest } = {}) {
  return isFileRoute(rest) ? openaiErrorBody(status, error) : { error: error.message };
}

const authorize = (req) => requireBearer(req, 'Invalid API key provided. You can find your API key at https://api.together.ai/settings/api-keys.');

const invalid = (message, param = null) => new ApiError(400, message, { code: 'invalid_request', param });

// ---- files ------------------------------------------------------------------------------------

/** Together's FileResponse, with its capitalised `FileType` and `Processed`. */
function renderFile(meta) {
  return {
    id: meta.id,
    object: 'file',
    created_at: seconds(meta.createdMs),
    filename: meta.filename,
    bytes: meta.bytes,
    purpose: meta.kind === 'input' ? meta.purpose : 'batch-generated',
    FileType: meta.fileType ?? 'jsonl',
    Processed: true,
  };
}

function upload({ files, body, headers, clock, newId, site }) {
  const { file, field } = formOf({ headers, body });
  if (!file) throw invalid("Missing required parameter: 'file'.", 'file');
  const purpose = field('purpose');
  if (!PURPOSES.has(purpose)) throw invalid(`Invalid 'purpose': '${purpose}'; use batch-api for batch input.`, 'purpose');
  const fileName = field('file_name');
  if (!fileName) throw invalid("Missing required parameter: 'file_name'.", 'file_name');
  const fileType = field('file_type') ?? 'jsonl';
  if (!FILE_TYPES.has(fileType)) throw invalid(`Invalid 'file_type': '${fileType}'.`, 'file_type');
  const entry = files.add({ id: newId('file'), filename: fileName, purpose, content: file.content, createdMs: clock.now(), fileType, upload: true });
  return { body: entry.view(site) };
}

const fileNotFound = (id) => `File ${id} not found`;

function retrieveFile({ files, params, site }) {
  return { body: fileOr404(files, params.id, fileNotFound(params.id)).view(site) };
}

function fileContent({ files, params }) {
  return contentAnswer(fileOr404(files, params.id, fileNotFound(params.id)), params.id, 'text/plain; charset=utf-8');
}

// ---- batches ----------------------------------------------------------------------------------

/** A BatchJob in the API reference's key order; what is not set yet is left out. */
function renderBatch(batch, { id, params, createdMs, times, problems, requests }) {
  const { total, completed, failed } = batch.request_counts;
  const ended = TERMINAL.has(batch.status);
  const done = total === 0 ? (batch.status === 'completed' ? 1 : 0) : (completed + failed) / total;
  const job = {
    id,
    user_id: USER_ID,
    input_file_id: params.input_file_id,
    file_size_bytes: params.fileBytes,
    status: STATUS[batch.status],
    job_deadline: rfc3339(createdMs + DAY_MS),
    created_at: rfc3339(createdMs),
    endpoint: params.endpoint,
    progress: Math.round(done * 10000) / 100,
  };
  const model = params.model_id ?? requests[0]?.model;
  if (model) job.model_id = model;
  if (batch.output_file_id) job.output_file_id = batch.output_file_id;
  if (batch.error_file_id) job.error_file_id = batch.error_file_id;
  if (batch.status === 'failed') job.error = problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message)).join('; ');
  if (ended) job.completed_at = rfc3339(times[batch.status]);
  return job;
}

function overlayCancel(job, { cancelledMs }) {
  job.status = 'CANCELLED';
  job.completed_at = rfc3339(cancelledMs);
}

/**
 * The output file has the requests that succeeded, `{ custom_id, response: { status_code, body } }`;
 * the error file those that failed, `{ custom_id, error: { message, code } }`. Requests a
 * cancelled or expired job never ran are in neither.
 */
function settle({ id, status, outcomes, params, createdMs, makeFile }) {
  if (status === 'failed') return { output_file_id: null, error_file_id: null };
  const output = [];
  const errors = [];
  for (const { request, outcome } of outcomes) {
    if (outcome === 'succeeded') {
      const body = { ...openaiBody(params.endpoint, request, seconds(createdMs)), prompt: [] };
      output.push(JSON.stringify({ custom_id: request.custom_id, response: { status_code: 200, body } }));
    } else if (outcome === 'errored') {
      errors.push(JSON.stringify({ custom_id: request.custom_id, error: { message: failureMessage(request), code: 'invalid_request' } }));
    }
  }
  return {
    output_file_id: storeLines(makeFile, output, `${id}_output.jsonl`, { kind: 'output' }),
    error_file_id: storeLines(makeFile, errors, `${id}_error.jsonl`, { kind: 'error' }),
  };
}

function create(ctx) {
  const { files, site } = ctx;
  const body = jsonObjectBody(ctx.body);
  for (const name of ['input_file_id', 'endpoint']) {
    if (typeof body[name] !== 'string' || body[name] === '') throw invalid(`${name} is required`, name);
  }
  const input = files.get(body.input_file_id);
  if (!input) throw invalid(`input file ${body.input_file_id} not found`, 'input_file_id');
  if (input.meta.purpose !== 'batch-api') throw invalid(`input file ${body.input_file_id} has purpose '${input.meta.purpose}', not 'batch-api'`, 'input_file_id');
  // "defaults to 24h and cannot be changed"
  if (body.completion_window !== undefined && body.completion_window !== '24h') throw invalid('completion_window must be 24h', 'completion_window');
  if (body.model_id !== undefined && typeof body.model_id !== 'string') throw invalid('model_id must be a string', 'model_id');
  if (body.priority !== undefined && !Number.isInteger(body.priority)) throw invalid('priority must be an integer', 'priority');
  const params = {
    endpoint: body.endpoint, completion_window: '24h', metadata: null, input_file_id: body.input_file_id, model_id: body.model_id, fileBytes: input.meta.bytes,
  };
  const batch = addLiveBatch(ctx, { params, input: input.content });
  return { status: 201, body: { job: batch.view(site).batch, warning: '' } };
}

/** Every job, newest first, as a bare array: Together's list has no paging. */
function list({ batches, listing, clock, site }) {
  return { body: listed(batches, listing, clock).map((entry) => entry.view(site).batch) };
}

const jobNotFound = (id) => `batch job ${id} not found`;

function retrieve({ batches, params, site }) {
  return { body: batchOr404(batches, params.id, jobNotFound(params.id)).view(site).batch };
}

/** VALIDATING and IN_PROGRESS jobs can be cancelled; an ended one is a 400 (the spec has no 409). */
function cancel({ batches, params, site }) {
  const entry = batchOr404(batches, params.id, jobNotFound(params.id));
  if (!entry.cancel()) throw invalid(`batch job ${params.id} is ${entry.view(site).batch.status} and can no longer be cancelled`);
  return { body: entry.view(site).batch };
}

const ROUTES = [
  { method: 'POST', pattern: ['files', 'upload'], shape: 'file', handle: upload },
  { method: 'GET', pattern: ['files', ':id'], shape: 'file', handle: retrieveFile },
  { method: 'GET', pattern: ['files', ':id', 'content'], shape: 'content', handle: fileContent },
  { method: 'GET', pattern: ['batches'], shape: 'page', handle: list },
  { method: 'POST', pattern: ['batches'], shape: 'batch', handle: create, create: true, createdBatch: (body) => body.job },
  { method: 'GET', pattern: ['batches', ':id'], shape: 'batch', handle: retrieve },
  { method: 'POST', pattern: ['batches', ':id', 'cancel'], shape: 'batch', handle: cancel },
];

export const TOGETHER = {
  name: 'together',
  prefixes: [{ prefix: '/together/v1' }],
  routes: ROUTES,
  authorize,
  errorBody,
  renderBatch,
  overlayCancel,
  settle,
  renderFile,
  defaultPurpose: 'batch-api',
  cancelSteps: 0,
  idScope: 'together',
  formatId: (kind, n) => (kind === 'file' ? `file-${uuid(`together:file:${n}`)}` : uuid(`together:${kind}:${n}`)),
};
