// multipart/form-data, parsed by hand: the mock has no dependencies, and a test of an upload must
// see the exact bytes the client sent (a parser that decoded or re-encoded them could hide a bug).
import { ApiError } from './http.mjs';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or null for anything else. */
export function boundaryOf(contentType = '') {
  const [type, ...params] = contentType.split(';').map((s) => s.trim());
  if (type.toLowerCase() !== 'multipart/form-data') return null;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    const value = param.slice(eq + 1).trim();
    const unquoted = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    return unquoted || null;
  }
  return null;
}

/**
 * A `name="value"` parameter of a Content-Disposition line. Browsers and undici escape `"`, CR and
 * LF in names as `%22`, `%0D`, `%0A`; those (and only those) are undone so a filename round-trips.
 */
function dispositionParam(line, name) {
  const match = new RegExp(`(?:^|;)\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(line);
  if (!match) return null;
  return match[1].replace(/\\(.)/g, '$1').replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

function parseHeaders(text) {
  const headers = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function malformed(why) {
  return new ApiError(400, `Could not parse multipart form: ${why}.`, { code: 'invalid_request' });
}

/**
 * The parts of a multipart body: `[{ name, filename (null for a plain field), headers, content: Buffer }]`.
 * Throws a 400 ApiError when the body does not follow the boundary it declares.
 */
export function parseMultipart(body, boundary) {
  const opening = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(opening);
  if (pos < 0) throw malformed('no opening boundary');
  pos += opening.length;
  const parts = [];
  for (;;) {
    if (body.subarray(pos, pos + 2).toString() === '--') return parts; // the closing delimiter
    if (!body.subarray(pos, pos + 2).equals(CRLF)) throw malformed('a boundary is not followed by a line break');
    const headerEnd = body.indexOf(HEADER_END, pos + 2);
    if (headerEnd < 0) throw malformed('a part has no end of headers');
    const headers = parseHeaders(body.subarray(pos + 2, headerEnd).toString('utf8'));
    const next = body.indexOf(between, headerEnd + HEADER_END.length);
    if (next < 0) throw malformed('a part is not closed by a boundary');
    const disposition = headers['content-disposition'] ?? '';
    parts.push({
      name: dispositionParam(disposition, 'name'),
      filename: dispositionParam(disposition, 'filename'),
      headers,
      content: body.subarray(headerEnd + HEADER_END.length, next),
    });
    pos = next + between.length;
  }
}
