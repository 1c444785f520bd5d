// The fault matrix (tests/shared/faults.mjs) against the built package in Node, in this process,
// against an in-process mock. Writes target/fault-matrix/node.json for scripts/fault-table.mjs.
//
//   node --test --test-reporter=spec tests/node/faults.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startMock } from '../mock-provider/server.mjs';
import { FAULT_MOCK_OPTIONS, FAULT_ROWS, ROW_TIMEOUT_MS, judgeRow, newApiKey, prepareRow, timesOf, runFaultRow, runRecord, wireOf } from '../shared/faults.mjs';
import * as lib from 'llm-batches';

const RESULTS_DIR = new URL('../../target/fault-matrix/', import.meta.url);

const mock = await startMock(FAULT_MOCK_OPTIONS);
const started = Date.now();
const verdicts = [];

after(async () => {
  await mock.close();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const record = runRecord('node', process.version, verdicts, Date.now() - started);
  writeFileSync(new URL('node.json', RESULTS_DIR), `${JSON.stringify(record, null, 2)}\n`);
});

for (const row of FAULT_ROWS) {
  const todo = typeof row.todo === 'string' ? row.todo : row.todo?.node;
  test(`node fault: ${row.id} — ${row.call}: ${row.fault} · ${timesOf(row.rule)}`, { timeout: ROW_TIMEOUT_MS, todo }, async () => {
    const apiKey = newApiKey();
    const params = prepareRow(mock, row, { apiKey });
    const seen = await runFaultRow(lib, row, params);
    const verdict = judgeRow(row, 'node', seen, wireOf(mock, params), { apiKey });
    verdicts.push({ id: row.id, todo: todo ?? null, ms: seen.ms, ...verdict });
    assert.ok(verdict.pass, `${row.id}:\n  ${verdict.failures.join('\n  ')}`);
  });
}
