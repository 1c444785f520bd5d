// A mock OpenAI-compatible Batch API (OpenAI, token360 and PPInfra dialects) for the tests and the
// demo. Node built-ins only; loopback only. See README.md next to this file for faults and shapes.
//
//   import { startMock } from './tests/mock-provider/server.mjs';
//   const mock = await startMock({ static: { '/': 'www' } });
//   await fetch(`${mock.url}/openai/v1/batches`, { headers: { authorization: 'Bearer x' } });
//   await mock.close();
//
// CLI: node tests/mock-provider/server.mjs [--port 8080] [--static /=www] [--static /pkg/=pkg]
import http from 'node:http';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { matchRoute } from './api.mjs';
import { CONTROL_PREFIX, handleControl } from './control.mjs';
import { createStores } from './data.mjs';
import { matchDialect } from './dialects.mjs';
import { Faults, FaultSpecError, respondWithFault } from './faults.mjs';
import { ApiError, readBody, sendJson, sendMockError, sendPreflight, setCommonHeaders, splitTarget } from './http.mjs';
import { createStaticHandler } from './static.mjs';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Everything a test may inspect or reset; one instance per running mock. */
class MockState {
  /** Kept as one array for the mock's lifetime so callers may hold on to `mock.requests`. */
  requests = [];
  faults = new Faults();
  stores = createStores();
  #lastRequestId = 0;

  nextRequestId() {
    this.#lastRequestId += 1;
    return `req_${this.#lastRequestId}`;
  }

  record(req, path, query, body, requestId) {
    this.requests.push({ method: req.method, path, query, headers: { ...req.headers }, body, time: Date.now(), requestId });
  }

  reset() {
    this.requests.length = 0;
    this.faults.clear();
    this.stores = createStores();
    this.#lastRequestId = 0;
  }
}

function hasBearer(req) {
  return /^Bearer\s+\S/i.test(req.headers.authorization ?? '');
}

async function handleApi(req, res, { dialect, rest, path, query }, state) {
  const body = await readBody(req);
  state.record(req, path, query, body, res.getHeader('x-request-id'));
  const match = matchRoute(req.method, rest);
  const sendError = (error) => sendJson(res, error.status, dialect.errorBody(error.status, error), error.headers);
  try {
    // Faults come before auth: they stand for a proxy or server failing whatever the request was.
    const fault = state.faults.take({ method: req.method, dialect: dialect.name, rest, header: req.headers['x-mock-fault'] });
    if (fault) {
      respondWithFault(fault, { req, res, shape: match?.route.shape ?? null, sendError });
      return;
    }
    if (!hasBearer(req)) {
      throw new ApiError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", { code: 'invalid_api_key' });
    }
    if (!match) throw new ApiError(404, `Invalid URL (${req.method} ${path}).`, { code: 'not_found' });
    const result = match.route.handle({ store: state.stores[dialect.name], params: match.params, query, body });
    sendJson(res, result.status ?? 200, result.body);
  } catch (error) {
    if (error instanceof ApiError) sendError(error);
    else if (error instanceof FaultSpecError) sendMockError(res, 400, `bad x-mock-fault: ${error.message}`);
    else throw error;
  }
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
 * Starts a mock provider. `opts`: `{ port = 0, host = '127.0.0.1', static: { '/prefix/': dir } }`.
 * Resolves to `{ url, port, requests, addFault, clearFaults, reset, close }`.
 */
export async function startMock(opts = {}) {
  const { port = 0, host = '127.0.0.1', static: mounts = {} } = opts;
  if (!LOOPBACK.has(host)) throw new Error(`the mock provider only listens on loopback, not ${host}`);
  const state = new MockState();
  const serveStatic = createStaticHandler(mounts);
  const server = http.createServer((req, res) => {
    dispatch(req, res, state, serveStatic).catch((error) => failSafely(res, error));
  });
  await listen(server, port, host);
  const actualPort = server.address().port;
  const urlHost = host === '::1' ? '[::1]' : '127.0.0.1';
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    requests: state.requests,
    /** `{ method?, path? (suffix or RegExp of the path after the prefix), dialect?, fault, times? }` */
    addFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    reset: () => state.reset(),
    close: () => closeServer(server),
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
    options: { port: { type: 'string', default: '0' }, static: { type: 'string', multiple: true, default: [] } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  const mounts = {};
  for (const spec of values.static) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`bad --static ${spec}: expected /prefix/=directory`);
    mounts[spec.slice(0, eq)] = path.resolve(spec.slice(eq + 1));
  }
  return { port, static: mounts };
}

async function main() {
  const mock = await startMock(parseCli(process.argv.slice(2)));
  console.log(`mock provider listening on ${mock.url}`);
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
