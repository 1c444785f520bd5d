// Wire spellings shared by several providers: status names, times, error bodies of the OpenAI
// family, and ids. Ids are derived from a counter (not random) so that a run, and a run after
// reset(), names everything the same way, while still looking like the provider's own ids.
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** `Not Found` -> `NOT_FOUND`, `Too Many Requests` -> `TOO_MANY_REQUESTS`. */
export function upperSnake(status) {
  return (STATUS_CODES[status] ?? `HTTP ${status}`).toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

export const seconds = (ms) => Math.floor(ms / 1000);

/**
 * RFC 3339 in UTC with `digits` fraction digits: 0 (`…:00Z`), 6 (Anthropic's microseconds) or
 * 9 (Google's nanoseconds). The mock's clock counts milliseconds; finer digits are zeros.
 */
export function rfc3339(ms, digits = 0) {
  const iso = new Date(ms).toISOString();
  if (digits === 0) return iso.replace(/\.\d{3}Z$/, 'Z');
  return iso.replace(/\.(\d{3})Z$/, (_, millis) => `.${`${millis}000000`.slice(0, digits)}Z`);
}

// ---- the OpenAI family's errors ---------------------------------------------------------------

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

export function openaiCode(status) {
  if (OPENAI_CODES[status]) return OPENAI_CODES[status];
  return status >= 500 ? 'server_error' : upperSnake(status).toLowerCase();
}

export function openaiErrorBody(status, { message, code, param = null }) {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param, code: code ?? openaiCode(status) } };
}

// ---- ids ---------------------------------------------------------------------------------------

export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Crockford's base 32 in lower case, as ULID-style ids (Groq's) spell it. */
export const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

function digest(seed, round) {
  return createHash('sha256').update(`${seed}#${round}`).digest();
}

/** `length` characters of `alphabet`, a pure function of `seed`. */
export function token(seed, length, alphabet = LOWER_ALNUM) {
  let out = '';
  for (let round = 0; out.length < length; round += 1) {
    for (const byte of digest(seed, round)) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A version-4-shaped UUID, a pure function of `seed`. */
export function uuid(seed) {
  const hex = digest(seed, 0).toString('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
