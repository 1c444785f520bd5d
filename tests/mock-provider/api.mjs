// The provider API below a dialect prefix. Routes are a table; a handler gets a small context and
// returns `{ status?, body, headers? }` (JSON) or `{ status?, payload, headers?, download? }` (raw
// bytes, streamed; `download` names the file so the mock can record the transfer), or throws an
// ApiError, leaving auth, faults, error rendering and delivery to the server.
import { ApiError } from './http.mjs';
import { LiveBatch } from './lifecycle.mjs';
import { boundaryOf, parseMultipart } from './multipart.mjs';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** `shape` tells fault responders what a well-formed answer would have been. */
const ROUTES = [
  { method: 'GET', pattern: ['batches'], shape: 'page', handle: listBatches },
  { method: 'POST', pattern: ['batches'], shape: 'batch', handle: createBatch },
  { method: 'GET', pattern: ['batches', ':id'], shape: 'batch', handle: retrieveBatch },
  { method: 'POST', pattern: ['batches', ':id', 'cancel'], shape: 'batch', handle: cancelBatch },
  { method: 'POST', pattern: ['files'], shape: 'file', handle: uploadFile },
  { method: 'GET', pattern: ['files', ':id'], shape: 'file', handle: retrieveFile },
  { method: 'GET', pattern: ['files', ':id', 'content'], shape: 'content', handle: fileContent },
];

/**
 * The route for `method` and the path after the prefix, with decoded `:params`, or null.
 * A segment that does not decode cannot name anything the store holds, so it is simply no match.
 */
export function matchRoute(method, rest) {
  const segments = rest.split('/').slice(1);
  for (const route of ROUTES) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params = matchSegments(route.pattern, segments);
    if (params) return { route, params };
  }
  return null;
}

function matchSegments(pattern, segments) {
  const params = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i];
    if (!part.startsWith(':')) {
      if (part !== segment) return null;
      continue;
    }
    if (segment === '') return null;
    try {
      params[part.slice(1)] = decodeURIComponent(segment);
    } catch {
      return null;
    }
  }
  return params;
}

function clampLimit(raw) {
  const n = Number.parseInt(raw, 10);
  if (Number.isNaN(n)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, n));
}

// ---- batches -------------------------------------------------------------------------------------

/**
 * What the list shows: every batch newest first, or as a listing fault shapes it (a batch made in
 * the last `ms` not yet listed; the oldest first).
 */
function listed(batches, listing, clock) {
  let entries = batches.slice(0);
  if (listing?.kind === 'list_lag') {
    const since = clock.now() - Number(listing.params.ms ?? 1000);
    entries = entries.filter((entry) => !(entry.createdMs > since));
  }
  if (listing?.kind === 'oldest_first') entries.reverse();
  return entries;
}

function listBatches({ batches, query, listing, clock }) {
  const entries = listed(batches, listing, clock);
  let start = 0;
  if (query.after !== undefined) {
    const index = entries.findIndex((entry) => entry.id === query.after);
    if (index < 0) {
      throw new ApiError(400, `No batch found with id '${query.after}' to list after.`, {
        code: 'invalid_cursor',
        param: 'after',
      });
    }
    start = index + 1;
  }
  const limit = clampLimit(query.limit);
  const data = entries.slice(start, start + limit).map((entry) => entry.view().batch);
  return {
    body: {
      object: 'list',
      data,
      first_id: data.length ? data[0].id : null,
      last_id: data.length ? data[data.length - 1].id : null,
      has_more: start + data.length < entries.length,
    },
  };
}

function batchOr404(batches, id) {
  const entry = batches.get(id);
  if (!entry) throw new ApiError(404, `No batch found with id '${id}'.`, { code: 'not_found' });
  return entry;
}

/** A batch still moving tells pollers when the next step is due, as OpenAI does. */
function batchAnswer(view, clock) {
  return { body: view.batch, headers: view.moving ? { 'openai-poll-after-ms': String(clock.pollAfterMs) } : {} };
}

function retrieveBatch({ batches, params, clock }) {
  return batchAnswer(batchOr404(batches, params.id).view(), clock);
}

function missing(param) {
  return new ApiError(400, `Missing required parameter: '${param}'.`, { code: 'missing_required_parameter', param });
}

