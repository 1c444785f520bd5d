// The fault matrix (tests/shared/faults.mjs) in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): the Node side prepares each row on its mock, the page
// (faults.html, served by that mock) makes the call, the Node side judges, with Chromium's own
// console (network errors it logs) searched for the key too. Writes target/fault-matrix/chromium.json.
//
// Connection reuse: Chromium resends on its own a request whose reused keep-alive socket closed
// before any answer (HttpNetworkTransaction's "connection is proven, no headers yet" rule), POSTs
// included. Against a server that drops a connection after creating a batch, that browser resend
// is a second create the library never sees. The fault mock therefore answers with
// `Connection: close` (FAULT_MOCK_OPTIONS), so that what is counted here is the library's doing.
//
//   node --test --test-reporter=spec tests/browser/faults.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from '../mock-provider/server.mjs';
import { FAULT_MOCK_OPTIONS, FAULT_ROWS, ROW_TIMEOUT_MS, judgeRow, newApiKey, prepareRow, timesOf, runRecord, wireOf } from '../shared/faults.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, '..');
const pkgDir = path.resolve(here, '../../pkg');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RESULTS_DIR = new URL('../../target/fault-matrix/', import.meta.url);

const mock = await startMock({ ...FAULT_MOCK_OPTIONS, static: { '/pkg/': pkgDir, '/test/': testsDir } });
const started = Date.now();
const verdicts = [];
const consoleLines = [];
const pageErrors = [];
let browser;
let page;
let setupError;
try {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    timeout: 30_000,
  });
  page = await browser.newPage();
  page.on('console', (msg) => consoleLines.push(`${msg.type()}: ${msg.text()} ${msg.location()?.url ?? ''}`));
  page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
  await page.goto(`${mock.url}/test/browser/faults.html`, { timeout: 30_000 });
  await page.waitForFunction(() => window.__ready || window.__fatal, null, { timeout: 30_000 });
  const fatal = await page.evaluate(() => window.__fatal ?? null);
  if (fatal) throw new Error(`the page could not load the package: ${fatal}`);
} catch (error) {
  setupError = error;
}

after(async () => {
  const version = browser ? `Chromium ${browser.version()}` : null;
  await browser?.close();
  await mock.close();
  if (setupError) return;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const record = runRecord('chromium', version, verdicts, Date.now() - started);
  writeFileSync(new URL('chromium.json', RESULTS_DIR), `${JSON.stringify(record, null, 2)}\n`);
});

test('chromium: the fault page loads the browser entry', (t) => {
  if (setupError) throw setupError;
  t.diagnostic(`Chromium ${browser.version()}`);
});

/** One row in the page, bounded: a wedged page must not hang the suite. */
async function runInPage(row, params) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the page did not finish ${row.id} within ${ROW_TIMEOUT_MS} ms`)), ROW_TIMEOUT_MS);
  });
  try {
    return await Promise.race([page.evaluate(([id, p]) => window.__faultRun(id, p), [row.id, params]), limit]);
  } finally {
    clearTimeout(timer);
  }
}

for (const row of FAULT_ROWS) {
  const todo = typeof row.todo === 'string' ? row.todo : row.todo?.chromium;
  test(`chromium fault: ${row.id} — ${row.call}: ${row.fault} · ${timesOf(row.rule)}`, { timeout: ROW_TIMEOUT_MS + 5_000, todo }, async (t) => {
    if (setupError) return t.skip('the page did not load (see the first chromium test)');
    const apiKey = newApiKey();
    const params = prepareRow(mock, row, { apiKey });
    consoleLines.length = 0;
    pageErrors.length = 0;
    const seen = await runInPage(row, params);
    const verdict = judgeRow(row, 'chromium', seen, wireOf(mock, params), { apiKey, extraConsole: consoleLines });
    for (const error of pageErrors) verdict.failures.push(`uncaught on the page: ${error}`);
    verdict.pass = verdict.failures.length === 0;
    verdicts.push({ id: row.id, todo: todo ?? null, ms: seen.ms, ...verdict });
    assert.ok(verdict.pass, `${row.id}:\n  ${verdict.failures.join('\n  ')}`);
  });
}
