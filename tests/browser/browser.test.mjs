// The shared scenarios in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core;
// no browser is downloaded). The mock provider serves tests/ at /test/ and pkg/ at /pkg/ on the
// same origin as its API; tests/browser/index.html imports the package's browser entry through an
// import map and leaves its results on window.__results.
//
//   node --test tests/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from '../mock-provider/server.mjs';
import { scenarios } from '../shared/scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, '..');
const pkgDir = path.resolve(here, '../../pkg');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RESULTS_TIMEOUT_MS = 90_000; // runAll stops starting scenarios after 60 s

// Chromium logs every non-2xx answer as a console error ("Failed to load resource: ... 404"); the
// scenarios provoke those on purpose, so they are reported but do not fail the run.
const EXPECTED_CONSOLE = /^Failed to load resource|net::ERR_/;

async function runInChromium() {
  const mock = await startMock({ static: { '/pkg/': pkgDir, '/test/': testsDir } });
  const pageErrors = [];
  const consoleErrors = [];
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
      timeout: 30_000,
    });
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    await page.goto(`${mock.url}/test/browser/index.html`, { timeout: 30_000 });
    await page.waitForFunction(() => window.__results || window.__fatal, null, { timeout: RESULTS_TIMEOUT_MS });
    const { results, fatal, exports, userAgent } = await page.evaluate(() => ({
      results: window.__results ?? null,
      fatal: window.__fatal ?? null,
      exports: window.__exports ?? null,
      userAgent: navigator.userAgent,
    }));
    if (fatal) throw new Error(`the page could not run the scenarios: ${fatal}`);
    const version = browser.version();
    return { results, exports, version, userAgent, pageErrors, consoleErrors, wireRequests: mock.requests.length };
  } finally {
    await browser?.close();
    await mock.close();
  }
}

let run;
let setupError;
if (!existsSync(CHROMIUM)) {
  setupError = new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
} else {
  try {
    run = await runInChromium();
  } catch (error) {
    setupError = error;
  }
}

test('chromium: the page loads the browser entry and runs the scenarios', (t) => {
  if (setupError) throw setupError;
  t.diagnostic(`Chromium ${run.version}`);
  assert.ok(Array.isArray(run.results), 'results array');
  assert.ok(run.wireRequests > 0, 'the page reached the mock');
  for (const name of ['BatchClient', 'BatchError', 'isTerminal']) assert.ok(run.exports.includes(name), `exports ${name}`);
});

test('chromium: no uncaught errors on the page', (t) => {
  if (setupError) return t.skip('the page did not run');
  const unexpected = run.consoleErrors.filter((text) => !EXPECTED_CONSOLE.test(text));
  for (const text of run.consoleErrors) t.diagnostic(`console.error: ${text.slice(0, 300)}`);
  assert.deepEqual(run.pageErrors, [], 'uncaught exceptions or unhandled rejections');
  assert.deepEqual(unexpected.filter((text) => /Uncaught/.test(text)), [], 'uncaught errors in the console');
});

for (const scenario of scenarios) {
  test(`chromium: ${scenario.name}`, (t) => {
    if (setupError) return t.skip('the page did not run (see the first chromium test)');
    const result = run.results.find((r) => r.name === scenario.name);
    assert.ok(result, 'no result reported for this scenario');
    if (!result.ok) assert.fail(result.error);
  });
}
