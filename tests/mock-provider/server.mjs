// A mock LLM Batch API for the tests and the demo: OpenAI and its compatible dialects (token360,
// PPInfra, Groq, Azure OpenAI), Anthropic, Mistral, Gemini and Together, each under its own path
// prefix. Node built-ins only; loopback only. See README.md next to this file for faults and shapes.
//
//   import { startMock } from './tests/mock-provider/server.mjs';
//   const mock = await startMock({ static: { '/': 'www' } });
//   await fetch(`${mock.url}/openai/v1/batches`, { headers: { authorization: 'Bearer x' } });
//   await mock.close();
//
// CLI: node tests/mock-provider/server.mjs [--port 8080] [--static /=www] [--static /pkg/=pkg] [--demo]
//      [--demo-speed X] [--demo-usage] [--demo-history N]   (demo.mjs' options; any of them implies --demo)
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { matchRoute } from './api.mjs';
import { CONTROL_PREFIX, handleControl } from './control.mjs';
import { createStores } from './data.mjs';
import { seedDemo } from './demo.mjs';
import { canonicalStatus } from './lifecycle.mjs';
import { DEFAULT_CHUNK_BYTES, deliver, jsonAnswer, startDownload } from './delivery.mjs';
import { dialectNamed, matchDialect } from './dialects.mjs';
import { Faults, FaultSpecError, isDeliveryFault, isListingFault, respondWithFault } from './faults.mjs';
import { ApiError, readBody, sendJson, sendMockError, sendPreflight, setCommonHeaders, splitTarget } from './http.mjs';
import { createStaticHandler } from './static.mjs';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const DEFAULT_STEP_MS = 200;

/** Everything a test may inspect or reset; one instance per running mock. */
class MockState {
  /** Kept as one array for the mock's lifetime so callers may hold on to `mock.requests`. */
  requests = [];
  /** Likewise: every file content transfer, see delivery.mjs' startDownload. */
  downloads = [];
  faults = new Faults();
  #timers = new Set();
  #lastRequestId = 0;
  #lastIds = new Map();

  /** `clock = { now, stepMs, pollAfterMs }` drives every batch (lifecycle.mjs); `chunkBytes` file streaming. */
  constructor({ clock, chunkBytes, seed = null }) {
    this.clock = clock;
    this.chunkBytes = chunkBytes;
    // `http://127.0.0.1:PORT` once listening: absolute URLs in answers that have no request to go by.
    this.origin = null;
    this.stores = createStores(clock);
    // `seed(state)` lays extra data (the demo's) over the stores, again after every reset.
    this.seed = seed;
    seed?.(this);
  }

