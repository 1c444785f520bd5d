// Small HTTP helpers shared by every route of the mock. Kept free of routing and state so the
// fault responders, the static server and the API handlers all answer the same way.

/**
 * Headers a browser page on another origin needs to read: to honour retries, and the providers'
 * request ids and Gemini's upload session headers.
 */
const EXPOSED_HEADERS = [
  'x-request-id', 'retry-after', 'retry-after-ms', 'x-should-retry', 'openai-poll-after-ms',
  'request-id', 'x-goog-upload-url', 'x-goog-upload-status', 'apim-request-id', 'mistral-correlation-id',
].join(', ');

/** Preflights are answered for every method the mock (or a later version of it) serves. */
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/** A provider error: rendered by the dialect of the route that raised it. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} message human-readable message
   * @param {{ code?: string, param?: string | null, headers?: Record<string, string>, details?: object[] }} [extra]
   *   `code` overrides the dialect's default code for `status`; `details` are Google's error details.
   */
  constructor(status, message, { code, param = null, headers = {}, details = [] } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
    this.headers = headers;
    this.details = details;
  }
}

/** Set before anything else so that every answer, even an error or a static file, carries them. */
export function setCommonHeaders(res, requestId) {
  res.setHeader('x-request-id', requestId);
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
}

export function sendPreflight(req, res) {
  const headers = { 'access-control-allow-methods': ALLOWED_METHODS };
  // Echoing the asked-for names is the only way to allow `authorization`, which `*` does not cover.
  const asked = req.headers['access-control-request-headers'];
  if (asked) headers['access-control-allow-headers'] = asked;
  res.writeHead(204, headers);
  res.end();
}

export function send(res, status, body, headers = {}) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': bytes.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

export function sendJson(res, status, value, headers = {}) {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json', ...headers });
}

/** Errors about the mock's own use (a bad fault spec, a bad control call), not provider errors. */
export function sendMockError(res, status, message) {
  sendJson(res, status, { error: { message: `mock provider: ${message}`, type: 'mock_error', param: null, code: 'mock_error' } });
}

/** The raw bytes: an upload must reach the multipart parser exactly as sent. */
export async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Splits a request target without normalising it: tests must see (and the static server must
 * judge) the path exactly as the client sent it, `..` and percent-escapes included.
 */
export function splitTarget(target) {
  const hash = target.indexOf('#');
  const noHash = hash < 0 ? target : target.slice(0, hash);
  const q = noHash.indexOf('?');
  const path = q < 0 ? noHash : noHash.slice(0, q);
  const search = q < 0 ? '' : noHash.slice(q + 1);
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}
