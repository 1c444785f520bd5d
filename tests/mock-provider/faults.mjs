// Fault injection. A fault is named by a spec string, `kind[;times=N][;key=K][;param=value…]`,
// so that every runtime under test (Node, workerd, a browser page) can ask for one with a request
// header, and the Node tests can also arm one programmatically or over the control routes.
import { ApiError, send, sendJson } from './http.mjs';

export class FaultSpecError extends Error {}

/**
 * Delivery faults let the route do its work and then break the sending of its real answer
 * (delivery.mjs): they are what makes a client unsure whether its create went through.
 */
const DELIVERY_KINDS = new Set(['drop_after_create', 'drop_mid_body', 'slow']);
/**
 * Listing faults let the list route answer, but the way some providers do: a new batch shows up
 * only `ms` after it was made (`list_lag`), or the oldest batch comes first (`oldest_first`).
 */
const LISTING_KINDS = new Set(['list_lag', 'oldest_first']);
/** `land_after;ms=N`: the route runs N ms later (a create that lands after the client gave up), and no answer ever comes. */
const KINDS = new Set(['status', 'malformed_json', 'html', 'hang', 'drop', 'error_body_200', 'echo_auth', 'wrong_types', 'escapes', 'huge', 'land_after', ...DELIVERY_KINDS, ...LISTING_KINDS]);

export function isDeliveryFault(fault) {
  return DELIVERY_KINDS.has(fault.kind);
}

export function isListingFault(fault) {
  return LISTING_KINDS.has(fault.kind);
}

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
  checkParams(fault);
  return fault;
}