  /** Runs `work` in `ms` (a create that lands late); cleared by reset() and close(). */
  later(ms, work) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, ms);
    this.#timers.add(timer);
  }

  clearTimers() {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  nextRequestId() {
    this.#lastRequestId += 1;
    return `req_${this.#lastRequestId}`;
  }

  /**
   * `newId(kind)` for `dialect`: its n-th `file` / `batch` id in its provider's spelling, counted per
   * kind from 1 after start or reset, so runs are reproducible. The OpenAI, token360 and PPInfra
   * dialects share one count (`file-0001`, `batch_0001`, …); every other dialect has its own.
   */
  idsFor(dialect) {
    return (kind) => {
      const key = dialect.idScope ? `${dialect.idScope}:${kind}` : kind;
      const n = (this.#lastIds.get(key) ?? 0) + 1;
      this.#lastIds.set(key, n);
      return dialect.formatId(kind, n);
    };
  }

  /** The OpenAI spelling, as the demo uses it. */
  newId = (kind) => this.idsFor(dialectNamed('openai'))(kind);

  record(req, path, query, body, requestId) {
    this.requests.push({ method: req.method, path, query, headers: { ...req.headers }, body, time: Date.now(), requestId });
  }

  /** Where `dialect` lives as seen without a request: the mock's own origin and its first prefix. */
  site(dialect) {
    return { origin: this.origin, prefix: dialect.prefixes[0].prefix };
  }

  /** What a route handler of `dialect` works with, beyond the request itself. */
  context(dialect, site = this.site(dialect)) {
    const { batches, files, sessions } = this.stores[dialect.name];
    return { dialect, batches, files, sessions, clock: this.clock, newId: this.idsFor(dialect), site, listing: null };
  }

  /**
   * A file of `dialect` added by the test itself (`content`) or generated on the fly (`lines`) ->
   * its store entry; `addFile` answers with the file object as the dialect sends it.
   */
  #addFileEntry({ dialect = 'openai', id, content, filename, purpose, kind, ...generated }) {
    const d = dialectNamed(dialect);
    const { files } = this.stores[d.name];
    const createdMs = this.clock.now();
    if (content !== undefined) {
      if (typeof content !== 'string' && !(content instanceof Uint8Array)) throw new TypeError('content must be a string or bytes');
      const fileId = id ?? this.idsFor(d)('file');
      const stored = { id: fileId, filename: filename ?? `${fileId}.jsonl`, purpose: purpose ?? d.defaultPurpose ?? 'batch', content, createdMs, kind };
      return { d, entry: files.add(stored) };
    }
    return { d, entry: files.addGenerated({ id, createdMs, ...generated }) };
  }

  addFile(spec) {
    const { d, entry } = this.#addFileEntry(spec);
    return entry.view(this.site(d));
  }

  /** A generated file (`lines`, …) -> its size in bytes. */
  addGeneratedFile(spec) {
    return this.#addFileEntry(spec).entry.meta.bytes;
  }

  /**
   * A batch made as the dialect's create route would make it, from `params` (its create body;
   * Gemini's also names the `model`) -> the batch as listed.
   */
  addBatch({ dialect = 'openai', ...params }) {
    const d = dialectNamed(dialect);
    const route = d.routes.find((r) => r.create);
    const { params: pathParams = {}, body = params } = route.fromParams?.(params) ?? {};
    const result = route.handle({ ...this.context(d), params: pathParams, query: {}, body: Buffer.from(JSON.stringify(body)), headers: {} });
    return route.createdBatch ? route.createdBatch(result.body) : result.body;
  }

  /**
   * Delivers a signed webhook about batch `id` of `dialect`, as OpenAI does (Standard Webhooks:
   * `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
   * "id.timestamp.body">`, keyed with the base64 after `whsec_`), to `url` -> `{ status, event }`.
   * `type` defaults to `batch.<its status>`; `timestamp` (unix seconds) and `signature` can be
   * forced, to send a stale or a forged one.
   */
  async sendWebhook({ dialect = 'openai', id, url, secret, type, timestamp, signature }) {
    const d = dialectNamed(dialect);
    const entry = this.stores[d.name].batches.get(id);
    if (!entry) throw new TypeError(`no batch ${id} in ${d.name}`);
    const status = canonicalStatus(entry.view(this.site(d)).batch.status ?? '');
    // Signed now, by the wall clock the receiver checks it against (not the batches' clock).
    const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
    const event = {
      id: `evt_${createHash('sha256').update(`${id}.${ts}`).digest('hex').slice(0, 24)}`,
      object: 'event',
      created_at: Number(ts),
      type: type ?? `batch.${status}`,
      data: { id },
    };
    const body = JSON.stringify(event);
    const webhookId = `wh_${randomBytes(12).toString('hex')}`;
    const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
    const mac = createHmac('sha256', key).update(`${webhookId}.${ts}.${body}`).digest('base64');
    const headers = {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': ts,
      'webhook-signature': signature ?? `v1,${mac}`,
    };
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, event, answer: await res.text() };
  }

  /** What `dialect` lists now, newest first. */
  batches(dialect = 'openai') {
    const d = dialectNamed(dialect);
    return this.stores[d.name].batches.slice(0).map((entry) => entry.view(this.site(d)).batch);
  }

  reset() {
    this.clearTimers();
    this.requests.length = 0;
    this.downloads.length = 0;
    this.faults.clear();
    this.stores = createStores(this.clock);
    this.#lastRequestId = 0;
    this.#lastIds.clear();
    this.seed?.(this);
  }
}

/** `http://<Host>`: absolute URLs in an answer (results, uploads) point back where the client came from. */
function originOf(req, state) {
  return req.headers.host ? `http://${req.headers.host}` : state.origin;
}

/** The route's answer, or the dialect's error for what it threw, ready for delivery. */
function answer(req, { dialect, variant, path, query, rest, body, match, listing, site, requestId }, state) {
  const errorAnswer = (error) => jsonAnswer(error.status, dialect.errorBody(error.status, error, { rest, requestId }), error.headers);
  try {
    dialect.authorize({ headers: req.headers, query, rest, variant });
    if (!match) throw new ApiError(404, `Invalid URL (${req.method} ${path}).`, { code: 'not_found' });
    const result = match.route.handle({
      ...state.context(dialect, site), params: match.params, query, body, headers: req.headers, listing: listing ?? null, requestId,
    });
    const status = result.status ?? 200;
    if (!result.payload) return jsonAnswer(status, result.body, result.headers);
    const download = result.download === undefined ? null : startDownload(state.downloads, { path, fileId: result.download, bytes: result.payload.length });
    return { status, headers: result.headers, payload: result.payload, download };
  } catch (error) {
    if (error instanceof ApiError) return errorAnswer(error);
    throw error;
  }
}

