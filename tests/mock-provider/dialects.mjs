// The three provider dialects the mock speaks, told apart by path prefix. A dialect decides where
// its API lives and how its errors look; the batches it serves come from its store (data.mjs).
import { STATUS_CODES } from 'node:http';

/** `Not Found` -> `NOT_FOUND`, `Too Many Requests` -> `TOO_MANY_REQUESTS`. */
function upperSnake(status) {
  return (STATUS_CODES[status] ?? `HTTP ${status}`).toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** OpenAI's codes for the statuses clients branch on; anything else gets a derived name. */
const OPENAI_CODES = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  403: 'permission_denied',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  422: 'unprocessable_entity',
  429: 'rate_limit_exceeded',
};

function openaiCode(status) {
  if (OPENAI_CODES[status]) return OPENAI_CODES[status];
  return status >= 500 ? 'server_error' : upperSnake(status).toLowerCase();
}

function openaiErrorBody(status, { message, code, param = null }) {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param, code: code ?? openaiCode(status) } };
}

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
// counts at the top level, `errors` as one string, and bookkeeping fields of its own.
function ppinfraBatch(batch) {
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

/** Ordered so that no prefix shadows another; matching also requires a segment boundary. */
export const DIALECTS = [
  {
    name: 'ppinfra',
    prefix: '/ppinfra/openai/v1',
    errorBody: ppinfraErrorBody,
    renderBatch: ppinfraBatch,
    spell: { status: (s) => PPINFRA_STATUS[s] ?? s, setTime: timeSetter({}) },
  },
  {
    name: 'token360',
    prefix: '/token360/v1',
    errorBody: openaiErrorBody,
    renderBatch: token360Batch,
    spell: { status: same, setTime: timeSetter(undefined) },
  },
  {
    name: 'openai',
    prefix: '/openai/v1',
    errorBody: openaiErrorBody,
    renderBatch: (batch) => batch,
    spell: { status: same, setTime: timeSetter(null) },
  },
];

export const DIALECT_NAMES = DIALECTS.map((d) => d.name);

export function dialectNamed(name) {
  const dialect = DIALECTS.find((d) => d.name === name);
  if (!dialect) throw new TypeError(`dialect must be one of ${DIALECT_NAMES.join(', ')}, got '${name}'`);
  return dialect;
}

/** The dialect whose prefix owns `path`, and the rest of the path after it (`''` or `/...`). */
export function matchDialect(path) {
  for (const dialect of DIALECTS) {
    const { prefix } = dialect;
    if (path === prefix || path.startsWith(`${prefix}/`)) return { dialect, rest: path.slice(prefix.length) };
  }
  return null;
}
