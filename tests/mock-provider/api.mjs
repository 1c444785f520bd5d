// The provider API below a dialect prefix. Routes are a table so that files, creation and
// cancellation can be added as rows; handlers get a small context and return `{ status?, body }`
// or throw an ApiError, leaving auth, faults and error rendering to the server.
import { ApiError } from './http.mjs';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** `shape` tells fault responders what a well-formed answer would have been. */
const ROUTES = [
  { method: 'GET', pattern: ['batches'], shape: 'page', handle: listBatches },
  { method: 'GET', pattern: ['batches', ':id'], shape: 'batch', handle: retrieveBatch },
];

/**
 * The route for `method` and the path after the prefix, with decoded `:params`, or null.
 * A segment that does not decode cannot name anything the store holds, so it is simply no match.
 */
export function matchRoute(method, rest) {
  const segments = rest.split('/').slice(1);
  for (const route of ROUTES) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params = matchSegments(route.pattern, segments);
    if (params) return { route, params };
  }
  return null;
}

function matchSegments(pattern, segments) {
  const params = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i];
    if (!part.startsWith(':')) {
      if (part !== segment) return null;
      continue;
    }
    if (segment === '') return null;
    try {
      params[part.slice(1)] = decodeURIComponent(segment);
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

function listBatches({ store, query }) {
  let start = 0;
  if (query.after !== undefined) {
    const index = store.indexOf(query.after);
    if (index < 0) {
      throw new ApiError(400, `No batch found with id '${query.after}' to list after.`, {
        code: 'invalid_cursor',
        param: 'after',
      });
    }
    start = index + 1;
  }
  const limit = clampLimit(query.limit);
  const data = store.slice(start, start + limit);
  return {
    body: {
      object: 'list',
      data,
      first_id: data.length ? data[0].id : null,
      last_id: data.length ? data[data.length - 1].id : null,
      has_more: start + data.length < store.size,
    },
  };
}

function retrieveBatch({ store, params }) {
  const batch = store.get(params.id);
  if (!batch) throw new ApiError(404, `No batch found with id '${params.id}'.`, { code: 'not_found' });
  return { body: batch };
}
