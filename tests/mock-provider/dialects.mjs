// The provider dialects the mock speaks, told apart by path prefix. A dialect decides where its API
// lives, how a request authenticates, how its errors and batches look and how its results are
// written; the batches it serves come from its store (data.mjs). This file holds the registry and
// the OpenAI family (OpenAI, token360, PPInfra, Groq, Azure OpenAI), which share api.mjs' routes;
// Anthropic, Mistral, Gemini and Together have modules of their own.
//
// A dialect is:
//   name                        used by addFault, addFile, batches(), the control routes
//   prefixes                    [{ prefix, variant? }]: where it lives (Azure has two)
//   routes                      its route table (api.mjs' matchRoute)
//   authorize(req)              throws the provider's ApiError for a request it refuses;
//                               `req = { headers, query, rest, variant }`
//   errorBody(status, error, { rest, requestId })   the provider's error body
//   headers?(requestId)         extra headers on every answer (a provider's own request id)
//   renderBatch(batch, facts)   a LiveBatch's OpenAI-shaped state as the provider sends it
//   renderStatic?(wire, site)   a fixture as sent to this request (absolute URLs on the mock)
//   overlayCancel(batch, c)     lays a cancellation over a fixture in the provider's spelling
//   idOf?, statusOf?            a fixture's id and canonical status, when not `id` / `status`
//   readLine?, checkRequests?   how input lines are read, what else fails a batch at validation
//   checkCreate?(ctx)           what else an OpenAI-style create refuses
//   settle(ctx)                 writes a finished batch's results (results.mjs)
//   renderFile(meta, ctx)       a stored file as the provider sends it (files.mjs)
//   formatId(kind, n)           the n-th `file` / `batch` id; `idScope` gives the dialect counters
//                               of its own (the first three share theirs, as they always have)
//   cancelSteps?                steps from a cancel to `cancelled` (0: no status in between)
import { ROUTES, invalid, listed, requireBearer, startAfter, withRoutes } from './api.mjs';
import { ANTHROPIC } from './anthropic.mjs';
import { openaiFile } from './files.mjs';
import { GEMINI } from './gemini.mjs';
import { ApiError } from './http.mjs';
import { openaiLine, windowHours } from './lifecycle.mjs';
import { MISTRAL } from './mistral.mjs';
import { openaiSettle } from './results.mjs';
import { CROCKFORD, openaiCode, openaiErrorBody, seconds, token, upperSnake, uuid } from './shapes.mjs';
import { TOGETHER } from './together.mjs';

// PPInfra reports a numeric code and an upper-case reason instead of OpenAI's nested object.
function ppinfraErrorBody(status, { message }) {
  return { code: status, reason: upperSnake(status), message, metadata: {} };
}

// ---- batches ----------------------------------------------------------------------------------
// Created batches are computed in the OpenAI shape (lifecycle.mjs); each dialect renders them the
// way its provider would send them. `spell` is what a cancellation laid over a fixture batch needs.

const PPINFRA_STATUS = {
  validating: 'VALIDATING',
  in_progress: 'PROGRESS',
  // Not in PPInfra's documented list; upper case like the rest, which clients map in any case.
  finalizing: 'FINALIZING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  expired: 'EXPIRED',
  cancelling: 'CANCELLING',
  cancelled: 'CANCELLED',
};

const TIMESTAMPS = ['in_progress_at', 'expires_at', 'finalizing_at', 'completed_at', 'failed_at', 'expired_at', 'cancelling_at', 'cancelled_at'];

/** Sets a timestamp, or what the dialect sends for an unset one (`undefined`: leave the key out). */
function timeSetter(unset) {
  return (batch, key, secs) => {
    const value = secs === null ? unset : secs;
    if (value === undefined) delete batch[key];
    else batch[key] = value;
  };
}

