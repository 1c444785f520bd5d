// The provider API below a dialect prefix. Routes are a table; a handler gets a small context and
// returns `{ status?, body, headers? }` (JSON) or `{ status?, payload, headers?, download? }` (raw
// bytes, streamed; `download` names the file so the mock can record the transfer), or throws an
// ApiError, leaving auth, faults, error rendering and delivery to the server.
//
// This file holds the OpenAI routes (also Groq's and Azure's, through the dialect's hooks) and the
// helpers every provider's routes share; the other providers' routes live in their own modules.
import { ApiError } from './http.mjs';
import { LiveBatch } from './lifecycle.mjs';
import { boundaryOf, parseMultipart } from './multipart.mjs';
import { isObject } from './shapes.mjs';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/**
 * `shape` tells fault responders what a well-formed answer would have been; `create` marks the
 * route `mock.addBatch` goes through. A pattern part `:name` is a path parameter, and `:name:verb`
 * one whose segment ends in `:verb` (Google's custom methods, `batches/{id}:cancel`).
 */
export const ROUTES = [
  { method: 'GET', pattern: ['batches'], shape: 'page', handle: listBatches },
  { method: 'POST', pattern: ['batches'], shape: 'batch', handle: createBatch, create: true },
  { method: 'GET', pattern: ['batches', ':id'], shape: 'batch', handle: retrieveBatch },
  { method: 'POST', pattern: ['batches', ':id', 'cancel'], shape: 'batch', handle: cancelBatch },
  { method: 'POST', pattern: ['files'], shape: 'file', handle: uploadFile },
  { method: 'GET', pattern: ['files', ':id'], shape: 'file', handle: retrieveFile },
  { method: 'GET', pattern: ['files', ':id', 'content'], shape: 'content', handle: fileContent },
];

/** The OpenAI family's credential (Mistral's and Together's too): `Authorization: Bearer <something>`. */
export function requireBearer({ headers }, message = "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.") {
  if (!/^Bearer\s+\S/i.test(headers.authorization ?? '')) throw new ApiError(401, message, { code: 'invalid_api_key' });
}

/** `routes` with the route of the same method and pattern as each of `overrides` replaced by it. */
export function withRoutes(routes, overrides) {
  const key = (r) => `${r.method} ${r.pattern.join('/')}`;
  const byKey = new Map(overrides.map((r) => [key(r), r]));
  return routes.map((r) => byKey.get(key(r)) ?? r);
}

/**
 * The route for `method` and the path after the prefix, with decoded `:params`, or null.
 * A segment that does not decode cannot name anything the store holds, so it is simply no match.
 */
export function matchRoute(method, rest, routes = ROUTES) {
  const segments = rest.split('/').slice(1);
  for (const route of routes) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params = matchSegments(route.pattern, segments);
    if (params) return { route, params };
  }
  return null;
}

