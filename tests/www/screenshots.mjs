// Rewrites the README's screenshots of the www/ dashboard, run by hand (not part of the suite):
//
//   node tests/www/screenshots.mjs            # docs/dashboard.png, docs/dashboard-phone.png, docs/dashboard-dark.png
//   node tests/www/screenshots.mjs --out DIR  # somewhere else
//
// The same setup as `make demo` with the mock's richer demo: 143 OpenAI batches that report model
// and usage (`--demo-usage --demo-history 124`), watched for a while so the sparkline has points,
// with prices set so tokens become cost. Headless Chromium as in dashboard.test.mjs.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startMock } from '../mock-provider/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'docs') }, watch: { type: 'string', default: '16' } } });
const OUT = path.resolve(values.out);
/** Seconds of watching before the first shot: about eight points of the sparkline. */
const WATCH_S = Number(values.watch);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** What OpenAI's Batch API charged for gpt-4o-mini (half the usual price), per million tokens. */
const PRICES = { input: '0.075', output: '0.30' };

/** The dark one shows every page loaded, searched for the oldest running shards: late and overdue ones. */
const SHOTS = [
  { file: 'dashboard.png', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { file: 'dashboard-phone.png', viewport: { width: 390, height: 844 }, colorScheme: 'light' },
  { file: 'dashboard-dark.png', viewport: { width: 1280, height: 800 }, colorScheme: 'dark', running: true },
];

mkdirSync(OUT, { recursive: true });
const mock = await startMock({ static: { '/': path.join(root, 'www'), '/pkg/': path.join(root, 'pkg') }, demo: { usage: true, history: 124 } });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const contexts = [];
  for (const shot of SHOTS) {
    const context = await browser.newContext({ viewport: shot.viewport, colorScheme: shot.colorScheme });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    await page.goto(`${mock.url}/`);
    await page.waitForFunction(() => /updated/.test(document.querySelector('#freshness').textContent));
    await page.click('#prices summary');
    await page.fill('#price-input', PRICES.input);
    await page.fill('#price-output', PRICES.output);
    await page.click('#prices summary');
    if (shot.running) {
      await page.click('#load-all');
      await page.locator('#more-status', { hasText: 'All 143 batches are loaded' }).waitFor();
      await page.selectOption('#filter', 'running');
      await page.fill('#search', 'reindex-shard-0');
    }
    contexts.push({ shot, context, page, errors });
  }
  // Let every page watch a while, so each sparkline has enough points.
  await new Promise((resolve) => setTimeout(resolve, WATCH_S * 1000));
  for (const { shot, context, page, errors } of contexts) {
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(OUT, shot.file) });
    if (errors.length) throw new Error(`${shot.file}: ${errors.join('; ')}`);
    console.log(`wrote ${path.join(OUT, shot.file)}`);
    await context.close();
  }
} finally {
  await browser.close();
  await mock.close();
}