/** A cancellation over an OpenAI-style fixture: the status in the dialect's spelling, and its two stamps. */
function cancelOverlay({ status: spellStatus, setTime }) {
  return (batch, { status, cancelMs, cancelledMs, wasCancelling }) => {
    batch.status = spellStatus(status);
    if (!wasCancelling) setTime(batch, 'cancelling_at', seconds(cancelMs));
    setTime(batch, 'cancelled_at', status === 'cancelled' ? seconds(cancelledMs) : null);
  };
}

/** `2026-11-20T08:00:00Z`, as PPInfra writes `created_at`. */
function isoSeconds(secs) {
  return new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// token360 leaves out the timestamps that are not set yet (see its fixture).
function token360Batch(batch) {
  const out = { ...batch };
  for (const key of TIMESTAMPS) if (out[key] === null) delete out[key];
  return out;
}

// PPInfra: upper-case statuses, `{}` for unset times, a string `created_at`, "" for no file, the
// counts at the top level, `errors` as one string, and bookkeeping fields of its own. The bench's
// server renders its PPInfra pages with it too.
export function ppinfraBatch(batch) {
  const times = Object.fromEntries(TIMESTAMPS.map((key) => [key, batch[key] ?? {}]));
  // Every transition so far (expires_at is a deadline, not one) bumps the version.
  const transitions = TIMESTAMPS.filter((key) => key !== 'expires_at' && batch[key] !== null).map((key) => batch[key]);
  const updated = Math.max(batch.created_at, ...transitions);
  const { total, completed, failed } = batch.request_counts;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    input_file_id: batch.input_file_id,
    output_file_id: batch.output_file_id ?? '',
    error_file_id: batch.error_file_id ?? '',
    completion_window: batch.completion_window,
    ...times,
    status: PPINFRA_STATUS[batch.status] ?? batch.status,
    errors: batch.errors ? batch.errors.data.map((e) => (e.line ? `line ${e.line}: ${e.message}` : e.message)).join('; ') : '',
    version: transitions.length + 1,
    created_at: isoSeconds(batch.created_at),
    updated_at: isoSeconds(updated),
    created_by: 'user_mock',
    created_by_key_id: 'key_mock',
    remark: '',
    total,
    completed,
    failed,
    metadata: batch.metadata,
  };
}

const same = (status) => status;
const asIs = (batch) => batch;

/** `file-0001`, `batch_0001`: the ids the first three dialects have always had. */
const counterId = (kind, n) => `${kind}${kind === 'file' ? '-' : '_'}${String(n).padStart(4, '0')}`;

/** What the OpenAI dialects have in common. */
const OPENAI_FAMILY = {
  routes: ROUTES,
  authorize: requireBearer,
  errorBody: openaiErrorBody,
  renderBatch: asIs,
  overlayCancel: cancelOverlay({ status: same, setTime: timeSetter(null) }),
  settle: openaiSettle(),
  renderFile: openaiFile,
  formatId: counterId,
};

// ---- Groq ---------------------------------------------------------------------------------------
// OpenAI's routes and shapes; its list pages by an opaque cursor of a fixed size, and its answers
// carry Groq's timings and `x_groq`.

export const GROQ_PAGE_SIZE = 10;

/** `cursor_eyJ…`: base64url JSON naming the last batch of the page, which is how Groq's look. */
export function groqCursor(id) {
  return `cursor_${Buffer.from(JSON.stringify({ after: id })).toString('base64url')}`;
}

function cursorTarget(cursor) {
  try {
    const after = JSON.parse(Buffer.from(cursor.replace(/^cursor_/, ''), 'base64url').toString('utf8'))?.after;
    return typeof after === 'string' ? after : '';
  } catch {
    return '';
  }
}

/** `{ object, data, paging: { next_cursor } }`; the last page has no `paging`. */
function groqList({ batches, query, listing, clock, site }) {
  const entries = listed(batches, listing, clock);
  const after = query.cursor === undefined ? undefined : cursorTarget(query.cursor);
  const start = startAfter(entries, after, () => new ApiError(400, `Invalid cursor: '${query.cursor}'.`, { code: 'invalid_cursor' }));
  const page = entries.slice(start, start + GROQ_PAGE_SIZE);
  const body = { object: 'list', data: page.map((entry) => entry.view(site).batch) };
  if (start + page.length < entries.length) body.paging = { next_cursor: groqCursor(page.at(-1).id) };
  return { body };
}

