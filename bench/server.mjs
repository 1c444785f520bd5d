// The benchmark's loopback provider: a tiny, purpose-built Node server with nothing in the way of
// the numbers (no dialects, no clock, no faults). Every client under test reads the same bytes.
//
//   GET /v1/batches?limit=N          a fixed page of N OpenAI-shaped batches (built once per N, cached)
//   GET /v1/batches/{id}             one batch
//   GET /anthropic/v1/messages/batches/msgbatch_bench_N          an ended Anthropic batch of N
//   GET /anthropic/v1/messages/batches/msgbatch_bench_N/results  its results (JSONL, prebuilt,
//                                    ~550 bytes a line as above, one in a hundred `errored`)
//   GET /ppinfra/v1/batches?limit=N  the same batches as PPInfra sends them (upper-case statuses,
//                                    `{}` for unset times, string `created_at`, top-level counts…),
//                                    rendered by the mock provider's tests/mock-provider/dialects.mjs
//   GET /v1/files/lines-N/content    a JSONL output file of N result lines, generated on the fly
//                                    (~550 bytes a line, some non-ASCII) and written in 64 KiB chunks
//   GET /v1/files/prebuilt-N/content the same bytes, built once and cached, then written in 64 KiB
//                                    chunks: the server does almost nothing, so the client's own
//                                    cost is all that is timed (generating lines caps the rate a
//                                    client can read at, which narrows every ratio towards 1)
//
//   node server.mjs [--port 0]       prints {"port": N} on stdout once listening; 127.0.0.1 only
import http from 'node:http';
// PPInfra's spelling of a batch, as the mock provider writes it (the dialect's one renderer).
import { ppinfraBatch } from '../tests/mock-provider/dialects.mjs';

const CHUNK = 64 * 1024;
const T0 = 1_714_000_000; // a fixed "now" so every run serves identical bytes
const STATUSES = ['completed', 'completed', 'completed', 'in_progress', 'failed', 'expired', 'cancelled', 'validating', 'finalizing', 'cancelling'];

/** Batch number `i` in the OpenAI wire shape (every field the API documents, with usage and model). */
export function batch(i) {
  const status = STATUSES[i % STATUSES.length];
  const created = T0 - i * 60;
  const done = status === 'completed';
  const total = 100 + (i % 900);
  const failed = status === 'failed' ? total : i % 7;
  return {
    id: `batch_${(0x6800000000 + i).toString(16)}a1b2c3d4e5f6`,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    model: 'gpt-4o-mini-2024-07-18',
    errors: status === 'failed'
      ? { object: 'list', data: [{ code: 'invalid_json_line', message: 'Line 3 is not valid JSON.', param: null, line: 3 }] }
      : null,
    input_file_id: `file-in${i.toString(36).padStart(8, '0')}`,
    completion_window: '24h',
    status,
    output_file_id: done ? `file-out${i.toString(36).padStart(8, '0')}` : null,
    error_file_id: done && i % 3 === 0 ? `file-err${i.toString(36).padStart(8, '0')}` : null,
    created_at: created,
    in_progress_at: status === 'validating' ? null : created + 5,
    expires_at: created + 86_400,
    finalizing_at: done ? created + 3_000 : null,
    completed_at: done ? created + 3_100 : null,
    failed_at: status === 'failed' ? created + 12 : null,
    expired_at: status === 'expired' ? created + 86_400 : null,
    cancelling_at: status === 'cancelled' || status === 'cancelling' ? created + 50 : null,
    cancelled_at: status === 'cancelled' ? created + 80 : null,
    request_counts: { total, completed: done ? total - failed : 0, failed },
    usage: {
      input_tokens: total * 412,
      output_tokens: total * 96,
      total_tokens: total * 508,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    },
    metadata: { customer_id: `user_${1000 + (i % 97)}`, batch_description: `Nightly eval job #${i} — résumé ✓` },
  };
}

const pages = new Map();

/** The page body for `limit` (in `dialect`), serialised once. */
function page(limit, dialect = 'openai') {
  const key = `${dialect}:${limit}`;
  let body = pages.get(key);
  if (!body) {
    const data = Array.from({ length: limit }, (_, i) => (dialect === 'ppinfra' ? ppinfraBatch(batch(i)) : batch(i)));
    body = Buffer.from(JSON.stringify({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: true }));
    pages.set(key, body);
  }
  return body;
}

// Result line text around the per-line parts; the assistant text carries 2- and 3-byte UTF-8.
const ANSWER = 'Réponse : les données sont cohérentes — 数据已验证 ✓';

/** Result line number `n` (1-based), ~550 bytes of UTF-8, in the OpenAI batch output shape. */
export function resultLine(n) {
  const id = n.toString(16).padStart(8, '0');
  if (n % 100 === 0) {
    // One line in a hundred is a request the model endpoint refused.
    return `{"id":"batch_req_${id}bench","custom_id":"request-${n}","response":{"status_code":400,"request_id":"req_${id}c0ffee","body":{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens — please réduire la longueur.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}},"error":null}\n`;
  }
  return `{"id":"batch_req_${id}bench","custom_id":"request-${n}","response":{"status_code":200,"request_id":"req_${id}c0ffee","body":{"id":"chatcmpl-${id}XYZ","object":"chat.completion","created":${T0 + n},"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"${ANSWER}","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":${40 + (n % 50)},"completion_tokens":${60 + (n % 30)},"total_tokens":${100 + (n % 80)}},"system_fingerprint":"fp_44709d6fcb"}},"error":null}\n`;
}

