// The www/ dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// served with the demo data by an in-process mock provider on the same origin, as `make demo` does.
// Screenshots land in target/screenshots/ (gitignored); the README's docs/dashboard*.png are made
// by hand with `node tests/www/screenshots.mjs`.
//
//   node --test --test-reporter=spec tests/www/
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from '../mock-provider/server.mjs';
import { cost, count, money, tokens } from '../../www/format.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(root, 'target/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STATUSES = ['validating', 'in progress', 'finalizing', 'completed', 'failed', 'expired', 'cancelling', 'cancelled'];
const XSS = '<img src=x onerror=alert(1)>';
const KEY = 'sk-dashboard-SECRET-4242';
const WAIT = { timeout: 20_000 };

let browser;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh mock with the demo data (`speed`, `usage` and `history` as in demo.mjs) and a fresh
 * browser context on the dashboard; records console messages, page errors, CSP violations, dialogs
 * and every URL the page asked for. `fn(ctx)`.
 */
async function dashboard({ speed = 1, usage = false, history = 0, viewport = { width: 1280, height: 900 }, colorScheme = 'light', stepMs = 4_000, go = true } = {}, fn) {
  const mock = await startMock({ static: { '/': path.join(root, 'www'), '/pkg/': path.join(root, 'pkg') }, demo: { speed, usage, history }, stepMs });
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  const seen = { console: [], errors: [], dialogs: [], urls: [] };
  page.on('request', (request) => seen.urls.push(request.url()));
  page.on('console', (msg) => seen.console.push({ type: msg.type(), text: msg.text() }));
  page.on('pageerror', (error) => seen.errors.push(`${error.name}: ${error.message}`));
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  try {
    if (go) {
      await page.goto(`${mock.url}/`);
      await page.locator('#rows tr').first().waitFor();
    }
    await fn({ mock, page, seen });
  } finally {
    await context.close();
    await mock.close();
  }
}

/** Uploads a file and creates a batch straight through the mock's API, as another client would. */
async function createViaApi(mock, { prefix = '/openai/v1', metadata, lines = 3 }) {
  const headers = { authorization: 'Bearer other-client' };
  const jsonl = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({ custom_id: `x-${i + 1}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] } }),
  ).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([jsonl]), 'input.jsonl');
  const file = await (await fetch(`${mock.url}${prefix}/files`, { method: 'POST', headers, body: form })).json();
  const response = await fetch(`${mock.url}${prefix}/batches`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', metadata }),
  });
  return response.json();
}

const statuses = (page) => page.locator('#rows tr:not(.empty) .badge').allTextContents();
const apiRequests = (mock, method, suffix) => mock.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
const fresh = (page) => page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
const visibleRows = (page) => page.locator('#rows tr:not([hidden]):not(.empty)');

/** The connection form folds away once the page connected by itself; this unfolds it. */
async function openConnection(page) {
  if ((await page.locator('#connection').getAttribute('open')) === null) await page.click('#connection > summary');
}

test('the demo loads: rows with status badges and progress bars, no console errors, no CSP violations', async () => {
  await dashboard({}, async ({ mock, page, seen }) => {
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    const rows = page.locator('#rows tr');
    assert.equal(await rows.count(), 19, 'every OpenAI-dialect demo batch');
    assert.equal(await page.locator('#preset').inputValue(), 'demo-openai', 'the Demo preset is selected');
    for (const text of await statuses(page)) assert.ok(STATUSES.includes(text), `badge text "${text}"`);
    const bars = page.locator('#rows [role="progressbar"]');
    assert.equal(await bars.count(), 19);
    assert.match(await bars.first().getAttribute('aria-valuetext'), /^\d+% · \d+ completed, \d+ failed of \d+$/);
    const created = page.locator('#rows td[data-label="Created"] time').first();
    assert.match(await created.textContent(), /ago|just now/);
    assert.match(await created.getAttribute('title'), /\d{4}/, 'the exact time on hover');
    assert.ok(await page.locator('#rows .chip').count() >= 19, 'metadata chips');
    assert.match(await page.locator('#summary').textContent(), /19 batches from Demo mock \(OpenAI\) · \d+ running/);
    assert.ok(await page.locator('#rows td[data-label="ETA"]', { hasText: '~' }).count() > 0, 'an ETA for running batches');
    assert.equal(await page.locator('#connection').getAttribute('open'), null, 'the form folds away once connected by itself');
    assert.match(await page.locator('#connection > summary').textContent(), /Demo mock \(OpenAI\) · 127\.0\.0\.1:\d+/, 'and says where it is connected');

    await page.screenshot({ path: path.join(SHOTS, 'desktop.png'), fullPage: true });

    // Search and filter.
    await page.fill('#search', 'nightly-eval');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr:not([hidden])').length === 1);
    await page.fill('#search', '');
    await page.selectOption('#filter', 'completed');
    assert.deepEqual([...new Set(await page.locator('#rows tr:not([hidden]) .badge').allTextContents())], ['completed']);
    await page.selectOption('#filter', '');

    // The PPInfra dialect: upper-case statuses and top-level counts come out the same.
    await openConnection(page);
    await page.selectOption('#preset', 'demo-ppinfra');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 12);
    assert.ok((await statuses(page)).includes('in progress'), 'PPInfra PROGRESS shown as in progress');
    assert.ok(apiRequests(mock, 'GET', '/ppinfra/openai/v1/batches').length > 0);

    assert.deepEqual(seen.errors, [], 'uncaught exceptions');
    assert.deepEqual(seen.console.filter((m) => m.type === 'error' || m.type === 'warning'), [], 'console errors and warnings');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
    assert.deepEqual(seen.urls.filter((url) => !url.startsWith(`${mock.url}/`)), [], 'nothing from anywhere but the page\'s own origin');
  });
});

test('phone width and dark mode render as cards without horizontal scrolling', async () => {
  await dashboard({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' }, async ({ page }) => {
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    assert.equal(await page.locator('#rows tr').first().evaluate((tr) => getComputedStyle(tr).display), 'flex', 'rows are cards');
    // Compact cards: id and badge on one line, then the bar, then one line of facts; 6 or more a screen.
    const heights = await page.$$eval('#rows tr:not(.empty)', (rows) => rows.map((tr) => Math.round(tr.getBoundingClientRect().height)));
    assert.ok(Math.max(...heights) * 6 <= 844, `every card at most a sixth of the screen (${heights.join(', ')} px)`);
    for (const tr of await page.locator('#rows tr:not(.empty)').all()) {
      const at = await tr.evaluate((row) => {
        const box = (selector) => row.querySelector(selector)?.getBoundingClientRect();
        const facts = [...row.querySelectorAll('td.fact')].filter((td) => getComputedStyle(td).display !== 'none').map((td) => td.getBoundingClientRect());
        return { id: box('td[data-label="ID"]'), badge: box('.badge'), bar: box('.bar'), facts, lines: new Set(facts.map((f) => Math.round(f.top))).size };
      });
      assert.ok(Math.abs(at.id.top - at.badge.top) < 12, 'id and badge share the first line');
      assert.ok(at.bar.top >= at.id.bottom - 2, 'the bar comes next');
      assert.ok(at.facts.length >= 1 && at.facts.every((f) => f.top >= at.bar.bottom - 2), 'then the facts');
      assert.equal(at.lines, 1, 'on one line');
    }
    for (const id of ['summary', 'stat-running']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box.y + box.height <= 844, `#${id} above the fold on a phone too`);
    }
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(20, 21, 24)', 'prefers-color-scheme: dark');
    assert.equal(await page.locator('#connection').getAttribute('open'), null, 'the connection form folds away once connected');
    await page.screenshot({ path: path.join(SHOTS, 'phone-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(SHOTS, 'phone.png') });
    await page.locator('#rows tr').nth(9).locator('button.link').click();
    await page.locator('#detail').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'phone-detail.png') });
  });
});