/** "Durations from `24h` to `7d` are supported", and Groq requires the field. */
function groqCheckCreate({ params }) {
  const window = params.completion_window;
  if (window === undefined) throw new ApiError(400, "Missing required parameter: 'completion_window'.", { code: 'missing_required_parameter', param: 'completion_window' });
  const hours = windowHours(window);
  if (hours === null || hours < 24 || hours > 168) {
    throw invalid('completion_window', `Invalid 'completion_window': '${window}'. Durations from 24h to 7d are supported.`);
  }
}

function groqExtras(body, request) {
  if (body.object !== 'chat.completion') return body;
  return {
    ...body,
    system_fingerprint: 'fp_mock',
    usage: { queue_time: 0.0123, ...body.usage, prompt_time: 0.0021, completion_time: 0.0089, total_time: 0.011 },
    x_groq: { id: `req_${token(`groq:${request.custom_id}:${request.line}`, 26, CROCKFORD)}` },
  };
}

/** Groq's file object has no `status`. */
function groqFile(meta) {
  const { status, ...file } = openaiFile(meta);
  return file;
}

const GROQ = {
  ...OPENAI_FAMILY,
  name: 'groq',
  prefixes: [{ prefix: '/groq/openai/v1' }],
  routes: withRoutes(ROUTES, [{ method: 'GET', pattern: ['batches'], shape: 'page', handle: groqList }]),
  errorBody: (status, error) => {
    const { message, type, code } = openaiErrorBody(status, error).error;
    return { error: { message, type, code } };
  },
  checkCreate: groqCheckCreate,
  settle: openaiSettle({ decorate: groqExtras }),
  renderFile: groqFile,
  idScope: 'groq',
  formatId: (kind, n) => `${kind}_01${token(`groq:${kind}:${n}`, 24, CROCKFORD)}`,
};

// ---- Azure OpenAI -------------------------------------------------------------------------------
// OpenAI's routes under the v1 API (`/openai/v1`) and the dated one (`/openai`, `?api-version=`
// required), one resource behind both. `api-key` auth; uploads stay `pending` for a step; one
// deployment per batch; a 24h window or the batch fails; an (empty) error file for every job.

const AZURE_401 = 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

function azureAuthorize({ headers, query, variant }) {
  if (variant === 'classic' && !query['api-version']) {
    throw new ApiError(400, 'The api-version query parameter (?api-version=) is required for all requests.', { code: 'MissingApiVersionParameter' });
  }
  if (!(headers['api-key'] ?? '').trim()) throw new ApiError(401, AZURE_401, { code: '401' });
}

/** The v1 error body; the gateway's 401 and api-version refusals carry only a code and a message. */
function azureErrorBody(status, { message, code, param = null }) {
  if (status === 401 || code === 'MissingApiVersionParameter') return { error: { code: code ?? String(status), message } };
  return { error: { code: code ?? openaiCode(status), message, param, type: 'error', inner_error: null } };
}

/** An upload is `pending` for one step, then `processed`; result files are processed at once. */
function azureFile(meta, { now, stepMs }) {
  const file = openaiFile(meta);
  if (meta.upload && now < meta.createdMs + stepMs) file.status = 'pending';
  return file;
}

function azureCheckCreate({ input, params }) {
  const { status } = input.file;
  if (status !== 'processed') {
    throw new ApiError(400, `The input file '${params.input_file_id}' is not processed yet (status '${status}'); wait until it is 'processed'.`, { code: 'invalid_request', param: 'input_file_id' });
  }
}

/** Every line names the deployment (`body.model`), the same one; the window must be 24h. */
function azureReadLine(request) {
  const read = openaiLine(request);
  return { ...read, model: typeof read.body.model === 'string' ? read.body.model : null };
}

