// The www/ dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// served with the demo data by an in-process mock provider on the same origin, as `make demo` does.
// Screenshots land in target/screenshots/ (gitignored); UPDATE_DOCS_SCREENSHOT=1 also rewrites the
// README's docs/dashboard.png.
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
 * A fresh mock with the demo data (`speed` as in demo.mjs) and a fresh browser context on the
 * dashboard; records console messages, page errors, CSP violations and dialogs. `fn(ctx)`.
 */
async function dashboard({ speed = 1, viewport = { width: 1280, height: 900 }, colorScheme = 'light', stepMs = 4_000, go = true } = {}, fn) {
  const mock = await startMock({ static: { '/': path.join(root, 'www'), '/pkg/': path.join(root, 'pkg') }, demo: { speed }, stepMs });
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT.timeout);
  const seen = { console: [], errors: [], dialogs: [] };
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

    await page.screenshot({ path: path.join(SHOTS, 'desktop.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT) {
      mkdirSync(path.join(root, 'docs'), { recursive: true });
      await page.setViewportSize({ width: 1100, height: 720 });
      await page.screenshot({ path: path.join(root, 'docs/dashboard.png') });
      await page.setViewportSize({ width: 1280, height: 900 });
    }

    // Search and filter.
    await page.fill('#search', 'nightly-eval');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr:not([hidden])').length === 1);
    await page.fill('#search', '');
    await page.selectOption('#filter', 'completed');
    assert.deepEqual([...new Set(await page.locator('#rows tr:not([hidden]) .badge').allTextContents())], ['completed']);
    await page.selectOption('#filter', '');

    // The PPInfra dialect: upper-case statuses and top-level counts come out the same.
    await page.selectOption('#preset', 'demo-ppinfra');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 12);
    assert.ok((await statuses(page)).includes('in progress'), 'PPInfra PROGRESS shown as in progress');
    assert.ok(apiRequests(mock, 'GET', '/ppinfra/openai/v1/batches').length > 0);

    assert.deepEqual(seen.errors, [], 'uncaught exceptions');
    assert.deepEqual(seen.console.filter((m) => m.type === 'error' || m.type === 'warning'), [], 'console errors and warnings');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
  });
});

test('phone width and dark mode render as cards without horizontal scrolling', async () => {
  await dashboard({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' }, async ({ page }) => {
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    assert.equal(await page.locator('#rows td').first().evaluate((td) => getComputedStyle(td).display), 'grid', 'cells stack as cards');
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
    for (const line of ['line 2', 'line 3', 'line 4']) assert.ok(lines.includes(line), `${line} reported (${lines})`);
    assert.ok(!lines.includes('line 1'), 'the good line is not blamed');
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