/** Anthropic's result line `n` (1-based): the same answer as `resultLine`, as a Message. */
export function anthropicLine(n) {
  const id = n.toString(16).padStart(8, '0');
  if (n % 100 === 0) {
    return `{"custom_id":"request-${n}","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 131072 tokens > 128000 maximum — please réduire la longueur."},"request_id":"req_011C${id}bench"}}}\n`;
  }
  return `{"custom_id":"request-${n}","result":{"type":"succeeded","message":{"id":"msg_011C${id}XYZbench","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"${ANSWER}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":${40 + (n % 50)},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":${60 + (n % 30)},"service_tier":"batch"}}}}\n`;
}

/** The ended Anthropic batch of `lines` requests, its results on this server. */
function anthropicBatch(lines, origin) {
  const id = `msgbatch_bench_${lines}`;
  const errored = Math.floor(lines / 100);
  return {
    id,
    type: 'message_batch',
    processing_status: 'ended',
    request_counts: { processing: 0, succeeded: lines - errored, errored, canceled: 0, expired: 0 },
    ended_at: '2024-04-25T00:50:00.000000Z',
    created_at: '2024-04-24T23:06:40.000000Z',
    expires_at: '2024-04-25T23:06:40.000000Z',
    archived_at: null,
    cancel_initiated_at: null,
    results_url: `${origin}/anthropic/v1/messages/batches/${id}/results`,
  };
}

const files = new Map();

/** The whole file of `lines` result lines (by `line`), built once. */
function prebuilt(lines, line = resultLine) {
  const key = `${line.name}:${lines}`;
  let body = files.get(key);
  if (!body) {
    const parts = [];
    for (let n = 1; n <= lines; n++) parts.push(line(n));
    body = Buffer.from(parts.join(''));
    files.set(key, body);
  }
  return body;
}

/** Writes a prebuilt body in CHUNK-sized writes, waiting for the socket to drain. */
async function streamBuffer(res, body) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  for (let at = 0; at < body.length; at += CHUNK) {
    if (res.destroyed) return;
    if (!res.write(body.subarray(at, at + CHUNK))) await drained(res);
  }
  res.end();
}

function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Writes `lines` result lines in CHUNK-sized writes, waiting for the socket to drain. */
async function streamLines(res, lines) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  let pending = '';
  let pendingBytes = 0;
  for (let n = 1; n <= lines; n++) {
    const line = resultLine(n);
    pending += line;
    pendingBytes += Buffer.byteLength(line);
    if (pendingBytes >= CHUNK || n === lines) {
      const bytes = Buffer.from(pending);
      pending = '';
      pendingBytes = 0;
      for (let at = 0; at < bytes.length; at += CHUNK) {
        if (res.destroyed) return;
        if (!res.write(bytes.subarray(at, at + CHUNK))) await drained(res);
      }
    }
  }
  res.end();
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, 'x-request-id': 'req_bench' });
  res.end(body);
}

function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname;
  if (req.method !== 'GET') return send(res, 405, Buffer.from('{"error":{"message":"GET only","type":"invalid_request_error"}}'));
  if (path === '/v1/batches' || path === '/ppinfra/v1/batches') {
    const limit = Math.max(1, Math.min(100_000, Number(url.searchParams.get('limit') ?? 20) | 0));
    return send(res, 200, page(limit, path.startsWith('/ppinfra/') ? 'ppinfra' : 'openai'));
  }
  let m = /^\/v1\/batches\/([^/]+)$/.exec(path);
  if (m) {
    const i = Number(/^bench_(\d+)$/.exec(decodeURIComponent(m[1]))?.[1] ?? 0);
    return send(res, 200, Buffer.from(JSON.stringify({ ...batch(i), id: decodeURIComponent(m[1]) })));
  }
  m = /^\/v1\/files\/lines-(\d+)\/content$/.exec(path);
  if (m) {
    streamLines(res, Number(m[1])).catch(() => res.destroy());
    return;
  }
  m = /^\/anthropic\/v1\/messages\/batches\/msgbatch_bench_(\d+)(\/results)?$/.exec(path);
  if (m && m[2]) {
    streamBuffer(res, prebuilt(Number(m[1]), anthropicLine)).catch(() => res.destroy());
    return;
  }
  if (m) return send(res, 200, Buffer.from(JSON.stringify(anthropicBatch(Number(m[1]), `http://${req.headers.host}`))));
  m = /^\/v1\/files\/prebuilt-(\d+)\/content$/.exec(path);
  if (m) {
    streamBuffer(res, prebuilt(Number(m[1]))).catch(() => res.destroy());
    return;
  }
  send(res, 404, Buffer.from('{"error":{"message":"not found","type":"invalid_request_error","code":"not_found"}}'));
}

/** Starts the server on 127.0.0.1; resolves with `{ port, url, close }`. */
export function start(port = 0) {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://127.0.0.1:${actual}/v1`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--port');
  const { port } = await start(at > 0 ? Number(process.argv[at + 1]) : 0);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  // Stop with the parent: it closes our stdin when it is done (or dies).
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0));
  process.stdin.resume();
}
