// Differential tests against `JSON.parse`, the reference: generated provider answers (tricky
// numbers, lone surrogates, escapes, non-ASCII, invalid UTF-8, duplicate keys, deep nesting, a
// BOM) go through `retrieve`, `list` and `results` by an injected `fetch`, and every value the
// client does not normalise must come out exactly as `JSON.parse` of the same bytes gives it —
// same numbers (Object.is), same strings, same key order. Modelled fields are checked for their
// type. Runs in Node, workerd and Chromium as part of the shared scenarios.

/** A small seeded PRNG (xorshift32), so a failure names a seed that reproduces it. */
export function rng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (items) => items[next.int(items.length)];
  return next;
}

const NUMBERS = [
  "0.9856906946328695", "0.1", "5e-324", "1.7976931348623157e308", "1e400", "-1e400", "123456789012345678901234567890",
  "18446744073709551617", "-0", "-0.0", "2.0e2", "1E-400", "9007199254740993", "3.141592653589793238462643383279",
  "0", "42", "-17", "1e21", "12.50",
];
const STRINGS = [
  '"plain"', '"\\ud800"', '"\\udc00\\ud800"', '"x\\ud83dy"', '"\\ud83d\\ude00"', '"é👋 ✓"', '"\\u00e9"', '"\\u0000\\b\\f\\n\\r\\t"',
  '"\\"\\\\\\/"', '""', '"中文字符"', '"\\u2028\\u2029"', '"PROGRESS"', '"2024-03-09T16:00:00Z"',
];
const KEYS = ['"a"', '"b"', '"z"', '"__proto__"', '"constructor"', '"1"', '"10"', '"é"', '"\\u0061"', '"x y"', '""', '"remark"', '"version"'];

/** A random JSON value as text, up to `depth` deep. */
export function value(r, depth) {
  const roll = r();
  if (depth <= 0 || roll < 0.45) {
    const kind = r.int(5);
    if (kind === 0) return r.pick(NUMBERS);
    if (kind === 1) return r.pick(STRINGS);
    if (kind === 2) return r.pick(["true", "false", "null"]);
    if (kind === 3) return String(r() * 10 ** r.int(20) * (r() < 0.5 ? -1 : 1));
    return String(r.int(2 ** 31));
  }
  if (roll < 0.7) return `[${Array.from({ length: r.int(4) }, () => value(r, depth - 1)).join(",")}]`;
  const entries = Array.from({ length: r.int(5) }, () => `${r.pick(KEYS)}:${value(r, depth - 1)}`);
  if (r() < 0.2 && entries.length) entries.push(entries[0].replace(/:.*/, `:${value(r, 0)}`)); // a duplicate key
  return `{${entries.join(",")}}`;
}

/** The names the client models on a batch (their values are normalised, not passed through). */
const MODELLED = new Set([
  "id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id",
  "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
  "cancelled_at", "request_counts", "metadata", "model", "usage", "total", "completed", "failed",
]);

/** A batch as a provider might send it: modelled fields in some spelling, extras of every kind. */
export function batchText(r, i) {
  const entries = [
    `"id":"batch_${i}"`,
    `"status":${r.pick(['"in_progress"', '"PROGRESS"', '"completed"', '"canceled"', '"Weird"'])}`,
    `"created_at":${r.pick(["1714000000", '"2024-03-09T16:00:00Z"', "1714000000123", "null"])}`,
  ];
  if (r() < 0.5) entries.push(`"metadata":${r.pick(['{"k":"v","é":"\\ud800"}', "null", '{"1":"a","b":"c"}'])}`);
  if (r() < 0.5) entries.push(`"request_counts":{"total":${r.int(100)},"completed":${r.int(50)},"failed":0}`);
  if (r() < 0.3) entries.push(`"usage":{"input_tokens":${r.int(1000)},"output_tokens_details":${value(r, 2)}}`);
  for (let n = r.int(6); n > 0; n--) entries.push(`"x_${r.int(8)}":${value(r, 3)}`);
  if (r() < 0.1) entries.push(`"deep":${"[".repeat(600)}1${"]".repeat(600)}`);
  // Shuffle, so the modelled fields stand anywhere.
  for (let k = entries.length - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [entries[k], entries[j]] = [entries[j], entries[k]];
  }
  return `{${entries.join(",")}}`;
}