test('statuses change live through watch, are announced, and polling pauses while the tab is hidden', async () => {
  await dashboard({ speed: 20 }, async ({ mock, page }) => {
    const first = await statuses(page);
    await page.waitForFunction(
      (before) => [...document.querySelectorAll('#rows .badge')].some((b, i) => b.textContent !== before[i]),
      first,
    );
    await page.locator('#announcer', { hasText: /is now/ }).waitFor();
    assert.match(await page.locator('#freshness').textContent(), /updated (just now|\d+ s ago)/);

    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    assert.match(await page.locator('#freshness').textContent(), /Paused/);
    await page.waitForTimeout(300); // a request sent just before the abort has arrived by now
    const lists = () => apiRequests(mock, 'GET', '/openai/v1/batches').length;
    const before = lists();
    await page.waitForTimeout(4_500); // more than two poll intervals of the demo preset
    assert.equal(lists(), before, 'no list request while hidden');
    await page.evaluate(() => {
      delete document.hidden;
      delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    assert.ok(lists() > before, 'polling resumes when visible');
  });
});

test('the detail view shows timeline, counts, errors, downloads and previews the first 20 results', async () => {
  await dashboard({}, async ({ page }) => {
    await page.fill('#search', 'nightly-eval');
    await page.locator('#rows tr:not([hidden]) button.link').click();
    const detail = page.locator('#detail');
    await detail.waitFor();
    assert.equal(await detail.locator('#detail-timeline li').count(), 4, 'created, in progress, finalizing, completed');
    assert.match(await detail.locator('#detail-counts').textContent(), /total800completed780failed20/);
    await detail.locator('#preview tbody tr').nth(19).waitFor();
    assert.equal(await detail.locator('#preview tbody tr').count(), 20);
    assert.match(await detail.locator('#preview tbody').textContent(), /Mock answer to req-1 from gpt-4o-mini\./);
    await page.screenshot({ path: path.join(SHOTS, 'detail.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), detail.locator('#detail-files button').first().click()]);
    assert.match(download.suggestedFilename(), /_output\.jsonl$/);
    const { createReadStream } = await import('node:fs');
    let text = '';
    for await (const chunk of createReadStream(await download.path(), 'utf8')) text += chunk;
    assert.equal(text.trim().split('\n').length, 780, 'the whole output file');

    await detail.locator('button[data-close]').last().click();
    await page.fill('#search', 'import-legacy');
    await page.locator('#rows tr:not([hidden]) button.link').click();
    await page.locator('#detail-errors li').first().waitFor();
    assert.match(await page.locator('#detail-errors').textContent(), /invalid_json_line line 3: /);
    assert.match(await page.locator('#preview-status').textContent(), /no result files/);
  });
});

test('cancel asks for confirmation first, then cancels the batch', async () => {
  await dashboard({}, async ({ mock, page }) => {
    await page.selectOption('#filter', 'in_progress');
    const row = page.locator('#rows tr:not([hidden])').first();
    const id = await row.locator('button.link').textContent();
    await row.locator('button.link').click();
    const cancels = () => apiRequests(mock, 'POST', `/batches/${id}/cancel`).length;

    await page.click('#cancel-batch');
    await page.locator('#confirm-cancel').waitFor();
    assert.match(await page.locator('#confirm-text').textContent(), new RegExp(`${id} is in progress`));
    await page.screenshot({ path: path.join(SHOTS, 'cancel-confirm.png') });
    await page.click('#confirm-cancel button[value="keep"]');
    await page.locator('#confirm-cancel').waitFor({ state: 'hidden' });
    assert.equal(cancels(), 0, 'keeping it sends nothing');

    await page.click('#cancel-batch');
    await page.click('#confirm-cancel button[value="cancel"]');
    await page.locator('#detail-summary .badge', { hasText: 'cancelling' }).waitFor();
    assert.equal(cancels(), 1);
    assert.ok(await page.locator('#cancel-batch').isHidden(), 'nothing left to cancel');
    await page.locator('#detail button[data-close]').last().click();
    await page.selectOption('#filter', '');
    await page.locator(`#rows tr:has(button:text-is("${id}")) .badge`, { hasText: 'cancelling' }).waitFor();
  });
});

test('tokens are counted from the results, and "Resubmit failed" makes a batch of what did not succeed', async () => {
  await dashboard({}, async ({ mock, page }) => {
    await page.fill('#search', 'nightly-eval');
    await page.locator('#rows tr:not([hidden]) button.link').click();
    const detail = page.locator('#detail');
    await detail.waitFor();
    assert.equal(await page.locator('#rows tr:not([hidden]) td[data-label="Tokens"]').textContent(), '—', 'the provider sent no usage');
    await detail.locator('#detail-tokens button', { hasText: 'Count from the results' }).click();
    await detail.locator('#detail-tokens dl').waitFor();
    // 780 answers of 10 + 8 tokens (the mock's chat usage).
    assert.match(await detail.locator('#detail-tokens').textContent(), /input7,800output6,240total14,040cached0added up from 780 results/);
    const creates = () => apiRequests(mock, 'POST', '/openai/v1/batches').length;
    const before = creates();
    assert.ok(await page.locator('#resubmit-batch').isVisible(), 'a batch with failures can be resubmitted');
    await page.click('#resubmit-batch');
    await page.locator('#confirm-resubmit').waitFor();
    assert.match(await page.locator('#resubmit-text').textContent(), /20 of its 800 requests/);
    await page.click('#confirm-resubmit button[value="keep"]');
    assert.equal(creates(), before, 'not now sends nothing');
    await page.click('#resubmit-batch');
    await page.click('#confirm-resubmit button[value="resubmit"]');
    await page.locator('#detail-alert', { hasText: /Created batch_/ }).waitFor();
    assert.equal(creates(), before + 1);
    const upload = apiRequests(mock, 'POST', '/openai/v1/files').at(-1);
    assert.equal(upload.body.match(/"custom_id"/g).length, 20, 'only the 20 failed requests');
    const made = JSON.parse(apiRequests(mock, 'POST', '/openai/v1/batches').at(-1).body);
    assert.ok(made.metadata.resubmit_of, 'the new batch says where it came from');
  });
});

test('a bad JSONL file shows its line errors and uploads nothing; a good one is submitted', async () => {
  await dashboard({}, async ({ mock, page }) => {
    await page.click('#new-batch');
    const bad = [
      '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]}}',
      '{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":',
      '{"method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]}}',
      '{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]}}',
    ].join('\n');
    await page.setInputFiles('#file-input', { name: 'bad.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(bad) });
    await page.locator('#line-errors li').first().waitFor();
    const lines = (await page.locator('#line-errors .where').allTextContents()).join(' ');
    for (const line of ['Line 2', 'Line 3', 'Line 4']) assert.ok(lines.includes(line), `${line} reported (${lines})`);
    assert.ok(!lines.includes('Line 1'), 'the good line is not blamed');
    assert.ok(await page.locator('#submit-batch').isDisabled());
    await page.screenshot({ path: path.join(SHOTS, 'create-errors.png') });
    assert.equal(apiRequests(mock, 'POST', '/files').length, 0, 'nothing uploaded');

    const good = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({ custom_id: `ui-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] } }),
    ).join('\n');
    await page.setInputFiles('#file-input', { name: 'good.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(good) });
    await page.locator('#file-report', { hasText: '5 requests' }).waitFor();
    assert.ok(await page.locator('#line-errors').isHidden());
    await page.fill('#create-meta', 'job=from-the-ui');
    await page.click('#submit-batch');
    await page.locator('#create').waitFor({ state: 'hidden' });
    await page.locator('#rows tr .chip', { hasText: 'from-the-ui' }).waitFor();
    assert.equal(apiRequests(mock, 'POST', '/openai/v1/files').length, 1);
    assert.equal(apiRequests(mock, 'POST', '/openai/v1/batches').length, 1);
  });
});

test('provider strings are text: an XSS metadata value renders inert', async () => {
  await dashboard({}, async ({ mock, page, seen }) => {
    const batch = await createViaApi(mock, { metadata: { note: XSS, [XSS]: 'key too' } });
    const chip = page.locator('#rows .chip .v', { hasText: XSS });
    await chip.waitFor();
    assert.equal(await chip.textContent(), XSS);
    await page.locator(`#rows button:text-is("${batch.id}")`).click();
    await page.locator('#detail-meta .chip .k', { hasText: XSS }).waitFor();
    assert.ok((await page.locator('#detail-raw').textContent()).includes(XSS));
    await page.waitForTimeout(300);
    assert.equal(await page.locator('img').count(), 0, 'no element was made from the value');
    assert.deepEqual(seen.dialogs, [], 'no script ran');
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
  });
});

test('the API key stays out of URLs, storage and the console; remembering it is opt-in', async () => {
  await dashboard({}, async ({ mock, page, seen }) => {
    await openConnection(page);
    await page.fill('#api-key', KEY);
    await page.click('#connect button[type="submit"]');
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    const used = () => mock.requests.filter((r) => r.headers.authorization === `Bearer ${KEY}`).length;
    assert.ok(used() > 0, 'the key was sent as a bearer token');
    const storage = () => page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
    const leaks = async () => {
      const places = {
        url: page.url(),
        history: await page.evaluate(() => `${location.href} ${document.referrer}`),
        requests: mock.requests.map((r) => `${r.path}?${JSON.stringify(r.query)} ${r.body}`).join('\n'),
        console: seen.console.map((m) => m.text).join('\n'),
        html: await page.content(),
      };
      return Object.entries(places).filter(([, text]) => text.includes(KEY)).map(([where]) => where);
    };
    assert.deepEqual(await leaks(), []);
    assert.ok(!(await storage()).includes(KEY), 'not in localStorage, sessionStorage or cookies by default');

    await page.check('#remember');
    assert.ok((await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).includes(KEY), 'sessionStorage once opted in');
    assert.ok(!(await page.evaluate(() => JSON.stringify({ ...localStorage }))).includes(KEY), 'never localStorage');
    const sent = used();
    await page.reload();
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    assert.equal(await page.locator('#api-key').inputValue(), KEY, 'restored in this tab');
    assert.ok(used() > sent, 'and used again');
    await openConnection(page);
    await page.uncheck('#remember');
    assert.ok(!(await storage()).includes(KEY), 'forgotten when unticked');

    await page.selectOption('#preset', 'openai');
    assert.equal(await page.locator('#api-key').inputValue(), '', 'another provider does not get this key');
    assert.deepEqual(await leaks(), []);
  });
});

test('errors are inline: a 401 says the key is wrong, an unreachable provider says so', async () => {
  await dashboard({ go: false }, async ({ mock, page }) => {
    mock.addFault({ method: 'GET', path: '/batches', dialect: 'openai', fault: 'status=401' });
    await page.goto(`${mock.url}/`);
    await page.locator('#alert', { hasText: 'API key was rejected (401)' }).waitFor();
    assert.match(await page.locator('#freshness').textContent(), /Stopped/);
    mock.clearFaults();

    const port = await new Promise((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address();
        server.close(() => resolve(free));
      });
    });
    await page.selectOption('#preset', 'custom');
    await page.fill('#base-url', `http://127.0.0.1:${port}/v1`);
    await page.fill('#api-key', 'sk-whatever');
    await page.click('#connect button[type="submit"]');
    const alert = page.locator('#alert', { hasText: `Cannot reach 127.0.0.1:${port}` });
    await alert.waitFor();
    assert.match(await alert.textContent(), /unreachable, or it does not allow requests from this page \(CORS\)/);
    await page.screenshot({ path: path.join(SHOTS, 'unreachable.png') });
  });
});

/** Polls `check` (node side) until it holds, or fails after `ms`. */
async function until(check, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

test('143 batches: the newest page first, older pages on demand, their running batches kept live and found by search', async () => {
  await dashboard({ usage: true, history: 124 }, async ({ mock, page }) => {
    await fresh(page);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr:not(.empty)').length === 100);
    assert.match(await page.locator('#summary').textContent(), /^100 batches from Demo mock \(OpenAI\) · \d+ running · older pages not loaded$/);
    assert.match(await page.locator('#more-status').textContent(), /newest 100 batches are loaded/);
    const all = mock.batches('openai');
    const olderRunning = all.slice(100).filter((b) => !ENDED.has(b.status)).map((b) => b.id);
    assert.equal(olderRunning.length, 13, 'the mock has 13 running batches beyond the first page');

    // Searching for them finds nothing loaded, and says so, offering the older pages.
    await page.fill('#search', 'reindex-shard');
    const empty = page.locator('#rows tr.empty');
    await empty.waitFor();
    assert.match(await empty.textContent(), /No loaded batch matches “reindex-shard”\./);
    const listed = apiRequests(mock, 'GET', '/openai/v1/batches').length;
    await empty.locator('button', { hasText: 'Search older pages too' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#rows tr:not([hidden]):not(.empty)').length === 13);
    assert.deepEqual(new Set(await visibleRows(page).locator('button.link').allTextContents()), new Set(olderRunning));
    assert.match(await page.locator('#more-status').textContent(), /^All 143 batches are loaded\.$/);
    assert.ok(await page.locator('#load-older').isHidden(), 'nothing more to load');
    const after = apiRequests(mock, 'GET', '/openai/v1/batches').slice(listed).filter((r) => r.query.after);
    assert.deepEqual(after.map((r) => [r.query.after, r.query.limit]), [[all[99].id, '100']], 'the second page, after the first one\'s last id');

    // Off the newest page they are kept live by a watch of their ids (one retrieve each a cycle).
    // (Loading them retrieved none of them: the retrieves are the watch's.)
    await until(() => olderRunning.every((id) => apiRequests(mock, 'GET', `/openai/v1/batches/${id}`).length >= 1), 'a retrieve of every older running batch');
    await page.fill('#search', '');
    const figures = await page.evaluate(() => ({
      summary: document.querySelector('#summary').textContent,
      running: document.querySelectorAll('#rows tr.running').length,
      stat: document.querySelector('#stat-running .n').textContent,
    }));
    assert.match(figures.summary, new RegExp(`^143 batches from Demo mock \\(OpenAI\\) · ${figures.running} running$`));
    assert.equal(figures.stat, String(figures.running));
    assert.ok(figures.running >= 13);
  });
});

test('overdue: a running batch past its window says "overdue", one that cannot finish in time "expires in …"; none shows an ETA in days', async () => {
  await dashboard({ usage: true, history: 124 }, async ({ mock, page }) => {
    await fresh(page);
    await page.click('#load-all');
    await page.locator('#more-status', { hasText: 'All 143 batches are loaded' }).waitFor();
    const now = Date.now() / 1000;
    const running = mock.batches('openai').filter((b) => !ENDED.has(b.status));
    const overdue = running.filter((b) => b.expires_at < now).map((b) => b.id);
    assert.ok(overdue.length >= 3, 'the mock has overdue batches');

    assert.match(await page.locator('#filter option[value="overdue"]').textContent(), new RegExp(`^Overdue \\(${overdue.length}\\)$`));
    assert.equal(await page.locator('#stat-running .sub').textContent(), `${overdue.length} overdue`);
    await page.selectOption('#filter', 'overdue');
    await page.waitForFunction((n) => document.querySelectorAll('#rows tr:not([hidden]):not(.empty)').length === n, overdue.length);
    assert.deepEqual(new Set(await visibleRows(page).locator('button.link').allTextContents()), new Set(overdue));
    for (const eta of await visibleRows(page).locator('td[data-label="ETA"] .eta').all()) {
      assert.equal(await eta.textContent(), 'overdue');
      assert.match(await eta.getAttribute('title'), /^Its 24h completion window ended \d.* ago \(.+\), and the provider has not ended it yet\.$/);
    }

    // The other reindex shards: an ETA where it comes before the deadline, else the deadline.
    await page.selectOption('#filter', 'running');
    await page.fill('#search', 'reindex-shard');
    const others = visibleRows(page).filter({ hasNot: page.locator('.eta.is-overdue') });
    assert.equal(await others.count(), 13 - overdue.length);
    let late = 0;
    for (const eta of await others.locator('td[data-label="ETA"] .eta').all()) {
      const [text, title] = [await eta.textContent(), await eta.getAttribute('title')];
      if (text.startsWith('~')) {
        assert.match(title, /^Done in about .+ at the rate seen so far\. The window closes in .+\.$/);
        continue;
      }
      late += 1;
      assert.match(text, /^expires in \d+ (h|min)( \d+ min)?$/, 'to the minute');
      assert.match(title, /^At the rate seen so far it needs ~.+ more: it will not finish before its window closes\./);
    }
    assert.ok(late > 0, 'some of them cannot make it');
    await page.fill('#search', '');
    await page.selectOption('#filter', '');
    const etas = await page.locator('#rows td[data-label="ETA"]').allTextContents();
    assert.deepEqual(etas.filter((text) => /\d+ d\b/.test(text)), [], 'no ETA in days');

    // The detail says the same, in words.
    await page.locator(`#rows button:text-is("${overdue[0]}")`).click();
    assert.match(await page.locator('#detail-summary .facts').textContent(), /overdue: its window ended \d+ (h|min)/);
  });
});

test('ended early: a failed or expired batch counts what never ran as "not run", and has no ETA', async () => {
  await dashboard({}, async ({ page }) => {
    for (const [job, status, text] of [['backfill-2025', 'expired', /total400completed200failed0not run200$/], ['rerank-v2', 'failed', /total120completed0failed0not run120$/]]) {
      await page.fill('#search', job);
      const row = visibleRows(page);
      await row.locator('.badge', { hasText: status }).waitFor();
      assert.equal(await row.locator('td[data-label="ETA"]').textContent(), '—');
      await row.locator('button.link').click();
      assert.match(await page.locator('#detail-counts').textContent(), text);
      await page.locator('#detail button[data-close]').last().click();
    }
    await page.fill('#search', 'nightly-eval');
    await visibleRows(page).locator('button.link').click();
    assert.match(await page.locator('#detail-counts').textContent(), /^total800completed780failed20$/, 'a completed batch has nothing left');
  });
});

test('open any batch by id: one not loaded is retrieved, shown and kept live; an unknown id gets the provider\'s answer', async () => {
  await dashboard({ usage: true, history: 124 }, async ({ mock, page }) => {
    await fresh(page);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr:not(.empty)').length === 100);
    const oldest = mock.batches('openai').at(-1);
    assert.equal(await page.locator(`#rows button:text-is("${oldest.id}")`).count(), 0, 'not on the newest page');

    await page.fill('#search', oldest.id);
    await page.locator('#rows tr.empty button', { hasText: `Open “${oldest.id}” by id` }).waitFor();
    await page.press('#search', 'Enter');
    await page.locator('#detail').waitFor();
    assert.equal(await page.locator('#detail-title').textContent(), oldest.id);
    assert.match(await page.locator('#detail-summary').textContent(), /in progress.*overdue: its window ended/);
    assert.equal(apiRequests(mock, 'GET', `/openai/v1/batches/${oldest.id}`).length >= 1, true);
    await page.locator('#detail button[data-close]').last().click();
    await page.locator(`#rows tr:not([hidden]) button:text-is("${oldest.id}")`).waitFor();
    await until(() => apiRequests(mock, 'GET', `/openai/v1/batches/${oldest.id}`).length >= 2, 'the watch of its id');

    // The button of the empty table does the same; the provider's 404 is shown, and nothing opens.
    await page.fill('#search', 'batch_9999');
    await page.locator('#rows tr.empty button', { hasText: 'Open “batch_9999” by id' }).click();
    await page.locator('#alert', { hasText: /^127\.0\.0\.1:\d+ has no batch “batch_9999” \(404\)\. \(request req_\d+\)$/ }).waitFor();
    assert.ok(await page.locator('#detail').isHidden());

    // A loaded batch opens from the page without asking the provider.
    const newest = mock.batches('openai')[0].id;
    const asked = apiRequests(mock, 'GET', `/openai/v1/batches/${newest}`).length;
    await page.fill('#search', newest);
    await page.press('#search', 'Enter');
    await page.locator('#detail-title', { hasText: newest }).waitFor();
    assert.equal(apiRequests(mock, 'GET', `/openai/v1/batches/${newest}`).length, asked);
  });
});

test('model, tokens and cost: per batch and in total, priced with prices kept in the tab', async () => {
  await dashboard({ usage: true }, async ({ mock, page }) => {
    await fresh(page);
    assert.ok(await page.locator('#batches th.col-cost').isHidden(), 'no cost column without prices');
    await page.fill('#search', 'nightly-eval');
    const row = visibleRows(page);
    await row.locator('td[data-label="Tokens"]', { hasText: '14k' }).waitFor();
    assert.equal(await row.locator('td[data-label="Model"] .model').textContent(), 'gpt-4o-mini');
    assert.equal(await row.locator('td[data-label="Model"] .endpoint').textContent(), '/v1/chat/completions');
    // 780 answers of 10 + 8 tokens, as the provider's usage says.
    assert.equal(await row.locator('td[data-label="Tokens"]').getAttribute('title'), '7,800 in, 6,240 out');

    await page.click('#prices > summary');
    await page.fill('#price-input', '2.50');
    await page.fill('#price-output', '10');
    await page.locator('#batches th.col-cost').waitFor();
    // 7,800 × $2.50 + 6,240 × $10 per million.
    assert.equal(await row.locator('td[data-label="Cost"]').textContent(), '$0.08');
    assert.deepEqual(JSON.parse(await page.evaluate(() => sessionStorage.getItem('llm-batches-dashboard-prices'))), { input: 2.5, output: 10 });
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'never localStorage');
    await row.locator('button.link').click();
    assert.match(await page.locator('#detail-tokens').textContent(), /input7,800output6,240total14,040cached0cost\$0\.08as the provider reports it, priced as set under Prices/);
    await page.locator('#detail button[data-close]').last().click();

    // The total follows the filter: the completed batches (which no longer change), as the provider counts them.
    await page.fill('#search', '');
    await page.selectOption('#filter', 'completed');
    const shown = await page.evaluate(() => ({
      ids: [...document.querySelectorAll('#rows tr:not([hidden]):not(.empty) button.link')].map((b) => b.textContent),
      total: document.querySelector('#stat-tokens .n').textContent,
      sub: document.querySelector('#stat-tokens .sub').textContent,
    }));
    const byId = new Map(mock.batches('openai').map((b) => [b.id, b]));
    const sum = (key) => shown.ids.reduce((n, id) => n + byId.get(id).usage[key], 0);
    assert.ok(shown.ids.length >= 3 && shown.ids.every((id) => byId.get(id).status === 'completed'));
    assert.equal(shown.total, tokens(sum('total_tokens')));
    assert.equal(shown.sub, `${money(cost({ input_tokens: sum('input_tokens'), output_tokens: sum('output_tokens') }, { input: 2.5, output: 10 }))} shown`);
    assert.match(await page.locator('#stat-tokens').getAttribute('title'), new RegExp(`^${count(sum('input_tokens'))} in, ${count(sum('output_tokens'))} out, over ${shown.ids.length} batches`));

    // Kept for the tab: back after a reload; gone when cleared; a typo is said, and prices nothing.
    await page.reload();
    await fresh(page);
    assert.equal(await page.locator('#price-input').inputValue(), '2.5');
    assert.ok(await page.locator('#batches th.col-cost').isVisible());
    await page.click('#prices > summary');
    await page.click('#prices-clear');
    assert.ok(await page.locator('#batches th.col-cost').isHidden());
    assert.equal(await page.evaluate(() => sessionStorage.getItem('llm-batches-dashboard-prices')), null);
    await page.fill('#price-output', 'ten');
    assert.equal(await page.locator('#price-output').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#prices-error').textContent(), 'Enter the output price as a number, such as 1.25.');
    assert.ok(await page.locator('#batches th.col-cost').isHidden());
  });
});

test('the summary is above the fold, agrees with the rows, and draws what was seen while watching', async () => {
  await dashboard({ speed: 20, viewport: { width: 1280, height: 800 } }, async ({ page }) => {
    await fresh(page);
    for (const id of ['overview', 'summary', 'stat-running', 'spark']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box.y >= 0 && box.y + box.height <= 800, `#${id} within the first 800 px (${box.y}+${box.height})`);
    }
    const figures = await page.evaluate(() => {
      const running = [...document.querySelectorAll('#rows tr.running')];
      const left = (tr) => {
        const bar = tr.querySelector('[role="progressbar"]');
        return Number(bar.getAttribute('aria-valuemax')) - Number(bar.getAttribute('aria-valuenow'));
      };
      const n = (id) => document.querySelector(`#${id} .n`).textContent;
      return { running: running.length, flight: running.reduce((sum, tr) => sum + left(tr), 0), stats: [n('stat-running'), n('stat-flight')] };
    });
    assert.ok(figures.running > 0);
    assert.deepEqual(figures.stats, [count(figures.running), count(figures.flight)]);

    // One point a watch cycle (2 s in the demo), drawn as an inline SVG line.
    assert.match(await page.locator('#spark-caption').textContent(), /^Requests done while watching: (waiting for the first updates|measuring…)\.?$/);
    await page.waitForFunction(() => (document.querySelector('#spark polyline')?.getAttribute('points').split(' ').length ?? 0) >= 3);
    const caption = await page.locator('#spark-caption').textContent();
    const done = Number(caption.match(/^Requests done while watching: ([\d,]+) since .+, now ~[\d,]+ a minute\.$/)?.[1].replaceAll(',', ''));
    assert.ok(done > 0, `requests were done while watching (${caption})`);
    const ys = (await page.getAttribute('#spark polyline', 'points')).split(' ').map((p) => Number(p.split(',')[1]));
    assert.ok(ys.at(-1) < ys[0], 'the line rises');
    assert.equal(await page.getAttribute('#spark', 'aria-labelledby'), 'spark-caption');
    assert.equal(await page.locator('img, canvas, iframe').count(), 0);
  });
});

test('a provider that cannot be reached cannot be given a new batch until it answers again', async () => {
  await dashboard({}, async ({ mock, page }) => {
    await fresh(page);
    await page.locator('#new-batch:not([disabled])').waitFor();
    mock.addFault({ method: 'GET', path: '/batches', dialect: 'openai', fault: 'drop' });
    await page.locator('#alert', { hasText: 'Cannot reach' }).waitFor();
    assert.ok(await page.locator('#new-batch').isDisabled());
    assert.match(await page.locator('#new-batch-why').textContent(), /^127\.0\.0\.1:\d+ cannot be reached right now\.$/);
    // A file dropped on the page does not open the dialog either.
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['{}'], 'x.jsonl'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    assert.ok(await page.locator('#create').isHidden());
    mock.clearFaults();
    await page.locator('#new-batch:not([disabled])').waitFor();
    assert.equal(await page.locator('#new-batch-why').textContent(), '');
    assert.ok(await page.locator('#alert').isHidden(), 'the warning goes once it answers');
  });
});

test('the new-batch dialog: a hidden but labelled file input, errors said once, and the endpoint and window of the provider', async () => {
  await dashboard({}, async ({ mock, page }) => {
    await fresh(page);
    await page.click('#new-batch');
    const input = page.locator('#file-input');
    const box = await input.boundingBox();
    assert.ok(box.width <= 1 && box.height <= 1, `no native "Choose File" button on show (${box.width}×${box.height})`);
    await page.getByLabel(/Drop a \.jsonl file here, or choose one/).focus();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'file-input', 'still the labelled control, in the tab order');
    assert.equal(await page.locator('#drop').evaluate((zone) => getComputedStyle(zone).outlineStyle), 'solid', 'the drop zone shows the focus');

    assert.deepEqual(await page.locator('#create-endpoint option').allTextContents(), ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions', '/v1/moderations']);
    assert.deepEqual(await page.locator('#create-window option').allTextContents(), ['24h']);

    // A problem with the whole file: one sentence, numbered by nothing.
    await page.setInputFiles('#file-input', { name: 'empty.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from('') });
    await page.locator('#line-errors li').first().waitFor();
    assert.deepEqual(await page.locator('#line-errors li').allTextContents(), ['There are no requests.']);
    assert.equal(await page.locator('#line-errors li').evaluate((li) => `${li.parentElement.tagName} ${getComputedStyle(li).listStyleType}`), 'UL none');

    // An embeddings file picks its endpoint; another endpoint makes every line a problem.
    const embed = Array.from({ length: 3 }, (_, i) => JSON.stringify({ custom_id: `e-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'x' } })).join('\n');
    await page.setInputFiles('#file-input', { name: 'embed.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(embed) });
    await page.locator('#file-report', { hasText: '3 requests' }).waitFor();
    assert.equal(await page.locator('#create-endpoint').inputValue(), '/v1/embeddings');
    await page.selectOption('#create-endpoint', '/v1/chat/completions');
    await page.locator('#line-errors li').nth(2).waitFor();
    assert.deepEqual(await page.locator('#line-errors .where').allTextContents(), ['Line 1', 'Line 2', 'Line 3']);
    assert.match(await page.locator('#line-errors li').first().textContent(), /^Line 1 `url` is "\/v1\/embeddings" but the batch endpoint is "\/v1\/chat\/completions"$/);
    assert.ok(await page.locator('#submit-batch').isDisabled());
    await page.selectOption('#create-endpoint', '/v1/embeddings');
    await page.click('#submit-batch');
    await page.locator('#create').waitFor({ state: 'hidden' });
    const made = JSON.parse(apiRequests(mock, 'POST', '/openai/v1/batches').at(-1).body);
    assert.deepEqual([made.endpoint, made.completion_window], ['/v1/embeddings', '24h']);

    // Another provider, other choices: Mistral's windows, sent as its timeout_hours.
    await openConnection(page);
    await page.selectOption('#preset', 'demo-mistral');
    await page.locator('#freshness', { hasText: 'Demo mock (Mistral) · updated' }).waitFor();
    await page.locator('#new-batch:not([disabled])').click();
    assert.deepEqual(await page.locator('#create-window option').allTextContents(), ['24h', '48h', '72h', '168h']);
    assert.equal(await page.locator('#create-endpoint option').first().textContent(), '/v1/chat/completions');
    const chat = Array.from({ length: 2 }, (_, i) => JSON.stringify({ custom_id: `m-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }] } })).join('\n');
    await page.setInputFiles('#file-input', { name: 'chat.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(chat) });
    await page.locator('#file-report', { hasText: '2 requests' }).waitFor();
    await page.selectOption('#create-window', '48h');
    await page.click('#submit-batch');
    await page.locator('#create').waitFor({ state: 'hidden' });
    const job = JSON.parse(apiRequests(mock, 'POST', '/mistral/v1/batch/jobs').at(-1).body);
    assert.equal(job.timeout_hours, 48);
    assert.equal(job.endpoint, '/v1/chat/completions');

    // Anthropic: one endpoint, and no metadata to give.
    await openConnection(page);
    await page.selectOption('#preset', 'demo-anthropic');
    await page.locator('#freshness', { hasText: 'Demo mock (Anthropic) · updated' }).waitFor();
    await page.locator('#new-batch:not([disabled])').click();
    assert.deepEqual(await page.locator('#create-endpoint option').allTextContents(), ['/v1/messages']);
    assert.ok(await page.locator('#create-meta').isDisabled());
  });
});
