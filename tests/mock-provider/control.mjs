// Control routes under /__mock/, for test processes that cannot call the mock's JS API (workerd,
// a browser page, another Node process). They need no auth and are not recorded, so they never
// disturb what a test asserts about the client's own requests.
import { readBody, sendJson, sendMockError } from './http.mjs';
import { FaultSpecError } from './faults.mjs';

export const CONTROL_PREFIX = '/__mock/';

function parseJson(bytes) {
  try {
    return JSON.parse(bytes.toString('utf8') || '{}');
  } catch {
    throw new FaultSpecError('body must be JSON');
  }
}

/** `{ method?, path?, pathRegex?, dialect?, fault, times? }`; `pathRegex` because JSON has no RegExp. */
function faultFromJson({ method, path, pathRegex, dialect, fault, times }) {
  return { method, dialect, fault, times, path: pathRegex === undefined ? path : new RegExp(pathRegex) };
}

const ROUTES = {
  'POST /__mock/faults': async (req, res, state) => {
    state.faults.add(faultFromJson(parseJson(await readBody(req))));
    sendJson(res, 201, { ok: true });
  },
  'DELETE /__mock/faults': (_req, res, state) => {
    state.faults.clear();
    sendJson(res, 200, { ok: true });
  },
  /** `{ dialect?, id?, content, filename?, purpose? }` stores a file; `{ dialect?, id, lines, … }` generates one. */
  'POST /__mock/files': async (req, res, state) => {
    const { content, lines, ...rest } = parseJson(await readBody(req));
    const file = lines === undefined ? state.addFile({ ...rest, content: content ?? '' }) : state.addFile({ ...rest, lines });
    sendJson(res, 201, { file });
  },
  'GET /__mock/requests': (_req, res, state) => sendJson(res, 200, state.requests),
  'DELETE /__mock/requests': (_req, res, state) => {
    state.requests.length = 0;
    sendJson(res, 200, { ok: true });
  },
  /** `{ dialect?, id, url, secret, type?, timestamp?, signature? }`: delivers a signed webhook about a batch. */
  'POST /__mock/webhooks': async (req, res, state) => {
    const spec = parseJson(await readBody(req));
    if (typeof spec.url !== 'string' || typeof spec.secret !== 'string') throw new FaultSpecError('url and secret are required');
    sendJson(res, 200, await state.sendWebhook(spec));
  },
  'POST /__mock/reset': (_req, res, state) => {
    state.reset();
    sendJson(res, 200, { ok: true });
  },
};

export async function handleControl(req, res, path, state) {
  const handler = ROUTES[`${req.method} ${path}`];
  if (!handler) {
    sendMockError(res, 404, `no control route ${req.method} ${path}`);
    return;
  }
  try {
    await handler(req, res, state);
  } catch (error) {
    // TypeError: a bad argument to a state method (an unknown dialect, a duplicate file id, …).
    if (!(error instanceof FaultSpecError) && !(error instanceof SyntaxError) && !(error instanceof TypeError)) throw error;
    sendMockError(res, 400, error.message);
  }
}
