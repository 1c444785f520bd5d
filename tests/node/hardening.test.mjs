// Hostile answers that used to kill or bloat the process: each runs in a child process of its own
// (tests/node/hardening-case.mjs) so its peak memory is its own, must end in a result or a typed
// BatchError, and must keep wasm memory within a small multiple of the body. The figures go to
// target/hardening.json; `node scripts/memory-table.mjs` puts them in README.md.
//
//   node --test tests/node/hardening.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const CASE = fileURLToPath(new URL('./hardening-case.mjs', import.meta.url));
const OUT = new URL('../../target/hardening.json', import.meta.url);

/** The line limit of results: a longer line is skipped, never held. */
const LINE_CAP = 64 * MiB;

const CASES = [
  { name: 'retrieve-134mib-small-elements', what: '`retrieve`, a 134 MiB body of 70 million small elements', outcome: 'resolved', wasm: (b) => 2.5 * b },
  { name: 'retrieve-76mib-small-elements', what: '`retrieve`, a 76 MiB body of 40 million small elements', outcome: 'resolved', wasm: (b) => 2.5 * b },
  { name: 'retrieve-300mib-over-the-cap', what: '`retrieve`, a 300 MiB body (over the 256 MiB cap)', outcome: 'BatchError', kind: 'invalid_response', wasm: () => 16 * MiB },
  { name: 'list-185mib-emoji-page', what: '`list`, a 185 MiB page of emoji in one string', outcome: 'resolved', wasm: (b) => 2.5 * b },
  { name: 'results-100mb-line-no-newline', what: '`results`, one 100 MB line without a newline', outcome: 'resolved', detail: /invalid_line/, wasm: () => 2 * LINE_CAP },
  { name: 'results-60mb-line', what: '`results`, one 60 MB line', outcome: 'resolved', detail: /ok \(62914560 chars\)/, wasm: (b) => 2.5 * b },
  { name: 'validate-134mib-line', what: '`validateRequests`, one 134 MiB line', outcome: 'resolved', wasm: (b) => 1.5 * b },
];

const figures = [];

for (const c of CASES) {
  test(`hardening: ${c.what}`, { timeout: 120_000 }, async () => {
    const { stdout } = await run(process.execPath, [CASE, c.name], { maxBuffer: 1 << 20 });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1));
    figures.push({ ...seen, what: c.what });
    assert.equal(seen.outcome, c.outcome, `${c.name}: ${seen.detail}`);
    if (c.kind) assert.equal(seen.kind, c.kind);
    if (c.detail) assert.match(seen.detail, c.detail);
    const grown = seen.wasmAfter - seen.wasmBefore;
    const bound = c.wasm(seen.bytes ?? 0);
    assert.ok(grown <= bound, `${c.name}: wasm memory grew by ${(grown / MiB).toFixed(0)} MiB, more than ${(bound / MiB).toFixed(0)} MiB`);
  });
}

test('hardening: figures written', () => {
  mkdirSync(new URL('../../target/', import.meta.url), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ node: process.version, cases: figures }, null, 2)}\n`);
});