async function handleApi(req, res, api, state) {
  const { dialect, rest, path, query, prefix } = api;
  const requestId = res.getHeader('x-request-id');
  const body = await readBody(req);
  state.record(req, path, query, body.toString('utf8'), requestId);
  const match = matchRoute(req.method, rest, dialect.routes);
  const context = { ...api, body, match, requestId, site: { origin: originOf(req, state), prefix } };
  let fault;
  try {
    // Faults come before auth: they stand for a proxy or server failing whatever the request was.
    fault = state.faults.take({ method: req.method, dialect: dialect.name, rest, header: req.headers['x-mock-fault'] });
  } catch (error) {
    if (!(error instanceof FaultSpecError)) throw error;
    sendMockError(res, 400, `bad x-mock-fault: ${error.message}`);
    return;
  }
  if (fault?.kind === 'land_after') {
    // The work happens later whatever the client does meanwhile; the answer never comes.
    const ms = Number(fault.params.ms ?? 1000);
    state.later(ms, () => answer(req, context, state));
    return;
  }
  if (fault && !isDeliveryFault(fault) && !isListingFault(fault)) {
    const sendError = (error) => sendJson(res, error.status, dialect.errorBody(error.status, error, { rest, requestId }), error.headers);
    respondWithFault(fault, { req, res, shape: match?.route.shape ?? null, sendError });
    return;
  }
  const listing = fault && isListingFault(fault) ? fault : null;
  const reply = answer(req, { ...context, listing }, state);
  await deliver(res, reply, { fault, chunkBytes: state.chunkBytes, download: reply.download });
}

async function dispatch(req, res, state, serveStatic) {
  const requestId = state.nextRequestId();
  setCommonHeaders(res, requestId);
  const { path, query } = splitTarget(req.url);
  const isControl = path.startsWith(CONTROL_PREFIX);
  const api = isControl ? null : matchDialect(path);
  // A provider's own request-id header goes on every answer under its prefix, preflights included.
  for (const [name, value] of Object.entries(api?.dialect.headers?.(requestId) ?? {})) res.setHeader(name, value);
  if (req.method === 'OPTIONS') {
    if (!isControl) state.record(req, path, query, '', requestId);
    sendPreflight(req, res);
    return;
  }
  if (isControl) return handleControl(req, res, path, state);
  if (api) return handleApi(req, res, { ...api, path, query }, state);
  if (await serveStatic(req, res, path)) return;
  sendMockError(res, 404, `nothing at ${path}`);
}