/** Parameters whose typo would silently change the fault are checked when it is armed. */
function checkParams(fault) {
  const { retry_after_date: date, mb, status } = fault.params;
  if (fault.kind === 'huge' && status !== undefined && !(Number.isInteger(Number(status)) && Number(status) >= 200 && Number(status) <= 599)) {
    throw new FaultSpecError(`status must be an HTTP status, got '${status}'`);
  }
  if (date !== undefined && !Number.isFinite(Number(date))) {
    throw new FaultSpecError(`retry_after_date must be seconds from now, got '${date}'`);
  }
  const { pad } = fault.params;
  if (pad !== undefined && !(Number.isInteger(Number(pad)) && Number(pad) >= 0 && Number(pad) <= 100_000)) {
    throw new FaultSpecError(`pad must be an integer in 0..100000, got '${pad}'`);
  }
  if (mb !== undefined && !(Number(mb) > 0 && Number(mb) <= 1024)) throw new FaultSpecError(`mb must be in (0, 1024], got '${mb}'`);
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

// Terminal control sequences in every field a CLI prints: a title change (OSC 0), a hidden link
// (OSC 8), a screen clear (CSI 2J), a C1 CSI, and a right-to-left override.
const ESC = '\u001b';
const ESCAPES_BATCH = {
  id: `batch_esc${ESC}]0;pwned\u0007`,
  object: 'batch',
  endpoint: `/v1/chat/completions${ESC}[2J`,
  status: `in_progress${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
  input_file_id: 'file-\u009b31mred',
  completion_window: '24h\u202e',
  created_at: 1714000000,
  request_counts: { total: 2, completed: 1, failed: 0 },
  errors: { object: 'list', data: [{ code: `bad${ESC}[31m`, message: `line 1 ${ESC}]0;owned\u0007`, param: null, line: 1 }] },
  metadata: null,
};

function retryHeaders(fault) {
  const { retry_after_ms: ms = DEFAULT_RETRY_AFTER_MS, retry_after: seconds, retry_after_date: date, should_retry: shouldRetry } = fault.params;
  const headers = {};
  if ((RETRYABLE.has(fault.status) || fault.status >= 500) && ms !== 'none') headers['retry-after-ms'] = ms;
  if (seconds !== undefined) headers['retry-after'] = seconds;
  // An HTTP date `date` seconds from now (whole seconds, as the format has no finer unit).
  if (date !== undefined) headers['retry-after'] = new Date(Date.now() + Number(date) * 1000).toUTCString();
  if (shouldRetry !== undefined) headers['x-should-retry'] = shouldRetry;
  return headers;
}

const MIB = 1024 * 1024;
const hugeStatus = (fault) => Number(fault.params.status ?? 200);
const HUGE_BATCH = {
  id: 'batch_huge',
  object: 'batch',
  endpoint: '/v1/chat/completions',
  status: 'completed',
  input_file_id: 'file-huge',
  completion_window: '24h',
  created_at: 1_710_000_000,
  request_counts: { total: 1, completed: 1, failed: 0 },
};

/**
 * `mb` MiB (default 50) in one answer: with status 200 a JSON batch (a page of it on the list
 * route) whose extra field `padding` holds the bulk; with another status an HTML error page whose
 * text is that long. Built per request and dropped after it, so the mock holds no 50 MB for long.
 */
function hugeBody(fault, shape) {
  const size = Math.round(Number(fault.params.mb ?? 50) * MIB);
  const status = hugeStatus(fault);
  if (status === 200) {
    const batch = JSON.stringify({ ...HUGE_BATCH, padding: '' });
    const page = shape === 'page';
    const head = page ? `{"object":"list","first_id":"batch_huge","last_id":"batch_huge","has_more":false,"data":[${batch.slice(0, -2)}` : batch.slice(0, -2);
    const tail = page ? '"}]}' : '"}';
    const fill = Math.max(0, size - head.length - tail.length);
    return { type: 'application/json', bytes: Buffer.concat([Buffer.from(head), Buffer.alloc(fill, 'x'), Buffer.from(tail)]) };
  }
  const title = `${status} ${status === 502 ? 'Bad Gateway' : 'Error'}`;
  const head = `<html>\n<head><title>${title}</title></head>\n<body>\n<center><h1>${title}</h1></center>\n<pre>`;
  const tail = '</pre>\n<hr><center>nginx</center>\n</body>\n</html>\n';
  const line = 'upstream sent too big header while reading response header from upstream\n';
  const fill = Buffer.alloc(Math.max(0, size - head.length - tail.length), line);
  return { type: 'text/html; charset=utf-8', bytes: Buffer.concat([Buffer.from(head), fill, Buffer.from(tail)]) };
}

/**
 * Each responder answers (or pointedly does not answer) in place of the route; delivery faults
 * have none, since the route answers. `ctx` holds `req`,
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
  echo_auth(fault, ctx) {
    // `header=<name>` echoes that request header instead (an Azure-style `api-key`);
    // `bearer=no` echoes the token alone (no "Bearer " before it); `pad=<n>` puts n dots before the
    // sentence, to move the key to where a client might cut a long message; `as=html` answers with
    // a 502 HTML page carrying the same text, as a proxy would.
    const { bearer, pad = '0', as, header = 'authorization' } = fault.params;
    const received = ctx.req.headers[header] ?? '';
    const echoed = bearer === 'no' ? received.replace(/^Bearer\s+/i, '') : received;
    const text = `${'.'.repeat(Number(pad) || 0)}Incorrect API key provided: ${echoed}`;
    if (as === 'html') {
      send(ctx.res, 502, `<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<p>${text}</p>\n</body>\n</html>\n`, {
        'content-type': 'text/html; charset=utf-8',
      });
      return;
    }
    ctx.sendError(new ApiError(400, text, { code: 'invalid_api_key' }));
  },
  huge(fault, { res, shape }) {
    const { type, bytes } = hugeBody(fault, shape);
    send(res, hugeStatus(fault), bytes, { 'content-type': type });
  },
  escapes(fault, ctx) {
    // `status=<code>`: that error, its message full of escapes.
    if (fault.params.status) {
      ctx.sendError(new ApiError(Number(fault.params.status), `No batch ${ESC}]0;pwned\u0007 here ${ESC}[2J`, { code: `nope${ESC}[5m` }));
      return;
    }
    const batch = structuredClone(ESCAPES_BATCH);
    const body = ctx.shape === 'page' ? { object: 'list', data: [batch], first_id: batch.id, last_id: batch.id, has_more: false } : batch;
    sendJson(ctx.res, 200, body);
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