function matchSegments(pattern, segments) {
  const params = {};
  for (const [i, part] of pattern.entries()) {
    let segment = segments[i];
    if (!part.startsWith(':')) {
      if (part !== segment) return null;
      continue;
    }
    const [name, verb] = part.slice(1).split(':');
    if (verb !== undefined) {
      if (!segment.endsWith(`:${verb}`)) return null;
      segment = segment.slice(0, -(verb.length + 1));
    }
    if (segment === '') return null;
    try {
      params[name] = decodeURIComponent(segment);
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
export function listed(batches, listing, clock) {
  let entries = batches.slice(0);
  if (listing?.kind === 'list_lag') {
    const since = clock.now() - Number(listing.params.ms ?? 1000);
    entries = entries.filter((entry) => !(entry.createdMs > since));
  }
  if (listing?.kind === 'oldest_first') entries.reverse();
  return entries;
}

/**
 * Where a page starts: after the entry with id `after` (none: the top), or a 400 `error()` when no
 * entry has that id. Every cursor (`after`, `after_id`, Groq's and Google's tokens) ends up here.
 */
export function startAfter(entries, after, error) {
  if (after === undefined) return 0;
  const index = entries.findIndex((entry) => entry.id === after);
  if (index < 0) throw error();
  return index + 1;
}

function listBatches({ batches, query, listing, clock, site }) {
  const entries = listed(batches, listing, clock);
  const start = startAfter(entries, query.after, () =>
    new ApiError(400, `No batch found with id '${query.after}' to list after.`, { code: 'invalid_cursor', param: 'after' }));
  const limit = clampLimit(query.limit);
  const data = entries.slice(start, start + limit).map((entry) => entry.view(site).batch);
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

/** The batch `id`, or a 404 with `message` (the provider's wording). */
export function batchOr404(batches, id, message = `No batch found with id '${id}'.`) {
  const entry = batches.get(id);
  if (!entry) throw new ApiError(404, message, { code: 'not_found' });
  return entry;
}

/** A batch still moving tells pollers when the next step is due, as OpenAI does. */
function batchAnswer(view, clock) {
  return { body: view.batch, headers: view.moving ? { 'openai-poll-after-ms': String(clock.pollAfterMs) } : {} };
}

function retrieveBatch({ batches, params, clock, site }) {
  return batchAnswer(batchOr404(batches, params.id).view(site), clock);
}

export function missing(param) {
  return new ApiError(400, `Missing required parameter: '${param}'.`, { code: 'missing_required_parameter', param });
}

export function invalid(param, message) {
  return new ApiError(400, message, { code: 'invalid_value', param });
}

export function jsonObjectBody(body) {
  let value;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'The request body is not valid JSON.', { code: 'invalid_request' });
  }
  if (!isObject(value)) {
    throw new ApiError(400, 'The request body must be a JSON object.', { code: 'invalid_request' });
  }
  return value;
}

/** How a batch stores its result files: `makeFile(content, filename, { kind, id })` -> the file id. */
export function fileMaker({ files, newId, clock }) {
  return (content, filename, { kind = 'output', id } = {}) =>
    files.add({ id: id ?? newId('file'), filename, purpose: 'batch_output', content, createdMs: clock.now(), kind }).meta.id;
}

/** A batch made from checked `params` (see LiveBatch), first in its store's list. */
export function addLiveBatch({ dialect, batches, files, clock, newId }, { params, input, requests }) {
  const batch = new LiveBatch({ id: newId('batch'), dialect, params, input, requests, clock, makeFile: fileMaker({ files, newId, clock }) });
  batches.prepend(batch);
  return batch;
}

function createBatch(ctx) {
  const { dialect, files, body, clock, site } = ctx;
  const params = jsonObjectBody(body);
  for (const name of ['input_file_id', 'endpoint']) {
    if (params[name] === undefined || params[name] === null || params[name] === '') throw missing(name);
    if (typeof params[name] !== 'string') throw invalid(name, `Invalid type for '${name}': expected a string.`);
  }
  const input = files.get(params.input_file_id);
  if (!input) throw invalid('input_file_id', `Invalid 'input_file_id': no file with id '${params.input_file_id}'.`);
  if (input.meta.purpose !== 'batch') {
    throw invalid('input_file_id', `Invalid 'input_file_id': its purpose is '${input.meta.purpose}', not 'batch'.`);
  }
  if (params.completion_window !== undefined && typeof params.completion_window !== 'string') {
    throw invalid('completion_window', "Invalid type for 'completion_window': expected a string such as '24h'.");
  }
  const { metadata } = params;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw invalid('metadata', "Invalid type for 'metadata': expected an object.");
  }
  // What the provider checks beyond OpenAI (Groq's window range, Azure's unprocessed files).
  dialect.checkCreate?.({ params, input, clock, site });
  const batch = addLiveBatch(ctx, { params, input: input.content });
  return { body: batch.view(site).batch };
}

/**
 * Cancels the batch, or throws what its provider answers once it has ended: by default a 409
 * whose `x-should-retry: false` says retrying cannot help (a 409 is otherwise worth a retry).
 * `status(batch)` reads the status from the provider's shape, for the message.
 */
export function cancelOr409(entry, id, { site, status = (batch) => batch.status, error } = {}) {
  if (entry.cancel()) return entry.view(site);
  const message = `Cannot cancel batch '${id}': its status is '${status(entry.view(site).batch)}'.`;
  throw error ? error(message) : new ApiError(409, message, { code: 'conflict', headers: { 'x-should-retry': 'false' } });
}

function cancelBatch({ batches, params, clock, site }) {
  return batchAnswer(cancelOr409(batchOr404(batches, params.id), params.id, { site }), clock);
}

// ---- files ---------------------------------------------------------------------------------------

/**
 * A multipart upload's parts: `{ file (the part with a filename, or undefined), field(name) }`
 * (`field` is a plain field's text, or undefined).
 */
export function formOf({ headers, body }) {
  const boundary = boundaryOf(headers['content-type']);
  if (!boundary) {
    throw new ApiError(400, 'Uploads must be multipart/form-data with a boundary.', { code: 'invalid_request' });
  }
  const parts = parseMultipart(body, boundary);
  return {
    file: parts.find((p) => p.name === 'file' && p.filename !== null),
    field: (name) => parts.find((p) => p.name === name && p.filename === null)?.content.toString('utf8'),
  };
}

function uploadFile({ files, body, headers, clock, newId, site }) {
  const { file, field } = formOf({ headers, body });
  if (!file) throw missing('file');
  const purpose = field('purpose');
  if (!purpose) throw missing('purpose');
  // The spec's form encoding of `expires_after: { anchor: "created_at", seconds }` (1 hour to 30 days).
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
  const entry = files.add({ id: newId('file'), filename: file.filename, purpose, content: file.content, createdMs: clock.now(), expiresAfter, upload: true });
  return { body: entry.view(site) };
}

export function fileOr404(files, id, message = `No such File object: ${id}`) {
  const entry = files.get(id);
  if (!entry) throw new ApiError(404, message, { code: 'not_found' });
  return entry;
}

function retrieveFile({ files, params, site }) {
  return { body: fileOr404(files, params.id).view(site) };
}

/** A file's bytes as a streamed, recorded download. */
export function contentAnswer(entry, id, type = 'application/octet-stream') {
  return { payload: entry.payload, headers: { 'content-type': type }, download: id };
}

function fileContent({ files, params }) {
  return contentAnswer(fileOr404(files, params.id), params.id);
}