function invalid(param, message) {
  return new ApiError(400, message, { code: 'invalid_value', param });
}

function jsonObjectBody(body) {
  let value;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'The request body is not valid JSON.', { code: 'invalid_request' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'The request body must be a JSON object.', { code: 'invalid_request' });
  }
  return value;
}

function createBatch({ dialect, batches, files, body, clock, newId }) {
  const params = jsonObjectBody(body);
  for (const name of ['input_file_id', 'endpoint']) {
    if (params[name] === undefined || params[name] === null || params[name] === '') throw missing(name);
    if (typeof params[name] !== 'string') throw invalid(name, `Invalid type for '${name}': expected a string.`);
  }
  const input = files.get(params.input_file_id);
  if (!input) throw invalid('input_file_id', `Invalid 'input_file_id': no file with id '${params.input_file_id}'.`);
  if (input.file.purpose !== 'batch') {
    throw invalid('input_file_id', `Invalid 'input_file_id': its purpose is '${input.file.purpose}', not 'batch'.`);
  }
  if (params.completion_window !== undefined && typeof params.completion_window !== 'string') {
    throw invalid('completion_window', "Invalid type for 'completion_window': expected a string such as '24h'.");
  }
  const { metadata } = params;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw invalid('metadata', "Invalid type for 'metadata': expected an object.");
  }
  const makeFile = (content, filename) =>
    files.add({ id: newId('file'), filename, purpose: 'batch_output', content, createdMs: clock.now() }).file.id;
  const batch = new LiveBatch({ id: newId('batch'), dialect, params, input: input.content, clock, makeFile });
  batches.prepend(batch);
  return { body: batch.view().batch };
}

function cancelBatch({ batches, params, clock }) {
  const entry = batchOr404(batches, params.id);
  if (!entry.cancel()) {
    const status = entry.view().batch.status;
    // Retrying cannot help, and the header says so (a 409 is otherwise worth a retry).
    throw new ApiError(409, `Cannot cancel batch '${params.id}': its status is '${status}'.`, {
      code: 'conflict',
      headers: { 'x-should-retry': 'false' },
    });
  }
  return batchAnswer(entry.view(), clock);
}

// ---- files ---------------------------------------------------------------------------------------

function uploadFile({ files, body, headers, clock, newId }) {
  const boundary = boundaryOf(headers['content-type']);
  if (!boundary) {
    throw new ApiError(400, 'Uploads must be multipart/form-data with a boundary.', { code: 'invalid_request' });
  }
  const parts = parseMultipart(body, boundary);
  const file = parts.find((p) => p.name === 'file' && p.filename !== null);
  if (!file) throw missing('file');
  const purpose = parts.find((p) => p.name === 'purpose' && p.filename === null)?.content.toString('utf8');
  if (!purpose) throw missing('purpose');
  // The spec's form encoding of `expires_after: { anchor: "created_at", seconds }` (1 hour to 30 days).
  const field = (name) => parts.find((p) => p.name === name && p.filename === null)?.content.toString('utf8');
  const anchor = field('expires_after[anchor]');
  const seconds = field('expires_after[seconds]');
  let expiresAfter;
  if (anchor !== undefined || seconds !== undefined) {
    if (anchor !== 'created_at') throw invalid('expires_after[anchor]', `Invalid 'expires_after[anchor]': expected 'created_at'.`);
    expiresAfter = Number(seconds);
    if (!/^\d+$/.test(seconds ?? '') || expiresAfter < 3600 || expiresAfter > 2592000) {
      throw invalid('expires_after[seconds]', `Invalid 'expires_after[seconds]': must be an integer from 3600 to 2592000.`);
    }
  }
  const entry = files.add({ id: newId('file'), filename: file.filename, purpose, content: file.content, createdMs: clock.now(), expiresAfter });
  return { body: entry.file };
}

function fileOr404(files, id) {
  const entry = files.get(id);
  if (!entry) throw new ApiError(404, `No such File object: ${id}`, { code: 'not_found' });
  return entry;
}

function retrieveFile({ files, params }) {
  return { body: fileOr404(files, params.id).file };
}

function fileContent({ files, params }) {
  const entry = fileOr404(files, params.id);
  return { payload: entry.payload, headers: { 'content-type': 'application/octet-stream' }, download: params.id };
}
