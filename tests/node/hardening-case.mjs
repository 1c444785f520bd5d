// One hostile input, in a process of its own (so its peak memory is its own): prints one JSON line
// `{ case, bytes, outcome, kind, detail, wasmBefore, wasmAfter, rssBefore, maxRss, ms }`.
//
//   node tests/node/hardening-case.mjs <case>
//
// The body is served by an injected `fetch` (no network): what is measured is the client.
import { fileURLToPath } from 'node:url';
import * as lib from 'llm-batches';

const MiB = 1024 * 1024;
const GLUE = fileURLToPath(new URL('../../pkg/llm_batches.js', import.meta.url));
const { initSync } = await import(GLUE);
const wasm = initSync({ module: new Uint8Array() }); // already instantiated: its exports

/** `{"id":…,"status":…,"x":[1,1,…]}` of about `mib` MiB: many small elements. */
function smallElements(mib) {
  const count = Math.floor((mib * MiB - 64) / 2);
  const body = Buffer.alloc(count * 2 + 64, 0x20);
  let at = body.write('{"id":"batch_big","status":"completed","x":[');
  for (let i = 0; i < count - 1; i++) {
    body[at++] = 0x31;
    body[at++] = 0x2c;
  }
  at += body.write('1]}', at);
  return body.subarray(0, at);
}

/** A page whose one batch carries `mib` MiB of emoji in a string. */
function emojiPage(mib) {
  const emoji = Buffer.from('👋');
  const n = Math.floor((mib * MiB) / emoji.length);
  const head = Buffer.from('{"object":"list","data":[{"id":"batch_e","status":"completed","note":"');
  const tail = Buffer.from('"}],"has_more":false}');
  const body = Buffer.alloc(head.length + n * emoji.length + tail.length);
  head.copy(body, 0);
  for (let i = 0; i < n; i++) emoji.copy(body, head.length + i * emoji.length);
  tail.copy(body, head.length + n * emoji.length);
  return body;
}

/** One results line of `mib` MiB (a body with a long string), no newline after it. */
function longLine(mib) {
  const head = Buffer.from('{"custom_id":"big","response":{"status_code":200,"body":{"text":"');
  const tail = Buffer.from('"}},"error":null}');
  const body = Buffer.alloc(head.length + mib * MiB + tail.length, 0x61);
  head.copy(body, 0);
  tail.copy(body, body.length - tail.length);
  return body;
}

const answer = (body, chunk = 1 << 20) =>
  new Response(
    new ReadableStream({
      start(controller) {
        for (let at = 0; at < body.length; at += chunk) controller.enqueue(new Uint8Array(body.buffer, body.byteOffset + at, Math.min(chunk, body.length - at)));
        controller.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
  );

const CASES = {
  'retrieve-134mib-small-elements': async () => {
    const body = smallElements(134);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => answer(body) });
    const b = await c.retrieve('batch_big');
    return { bytes: body.length, detail: `x has ${b.x.length} elements` };
  },
  'retrieve-76mib-small-elements': async () => {
    const body = smallElements(76);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => answer(body) });
    const b = await c.retrieve('batch_big');
    return { bytes: body.length, detail: `x has ${b.x.length} elements` };
  },
  'retrieve-300mib-over-the-cap': async () => {
    const body = smallElements(300);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => answer(body) });
    await c.retrieve('batch_big');
    return { bytes: body.length };
  },
  'list-185mib-emoji-page': async () => {
    const body = emojiPage(185);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => answer(body) });
    const page = await c.list();
    return { bytes: body.length, detail: `note has ${page.data[0].note.length} UTF-16 units` };
  },
  'results-100mb-line-no-newline': async () => {
    const body = longLine(100);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => new Response(body) });
    const lines = [];
    for await (const r of c.results({ output_file_id: 'file-x' })) lines.push(r.error?.code ?? 'ok');
    return { bytes: body.length, detail: `results: ${lines.join(', ')}` };
  },
  'results-60mb-line': async () => {
    const body = longLine(60);
    const c = new lib.BatchClient({ apiKey: 'x', timeout: 120_000, fetch: async () => new Response(body) });
    const lines = [];
    for await (const r of c.results({ output_file_id: 'file-x' })) lines.push(`${r.error?.code ?? 'ok'} (${r.response?.body?.text?.length ?? 0} chars)`);
    return { bytes: body.length, detail: `results: ${lines.join(', ')}` };
  },
  'validate-134mib-line': async () => {
    const body = smallElements(134).toString('latin1').replace('{"id":"batch_big","status":"completed"', '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}');
    const report = lib.validateRequests(body);
    return { bytes: body.length, detail: `ok ${report.ok}, ${report.errors.length} problems` };
  },
};

const name = process.argv[2];
const run = CASES[name];
if (!run) {
  console.error(`unknown case ${name}; cases: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const wasmBefore = wasm.memory.buffer.byteLength;
const rssBefore = process.memoryUsage().rss;
const t0 = Date.now();
const out = { case: name, wasmBefore, rssBefore };
try {
  Object.assign(out, await run(), { outcome: 'resolved' });
} catch (error) {
  Object.assign(out, { outcome: error instanceof lib.BatchError ? 'BatchError' : `other: ${error?.name}`, kind: error?.kind ?? null, detail: String(error?.message).slice(0, 200) });
}
out.ms = Date.now() - t0;
out.wasmAfter = wasm.memory.buffer.byteLength;
out.maxRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify(out));
