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

/** Ordered so that no prefix shadows another; matching also requires a segment boundary. */
export const DIALECTS = [
  { name: 'ppinfra', prefix: '/ppinfra/openai/v1', errorBody: ppinfraErrorBody },
  { name: 'token360', prefix: '/token360/v1', errorBody: openaiErrorBody },
  { name: 'openai', prefix: '/openai/v1', errorBody: openaiErrorBody },
];

/** The dialect whose prefix owns `path`, and the rest of the path after it (`''` or `/...`). */
export function matchDialect(path) {
  for (const dialect of DIALECTS) {
    const { prefix } = dialect;
    if (path === prefix || path.startsWith(`${prefix}/`)) return { dialect, rest: path.slice(prefix.length) };
  }
  return null;
}