function failSafely(res, error) {
  // A bug in the mock must show up in the test output, not as a mysterious hang in the client.
  console.error('mock provider: internal error:', error);
  if (!res.headersSent) sendMockError(res, 500, 'internal error (see the mock\'s stderr)');
  else res.destroy();
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts a mock provider. `opts`: `{ port = 0, host = '127.0.0.1', static: { '/prefix/': dir },
 * stepMs = 200, pollAfterMs = stepMs, chunkBytes = 16384, now = Date.now }`: batches move one
 * step every `stepMs`, a moving batch asks pollers to come back after `pollAfterMs`, and `now`
 * replaces the clock they move by. `demo: true | { speed }` serves demo.mjs' batches instead of the
 * OpenAI, PPInfra, Anthropic and Mistral fixtures. `keepAlive: false` closes every connection after its answer.
 * Resolves to `{ url, port, requests, downloads, addFault, clearFaults, addFile, addGeneratedFile,
 * batches, reset, close }`.
 */
export async function startMock(opts = {}) {
  const { port = 0, host = '127.0.0.1', static: mounts = {}, stepMs = DEFAULT_STEP_MS, chunkBytes = DEFAULT_CHUNK_BYTES, now = Date.now } = opts;
  const { pollAfterMs = stepMs } = opts;
  if (!LOOPBACK.has(host)) throw new Error(`the mock provider only listens on loopback, not ${host}`);
  for (const [name, value] of Object.entries({ stepMs, pollAfterMs, chunkBytes })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  if (typeof now !== 'function') throw new Error('now must be a function returning milliseconds');
  const seed = opts.demo ? (s) => seedDemo(s, opts.demo === true ? {} : opts.demo) : null;
  const state = new MockState({ clock: { now, stepMs, pollAfterMs }, chunkBytes, seed });
  const serveStatic = createStaticHandler(mounts);
  // keepAlive: false answers everything with `Connection: close`, so no request ever rides a reused
  // socket (a browser silently resends one whose reused socket closed before any answer).
  const keepAlive = opts.keepAlive ?? true;
  const server = http.createServer((req, res) => {
    if (!keepAlive) res.setHeader('connection', 'close');
    dispatch(req, res, state, serveStatic).catch((error) => failSafely(res, error));
  });
  await listen(server, port, host);
  const actualPort = server.address().port;
  const urlHost = host === '::1' ? '[::1]' : '127.0.0.1';
  state.origin = `http://${urlHost}:${actualPort}`;
  return {
    url: state.origin,
    port: actualPort,
    requests: state.requests,
    downloads: state.downloads,
    /** `{ method?, path? (suffix or RegExp of the path after the prefix), dialect?, fault, times? }` */
    addFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    /** `{ dialect = 'openai', id?, content, filename?, purpose = 'batch' }` -> the file object in the dialect's shape. */
    addFile: ({ content, ...rest }) => state.addFile({ ...rest, content: content ?? '' }),
    /** `{ dialect = 'openai', id, lines, lineBytes = 550, errorEvery?, malformedEvery? }` -> its size in bytes. */
    addGeneratedFile: ({ content, filename, purpose, ...rest }) => state.addGeneratedFile(rest),
    /** The batches `dialect` lists now (rendered as it sends them), newest first. */
    batches: (dialect) => state.batches(dialect),
    /** `{ dialect = 'openai', …its create body }` -> a batch made as the dialect's create route makes one. */
    addBatch: (params) => state.addBatch(params),
    /** `{ dialect = 'openai', id, url, secret, type?, timestamp?, signature? }` -> `{ status, event, answer }`. */
    sendWebhook: (spec) => state.sendWebhook(spec),
    reset: () => state.reset(),
    close: () => {
      state.clearTimers();
      return closeServer(server);
    },
  };
}

function closeServer(server) {
  return new Promise((resolve) => {
    // Resolve even when already closed: close() is called from cleanup paths that may overlap.
    server.close(() => resolve());
    // Hanging requests and idle keep-alive sockets would otherwise hold close() open forever.
    server.closeAllConnections();
  });
}

// ---- CLI --------------------------------------------------------------------------------------

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      static: { type: 'string', multiple: true, default: [] },
      demo: { type: 'boolean', default: false },
      'demo-speed': { type: 'string' },
      'demo-usage': { type: 'boolean', default: false },
      'demo-history': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  const mounts = {};
  for (const spec of values.static) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`bad --static ${spec}: expected /prefix/=directory`);
    mounts[spec.slice(0, eq)] = path.resolve(spec.slice(eq + 1));
  }
  return { port, static: mounts, demo: demoOptions(values) };
}

/** `--demo` and its options -> `startMock`'s `demo` (false without any of them). */
function demoOptions(values) {
  const speed = values['demo-speed'] === undefined ? 1 : Number(values['demo-speed']);
  if (!(speed > 0)) throw new Error(`bad --demo-speed ${values['demo-speed']}: expected a positive number`);
  const history = values['demo-history'] === undefined ? 0 : Number(values['demo-history']);
  if (!Number.isInteger(history) || history < 0) throw new Error(`bad --demo-history ${values['demo-history']}: expected a whole number`);
  const asked = values.demo || values['demo-usage'] || values['demo-speed'] !== undefined || values['demo-history'] !== undefined;
  return asked ? { speed, usage: values['demo-usage'], history } : false;
}

const HELP = `usage: node tests/mock-provider/server.mjs [options]

  --port N             listen on 127.0.0.1:N (default: any free port)
  --static /P/=DIR     serve DIR under /P/ (repeatable)
  --demo               serve demo.mjs' batches (what make demo shows)
  --demo-speed X       the demo X times faster (default 1)
  --demo-usage         demo OpenAI batches report model and usage, as OpenAI's do
  --demo-history N     N more, older OpenAI demo batches (124 makes 143), some still running
  -h, --help           this text
`;

async function main() {
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const mock = await startMock(options);
  console.log(`mock provider listening on ${mock.url}`);
  if (options.demo) console.log(`dashboard: ${mock.url}/`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const invokedDirectly = process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((error) => {
    console.error(`mock provider: ${error.message}`);
    process.exit(1);
  });
}