function azureCheckRequests(requests, params) {
  const problems = [];
  const window = params.completion_window ?? '24h';
  if (window !== '24h') {
    problems.push({ code: 'invalid_request', message: `The completion_window must be '24h', not '${window}'.`, param: 'completion_window', line: null });
  }
  const unnamed = requests.find((r) => r.model === null);
  if (unnamed) {
    problems.push({ code: 'model_not_found', message: "A valid model deployment name couldn't be extracted from the input file.", param: 'model', line: unnamed.line });
  }
  const first = requests.find((r) => r.model !== null);
  const other = first && requests.find((r) => r.model !== null && r.model !== first.model);
  if (other) {
    problems.push({ code: 'model_mismatch', message: `Every line must use the same deployment ('${first.model}'), line ${other.line} uses '${other.model}'.`, param: 'model', line: other.line });
  }
  return problems;
}

const FILTERS = Object.fromEntries(['hate', 'self_harm', 'sexual', 'violence'].map((k) => [k, { filtered: false, severity: 'safe' }]));

function azureFilters(body) {
  if (body.object !== 'chat.completion') return body;
  return {
    ...body,
    choices: body.choices.map((choice) => ({ ...choice, content_filter_results: structuredClone(FILTERS) })),
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: structuredClone(FILTERS) }],
  };
}

const AZURE = {
  ...OPENAI_FAMILY,
  name: 'azure',
  // v1 first: the classic prefix would otherwise own its paths.
  prefixes: [{ prefix: '/azure/openai/v1' }, { prefix: '/azure/openai', variant: 'classic' }],
  authorize: azureAuthorize,
  errorBody: azureErrorBody,
  headers: (requestId) => ({ 'apim-request-id': uuid(`apim:${requestId}`) }),
  checkCreate: azureCheckCreate,
  readLine: azureReadLine,
  checkRequests: azureCheckRequests,
  settle: openaiSettle({ decorate: azureFilters, keepEmptyErrorFile: true }),
  renderFile: azureFile,
  idScope: 'azure',
  formatId: (kind, n) => (kind === 'file' ? `file-${uuid(`azure:file:${n}`).replaceAll('-', '')}` : `${kind}_${uuid(`azure:${kind}:${n}`)}`),
};

// ---- the registry -------------------------------------------------------------------------------

export const DIALECTS = [
  {
    ...OPENAI_FAMILY,
    name: 'ppinfra',
    prefixes: [{ prefix: '/ppinfra/openai/v1' }],
    errorBody: ppinfraErrorBody,
    renderBatch: ppinfraBatch,
    overlayCancel: cancelOverlay({ status: (s) => PPINFRA_STATUS[s] ?? s, setTime: timeSetter({}) }),
  },
  {
    ...OPENAI_FAMILY,
    name: 'token360',
    prefixes: [{ prefix: '/token360/v1' }],
    renderBatch: token360Batch,
    overlayCancel: cancelOverlay({ status: same, setTime: timeSetter(undefined) }),
  },
  { ...OPENAI_FAMILY, name: 'openai', prefixes: [{ prefix: '/openai/v1' }] },
  GROQ,
  AZURE,
  ANTHROPIC,
  MISTRAL,
  GEMINI,
  TOGETHER,
];

export const DIALECT_NAMES = DIALECTS.map((d) => d.name);

export function dialectNamed(name) {
  const dialect = DIALECTS.find((d) => d.name === name);
  if (!dialect) throw new TypeError(`dialect must be one of ${DIALECT_NAMES.join(', ')}, got '${name}'`);
  return dialect;
}

/** Every prefix, longest first, so that no prefix shadows another. */
const PREFIXES = DIALECTS.flatMap((dialect) => dialect.prefixes.map((p) => ({ dialect, ...p }))).sort((a, b) => b.prefix.length - a.prefix.length);

/**
 * The dialect whose prefix owns `path` (on a segment boundary), the rest of the path after it
 * (`''` or `/...`), the prefix and its variant.
 */
export function matchDialect(path) {
  for (const { dialect, prefix, variant } of PREFIXES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return { dialect, rest: path.slice(prefix.length), prefix, variant };
  }
  return null;
}