/** `Object.is` all the way down, with object keys in the same order. */
export function sameValue(a, b, path = "$") {
  if (Object.is(a, b)) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return `${path}: got ${describe(a)}, expected ${describe(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join("\u0000") !== kb.join("\u0000")) return `${path}: keys ${JSON.stringify(ka)}, expected ${JSON.stringify(kb)}`;
  for (const k of ka) {
    const d = sameValue(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function describe(v) {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v).replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return JSON.stringify(v)?.slice(0, 80) ?? String(v);
}

/** The bytes of a body: UTF-8 of `text`, maybe with a BOM, maybe with a byte that is not UTF-8 inside a string. */
function bodyBytes(r, text) {
  let bytes = new TextEncoder().encode(text);
  if (r() < 0.15) {
    // An invalid byte in the first string value: JSON.parse of the decoded text sees U+FFFD there.
    const char = text.indexOf('":"') + 3;
    const at = new TextEncoder().encode(text.slice(0, char)).length;
    if (char > 2) bytes = new Uint8Array([...bytes.slice(0, at), 0xff, ...bytes.slice(at)]);
  }
  if (r() < 0.15) bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  return bytes;
}

/** The reference: what a JS program reading the body with `response.text()` then `JSON.parse` gets. */
export const reference = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

function checkBatch(got, want, where) {
  for (const key of Object.keys(want)) {
    if (MODELLED.has(key)) continue;
    const d = sameValue(got[key], want[key], `${where}.${key}`);
    if (d) return d;
  }
  if (typeof got.id !== "string" || typeof got.status !== "string") return `${where}: id/status not strings`;
  if (typeof got.request_counts?.total !== "number") return `${where}: request_counts`;
  for (const key of ["metadata", "usage"]) {
    if (want[key] !== null && typeof want[key] === "object" && !Array.isArray(want[key])) {
      const d = sameValue(got[key], want[key], `${where}.${key}`);
      if (d) return d;
    }
  }
  // The order of the provider's keys, wherever they are (modelled ones added at the end).
  const order = Object.keys(got).filter((k) => k in want && !["total", "completed", "failed"].includes(k));
  const sent = Object.keys(want).filter((k) => !["total", "completed", "failed"].includes(k));
  if (order.join() !== sent.join()) return `${where}: key order ${order.join()} vs ${sent.join()}`;
  return null;
}

const answer = (bytes) => new Response(bytes, { status: 200, headers: { "content-type": "application/json" } });

/** Runs `n` generated documents per path; resolves to the first difference, or null. */
export async function differential(lib, seed, n = 60) {
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    // retrieve
    const bytes = bodyBytes(r, batchText(r, i));
    const one = new lib.BatchClient({ apiKey: "x", fetch: async () => answer(bytes) });
    const got = await one.retrieve(`batch_${i}`);
    const d1 = checkBatch(got, reference(bytes), `retrieve #${i} (seed ${seed})`);
    if (d1) return d1;
    // list: a page of a few, with extras on the page itself
    const items = Array.from({ length: 1 + r.int(4) }, (_, k) => batchText(r, i * 10 + k));
    const pageText = `{"object":"list","data":[${items.join(",")}],"has_more":false,"extra":${value(r, 3)}}`;
    const pageBytes = bodyBytes(r, pageText);
    const lister = new lib.BatchClient({ apiKey: "x", fetch: async () => answer(pageBytes) });
    const page = await lister.list();
    const ref = reference(pageBytes);
    const d2 = sameValue(page.extra, ref.extra, `list #${i}.extra (seed ${seed})`);
    if (d2) return d2;
    for (const [k, batch] of ref.data.entries()) {
      const d = checkBatch(page.data[k], batch, `list #${i}.data[${k}] (seed ${seed})`);
      if (d) return d;
    }
    // results: lines whose bodies and extras are arbitrary JSON
    const lines = Array.from({ length: 1 + r.int(5) }, (_, k) =>
      `{"custom_id":"c${k}","response":{"status_code":200,"body":${value(r, 4)}},"error":null,"x":${value(r, 2)}}`,
    );
    const fileBytes = new TextEncoder().encode(`${lines.join(r() < 0.5 ? "\n" : "\r\n")}\n`);
    const reader = new lib.BatchClient({ apiKey: "x", fetch: async () => new Response(fileBytes) });
    let k = 0;
    for await (const line of reader.results({ output_file_id: "file-x" })) {
      const want = JSON.parse(lines[k]);
      const d = sameValue(line.response.body, want.response.body, `results #${i} line ${k + 1}.response.body (seed ${seed})`) ?? sameValue(line.x, want.x, `results #${i} line ${k + 1}.x`);
      if (d) return d;
      k++;
    }
    if (k !== lines.length) return `results #${i}: ${k} lines, expected ${lines.length}`;
  }
  return null;
}
