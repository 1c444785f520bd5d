// Fault injection. A fault is named by a spec string, `kind[;times=N][;key=K][;param=value…]`,
// so that every runtime under test (Node, workerd, a browser page) can ask for one with a request
// header, and the Node tests can also arm one programmatically or over the control routes.
import { ApiError, send, sendJson } from './http.mjs';

export class FaultSpecError extends Error {}

const KINDS = new Set(['status', 'malformed_json', 'html', 'hang', 'drop', 'error_body_200', 'echo_auth', 'wrong_types']);

/** Statuses a client may retry; the mock tells it to retry quickly so tests stay fast. */
const RETRYABLE = new Set([408, 409, 429]);
const DEFAULT_RETRY_AFTER_MS = '10';

function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new FaultSpecError(`${name} must be a positive integer, got '${value}'`);
  return n;
}

function splitPair(part) {
  const eq = part.indexOf('=');
  return eq < 0 ? [part, undefined] : [part.slice(0, eq), part.slice(eq + 1)];
}

/** Parses a spec string; throws FaultSpecError so that a typo is reported rather than ignored. */
export function parseFaultSpec(spec) {
  const [head, ...rest] = String(spec).split(';').map((s) => s.trim()).filter(Boolean);
  if (!head) throw new FaultSpecError('empty fault spec');
  const [kind, value] = splitPair(head);
  if (!KINDS.has(kind)) throw new FaultSpecError(`unknown fault kind '${kind}'`);
  const fault = { kind, spec: String(spec), params: {} };
  if (kind === 'status') {
    const status = Number(value);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new FaultSpecError(`status must be an HTTP status, got '${value}'`);
    }
    fault.status = status;
  }
  for (const part of rest) {
    const [name, v = ''] = splitPair(part);
    if (name === 'times') fault.times = positiveInt('times', v);
    else if (name === 'key') fault.key = v;
    else fault.params[name] = v;
  }
  return fault;
}

/** A programmatic rule's path: a suffix of the path after the prefix, or a RegExp over it. */
function pathMatcher(path) {
  if (path === undefined) return () => true;
  if (path instanceof RegExp) return (rest) => path.test(rest);
  if (typeof path === 'string') return (rest) => rest.endsWith(path);
  throw new FaultSpecError('path must be a string suffix or a RegExp');
}

/** Armed faults: programmatic rules plus the per-key counters of header faults. */
export class Faults {
  #rules = [];
  #headerUses = new Map();

  /** `{ method?, path?, dialect?, fault, times? }`; without `times` (here or in the spec) it never runs out. */
  add({ method, path, dialect, fault, times } = {}) {
    if (typeof fault !== 'string') throw new FaultSpecError('fault must be a spec string such as "status=503"');
    const parsed = parseFaultSpec(fault);
    const remaining = times === undefined ? (parsed.times ?? Infinity) : positiveInt('times', times);
    this.#rules.push({ method: method?.toUpperCase(), dialect, matches: pathMatcher(path), fault: parsed, remaining });
  }

  clear() {
    this.#rules = [];
    this.#headerUses.clear();
  }

  /**
   * The fault for this request, if any, counting it as used. A header fault wins over the rules;
   * once its `times` are used up for its key, the request falls through to the rules.
   */
  take({ method, dialect, rest, header }) {
    // An empty header means none, so a harness can always send one (e.g. from an unset variable).
    if (header !== undefined && header.trim() !== '') {
      const fault = this.#takeHeader(parseFaultSpec(header));
      if (fault) return fault;
    }
    return this.#takeRule(method, dialect, rest);
  }

  #takeHeader(fault) {
    if (fault.times === undefined) return fault;
    // Without an explicit key, requests carrying the very same spec share one counter.
    const key = fault.key ?? fault.spec;
    const used = this.#headerUses.get(key) ?? 0;
    if (used >= fault.times) return null;
    this.#headerUses.set(key, used + 1);
    return fault;
  }

  #takeRule(method, dialect, rest) {
    const index = this.#rules.findIndex(
      (r) => (!r.method || r.method === method) && (!r.dialect || r.dialect === dialect) && r.matches(rest),
    );
    if (index < 0) return null;
    const rule = this.#rules[index];
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#rules.splice(index, 1);
    return rule.fault;
  }
}

// ---- responders --------------------------------------------------------------------------------

const PROXY_ERROR_PAGE = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

// Every field a client reads, with a type no provider would send.
const WRONG_TYPES_BATCH = {
  id: 12345,
  object: 'batch',
  endpoint: '/v1/chat/completions',
  status: 42,
  request_counts: 'many',
  created_at: true,
  metadata: [1, 2],
  errors: null,
};

function retryHeaders(fault) {
  const { retry_after_ms: ms = DEFAULT_RETRY_AFTER_MS, retry_after: seconds, should_retry: shouldRetry } = fault.params;
  const headers = {};
  if ((RETRYABLE.has(fault.status) || fault.status >= 500) && ms !== 'none') headers['retry-after-ms'] = ms;
  if (seconds !== undefined) headers['retry-after'] = seconds;
  if (shouldRetry !== undefined) headers['x-should-retry'] = shouldRetry;
  return headers;
}

/**
 * Each responder answers (or pointedly does not answer) in place of the route. `ctx` holds `req`,
 * `res`, the matched route's `shape` (`page`, `batch` or null) and `sendError(ApiError)`.
 */
const RESPONDERS = {
  status(fault, ctx) {
    const { message = `Injected fault: HTTP ${fault.status}.`, code } = fault.params;
    ctx.sendError(new ApiError(fault.status, message, { code, headers: retryHeaders(fault) }));
  },
  malformed_json(_fault, { res }) {
    send(res, 200, '{"id": "batch_', { 'content-type': 'application/json' });
  },
  html(fault, { res }) {
    const status = fault.params.status ? Number(fault.params.status) : 502;
    send(res, status, PROXY_ERROR_PAGE, { 'content-type': 'text/html; charset=utf-8' });
  },
  hang() {
    // Deliberately nothing: the socket stays open until the client gives up or the mock closes.
  },
  drop(_fault, { req }) {
    req.socket.destroy();
  },
  error_body_200(_fault, { res }) {
    sendJson(res, 200, {
      error: { message: 'Batch expired', type: 'invalid_request_error', code: 'batch_expired', param: null },
    });
  },
  echo_auth(_fault, ctx) {
    const received = ctx.req.headers.authorization ?? '';
    ctx.sendError(new ApiError(400, `Incorrect API key provided: ${received}`, { code: 'invalid_api_key' }));
  },
  wrong_types(_fault, { res, shape }) {
    const batch = structuredClone(WRONG_TYPES_BATCH);
    const body =
      shape === 'page' ? { object: 'list', data: [batch], first_id: batch.id, last_id: batch.id, has_more: false } : batch;
    sendJson(res, 200, body);
  },
};

export function respondWithFault(fault, ctx) {
  RESPONDERS[fault.kind](fault, ctx);
}
