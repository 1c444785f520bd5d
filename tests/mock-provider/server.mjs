// A mock OpenAI-compatible Batch API (OpenAI, token360 and PPInfra dialects) for the tests and the
// demo. Node built-ins only; loopback only. See README.md next to this file for faults and shapes.
//
//   import { startMock } from './tests/mock-provider/server.mjs';
//   const mock = await startMock({ static: { '/': 'www' } });
//   await fetch(`${mock.url}/openai/v1/batches`, { headers: { authorization: 'Bearer x' } });
//   await mock.close();
//
// CLI: node tests/mock-provider/server.mjs [--port 8080] [--static /=www] [--static /pkg/=pkg] [--demo]
import http from 'node:http';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { matchRoute } from './api.mjs';
import { CONTROL_PREFIX, handleControl } from './control.mjs';
import { createStores } from './data.mjs';
import { seedDemo } from './demo.mjs';
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

  /** `file-0001`, `batch_0001`, …: per kind, from 1 after start or reset, so runs are reproducible. */
  newId = (kind) => {
    const n = (this.#lastIds.get(kind) ?? 0) + 1;
    this.#lastIds.set(kind, n);
    return `${kind}${kind === 'file' ? '-' : '_'}${String(n).padStart(4, '0')}`;
  };

  record(req, path, query, body, requestId) {
    this.requests.push({ method: req.method, path, query, headers: { ...req.headers }, body, time: Date.now(), requestId });
  }

  /** A file of `dialect` added by the test itself (`content`) or generated on the fly (`lines`). */
  addFile({ dialect = 'openai', id, content, filename, purpose = 'batch', ...generated }) {
    const { files } = this.stores[dialectNamed(dialect).name];
    const createdMs = this.clock.now();
    if (content !== undefined) {
      if (typeof content !== 'string' && !(content instanceof Uint8Array)) throw new TypeError('content must be a string or bytes');
      const fileId = id ?? this.newId('file');
      return files.add({ id: fileId, filename: filename ?? `${fileId}.jsonl`, purpose, content, createdMs }).file;
    }
    return files.addGenerated({ id, createdMs, ...generated }).file;
  }

  /** A batch made as `POST /batches` would make it, from `params` (its create body) -> the batch as listed. */
  addBatch({ dialect = 'openai', ...params }) {
    const d = dialectNamed(dialect);
    const { batches, files } = this.stores[d.name];
    const { route } = matchRoute('POST', '/batches');
    const body = Buffer.from(JSON.stringify(params));
    return route.handle({ dialect: d, batches, files, params: {}, query: {}, body, headers: {}, clock: this.clock, newId: this.newId }).body;
  }

  /** What `dialect` lists now, newest first. */
  batches(dialect = 'openai') {
    const { batches } = this.stores[dialectNamed(dialect).name];
    return batches.slice(0).map((entry) => entry.view().batch);
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

function hasBearer(req) {
  return /^Bearer\s+\S/i.test(req.headers.authorization ?? '');
}

/** The route's answer, or the dialect's error for what it threw, ready for delivery. */
function answer(req, { dialect, path, query, body, match, listing }, state) {
  const errorAnswer = (error) => jsonAnswer(error.status, dialect.errorBody(error.status, error), error.headers);
  try {
    if (!hasBearer(req)) {
      throw new ApiError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", { code: 'invalid_api_key' });
    }
    if (!match) throw new ApiError(404, `Invalid URL (${req.method} ${path}).`, { code: 'not_found' });
    const { batches, files } = state.stores[dialect.name];
    const result = match.route.handle({
      dialect, batches, files, params: match.params, query, body, headers: req.headers, clock: state.clock, newId: state.newId,
      listing: listing ?? null,
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

async function handleApi(req, res, { dialect, rest, path, query }, state) {
  const body = await readBody(req);
  state.record(req, path, query, body.toString('utf8'), res.getHeader('x-request-id'));
  const match = matchRoute(req.method, rest);
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
    state.later(ms, () => answer(req, { dialect, path, query, body, match }, state));
    return;
  }
  if (fault && !isDeliveryFault(fault) && !isListingFault(fault)) {
    const sendError = (error) => sendJson(res, error.status, dialect.errorBody(error.status, error), error.headers);
    respondWithFault(fault, { req, res, shape: match?.route.shape ?? null, sendError });
    return;
  }
  const listing = fault && isListingFault(fault) ? fault : null;
  const reply = answer(req, { dialect, path, query, body, match, listing }, state);
  await deliver(res, reply, { fault, chunkBytes: state.chunkBytes, download: reply.download });
}

async function dispatch(req, res, state, serveStatic) {
  setCommonHeaders(res, state.nextRequestId());
  const { path, query } = splitTarget(req.url);
  const isControl = path.startsWith(CONTROL_PREFIX);
  if (req.method === 'OPTIONS') {
    if (!isControl) state.record(req, path, query, '', res.getHeader('x-request-id'));
    sendPreflight(req, res);
    return;
  }
  if (isControl) return handleControl(req, res, path, state);
  const api = matchDialect(path);
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
 * OpenAI and PPInfra fixtures. `keepAlive: false` closes every connection after its answer.
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
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    requests: state.requests,
    downloads: state.downloads,
    /** `{ method?, path? (suffix or RegExp of the path after the prefix), dialect?, fault, times? }` */
    addFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    /** `{ dialect = 'openai', id?, content, filename?, purpose = 'batch' }` -> the file object. */
    addFile: ({ content, ...rest }) => state.addFile({ ...rest, content: content ?? '' }),
    /** `{ dialect = 'openai', id, lines, lineBytes = 550, errorEvery?, malformedEvery? }` -> its size in bytes. */
    addGeneratedFile: ({ content, filename, purpose, ...rest }) => state.addFile(rest).bytes,
    /** The batches `dialect` lists now (rendered as it sends them), newest first. */
    batches: (dialect) => state.batches(dialect),
    /** `{ dialect = 'openai', input_file_id, endpoint, metadata?, … }` -> a batch made as POST /batches makes one. */
    addBatch: (params) => state.addBatch(params),
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
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  const mounts = {};
  for (const spec of values.static) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`bad --static ${spec}: expected /prefix/=directory`);
    mounts[spec.slice(0, eq)] = path.resolve(spec.slice(eq + 1));
  }
  return { port, static: mounts, demo: values.demo };
}

async function main() {
  const options = parseCli(process.argv.slice(2));
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
