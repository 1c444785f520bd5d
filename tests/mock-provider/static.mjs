// Serves the demo page and the built package from the same origin as the mock API, so the page
// needs no CORS and its CSP can stay `'self'`.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { send } from './http.mjs';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function notFound(res) {
  send(res, 404, 'Not found\n', { 'content-type': 'text/plain; charset=utf-8' });
}

/** The file `rel` names inside `root`, or null when it would escape it (`..`, absolute, NUL). */
function resolveInside(root, rel) {
  if (rel.includes('\0')) return null;
  const file = path.join(root, rel);
  const inside = path.relative(root, file);
  if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) return null;
  return file;
}

async function statOrNull(file) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/**
 * `mounts` maps URL prefixes to directories. Returns `serve(req, res, rawPath)`, which answers and
 * resolves true when a mount owns the path, and resolves false (having sent nothing) otherwise.
 */
export function createStaticHandler(mounts = {}) {
  // Longest prefix first, so `/pkg/` wins over `/` for the package files.
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => ({ prefix: prefix.endsWith('/') ? prefix : `${prefix}/`, root: path.resolve(dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);

  return async function serve(req, res, rawPath) {
    const mount = table.find((m) => rawPath.startsWith(m.prefix));
    if (!mount) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      notFound(res);
      return true;
    }
    let rel;
    try {
      rel = decodeURIComponent(rawPath.slice(mount.prefix.length));
    } catch {
      notFound(res);
      return true;
    }
    await serveFile(res, mount.root, rel, rawPath);
    return true;
  };
}

async function serveFile(res, root, rel, rawPath) {
  let file = resolveInside(root, rel);
  let info = file && (await statOrNull(file));
  if (info?.isDirectory()) {
    // Relative URLs inside index.html only work when the directory URL ends with a slash.
    if (!rawPath.endsWith('/')) {
      send(res, 301, '', { location: `${rawPath}/` });
      return;
    }
    file = path.join(file, 'index.html');
    info = await statOrNull(file);
  }
  if (!info?.isFile()) {
    notFound(res);
    return;
  }
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  // no-store: the demo must pick up a rebuilt pkg/ on reload.
  send(res, 200, await readFile(file), { 'content-type': type, 'cache-control': 'no-store' });
}
